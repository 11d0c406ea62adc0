"""Hostile preset files (deep nesting, huge integers, alias bombs, megabytes): one line each, at once."""

from __future__ import annotations

import time

import pytest

from livedream import presets
from livedream.cli.main import main
from livedream.errors import LivedreamError, brief

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)  # the last anchor expands to 9**9 (387 million) strings; the YAML itself is 600 bytes

HOSTILE = {
    "deep": ("classes: " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),  # libyaml's own limit
    "deep100": ("classes: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than 8 levels"),
    "deep_maps": ("classes: " + "{a: " * 50 + "1" + "}" * 50 + "\n", "nested deeper than 8 levels"),
    "digits400": ("speed_fpm: " + "9" * 400 + "\n", "speed_fpm: <an integer of 1329 bits> is not allowed"),
    "digits5000": ("speed_fpm: " + "9" * 5000 + "\n", "not a usable preset"),
    "key_digits": ("9" * 400 + ": 1\n", "unknown parameter <an integer of 1329 bits>"),
    "bomb": (BOMB + "classes: *i\n", "more than 4096 values"),
    "bomb_small_anchor": (
        "x: &x " + "[" + ", ".join(["a"] * 900) + "]\nclasses: [*x, *x, *x, *x, *x]\n",
        "more than 4096 values",
    ),  # fmt: skip
    "huge": ("speed_fpm: 20\n" + "#" * 10_000_000 + "\n", "a preset is at most 64 KiB"),
    "long_string": ("speed_fpm: '" + "x" * 60_000 + "'\n", "speed_fpm: 'xxxx"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_presets_are_one_line_refusals_at_once(tmp_path, name):
    text, expect = HOSTILE[name]
    f = tmp_path / f"{name}.yaml"
    f.write_text(text)
    start = time.perf_counter()
    with pytest.raises(LivedreamError) as err:
        presets.load(str(f))
    msg = str(err.value)
    assert time.perf_counter() - start < 0.5
    assert expect in msg and str(f) in msg and "\n" not in msg and len(msg) < 600, msg[:700]


def test_aliases_within_bounds_still_work(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text("speed_fpm: &s 30\nclasses: &c [1, 2, 3]\nmotion_react: 1.0\npulse_react: *s\n".replace("*s", "1.5"))
    assert presets.load(str(f)).values == {"speed_fpm": 30, "classes": [1, 2, 3], "motion_react": 1.0,
                                           "pulse_react": 1.5}  # fmt: skip
    f.write_text("flash_strength: &f 0.25\ncontrast_strength: *f\n")
    assert presets.load(str(f)).values == {"flash_strength": 0.25, "contrast_strength": 0.25}


def test_brief_is_short_for_anything():
    shared: list = ["x"] * 9
    for _ in range(9):
        shared = [shared] * 9
    start = time.perf_counter()
    for value in (shared, 10**5000, "y" * 10**6, {i: i for i in range(10**5)}):
        assert len(brief(value)) <= 100
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize("name", ["deep", "digits400", "bomb"])
def test_export_with_a_hostile_preset_is_one_line(tmp_path, capsys, name):
    f = tmp_path / f"{name}.yaml"
    f.write_text(HOSTILE[name][0])
    assert main(["export", str(tmp_path / "song.wav"), "--preset", str(f), "-o", str(tmp_path / "o.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livedream: error: ") and err.count("\n") == 1 and HOSTILE[name][1] in err, err[:500]
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*"))
