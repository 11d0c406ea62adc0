"""Presets: the shipped looks load, differ, and bad files give one line naming key, value and range."""

import pytest

from livedream import presets
from livedream.errors import LivedreamError


def test_shipped_presets_load_and_are_distinct_looks():
    found = [presets.load(p.stem) for p in presets.shipped()]
    names = {p.name for p in found}
    assert "default" in names and len(names) >= 4
    looks = [tuple(sorted(p.values.items())) for p in found]
    assert len(set(looks)) == len(looks)
    assert all(p.description for p in found)


def test_preset_by_path(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("pulse_react: 1.5\nclasses: [1, 2, 3]\n")
    p = presets.load(str(f))
    assert p.values == {"pulse_react": 1.5, "classes": [1, 2, 3]}


@pytest.mark.parametrize(
    "text,expect",
    [
        ("pulse_reactt: 1\n", "unknown parameter 'pulse_reactt'"),
        ("pulse_react: loud\n", "pulse_react: 'loud' is not allowed; expected a number in [0, 10]"),
        ("pulse_react: 11\n", "pulse_react: 11 is not allowed; expected a number in [0, 10]"),
        ("flash_percussive: 3\n", "flash_percussive: 3 is not allowed; expected true or false"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("pulse_react: [\n", "not valid YAML"),
        ("!!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
    ],
)
def test_bad_presets(tmp_path, text, expect):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(LivedreamError) as err:
        presets.load(str(f))
    assert expect in str(err.value) and str(f) in str(err.value)


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(LivedreamError, match="shipped presets: .*default"):
        presets.load("nosuchlook")
