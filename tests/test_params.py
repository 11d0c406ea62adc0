"""The parameter table, its validation, and the CLI flags and preset keys derived from it."""

import argparse
import math

import pytest

from livedream.cli.param_flags import add_param_flags, param_flag_values
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, PARAMS, defaults, resolve, validate_values

LSD_PARAMS = """speed_fpm pulse_react pulse_percussive pulse_harmonic motion_react motion_randomness motion_percussive
motion_harmonic truncation classes dominant_classes_first class_pitch_react class_smooth_seconds class_complexity
class_shuffle_seconds class_shuffle_strength contrast_strength contrast_percussive flash_strength
flash_percussive""".split()


def test_every_lucid_sonic_dreams_parameter_is_declared_with_range_and_help():
    for name in LSD_PARAMS:
        p = BY_NAME[name]
        assert p.help and p.group
        if p.kind in ("float", "int"):
            assert p.lo is not None and p.hi is not None and p.lo <= (p.default if p.default is not None else p.lo)
    assert len({p.name for p in PARAMS}) == len(PARAMS)


def test_defaults_validate():
    assert validate_values(defaults()) == defaults()


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("pulse_react", "0.8", 0.8),
        ("pulse_percussive", "no", False),
        ("classes", "1, 5,7", [1, 5, 7]),
        ("classes", [3], [3]),
        ("class_shuffle_seconds", None, None),
        ("truncation", 1, 1.0),
    ],
)
def test_values_are_converted(name, value, expected):
    assert validate_values({name: value})[name] == expected


@pytest.mark.parametrize(
    "name,value",
    [
        ("pulse_react", -1),
        ("pulse_react", math.nan),
        ("pulse_react", math.inf),
        ("pulse_react", 1e30),
        ("pulse_react", "loud"),
        ("pulse_react", True),
        ("pulse_percussive", "maybe"),
        ("classes", list(range(13))),
        ("classes", [1.5]),
        ("truncation", None),
        ("speed_fpm", [1, 2]),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_the_range(name, value):
    with pytest.raises(LivedreamError) as err:
        validate_values({name: value})
    msg = str(err.value)
    assert name in msg and repr(value) in msg and "expected" in msg and "\n" not in msg


def test_unknown_parameter_is_refused():
    with pytest.raises(LivedreamError, match="unknown parameter 'pulse_reactt'"):
        validate_values({"pulse_reactt": 1})


def test_cli_flags_come_from_the_table_and_only_given_flags_override():
    parser = argparse.ArgumentParser()
    add_param_flags(parser)
    args = parser.parse_args(
        [
            "--pulse-react",
            "0.8",
            "--flash-strength",
            "0.7",
            "--no-pulse-percussive",
            "--classes",
            "1,2,3",
            "--class-shuffle-seconds",
            "none",
        ]
    )
    given = param_flag_values(args)
    assert given == {
        "pulse_react": 0.8,
        "flash_strength": 0.7,
        "pulse_percussive": False,
        "classes": [1, 2, 3],
        "class_shuffle_seconds": None,
    }
    values = resolve({"pulse_react": 0.1, "motion_react": 0.9}, given)
    assert values["pulse_react"] == 0.8 and values["motion_react"] == 0.9
    assert values["speed_fpm"] == BY_NAME["speed_fpm"].default
    for p in PARAMS:
        assert p.flag in parser.format_help()


def test_choice_kind_and_log_curve():
    from livedream.params import Param

    band = Param("pulse_band_x", "all", "choice", "h", "pulse", choices=("all", "kick", "snare", "hats"))
    assert band.validate(" Kick ") == "kick"
    with pytest.raises(LivedreamError, match="one of all, kick, snare, hats"):
        band.validate("cowbell")
    assert [band.from_norm(x) for x in (0.0, 0.3, 0.6, 1.0)] == ["all", "kick", "snare", "hats"]
    assert band.from_norm(band.to_norm("snare")) == "snare"
    secs = Param("s_x", 1.0, "float", "h", "class", "s", 0.05, 3600.0, curve="log")
    assert secs.from_norm(0.5) == pytest.approx((0.05 * 3600.0) ** 0.5)
    assert secs.to_norm(secs.from_norm(0.25)) == pytest.approx(0.25)
