"""Options several subcommands share (the audio window, the look, the output size), parsed once here."""

from __future__ import annotations

import argparse
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from livedream import params, presets
from livedream.audio.timeline import NORMALIZE_MODES
from livedream.cli.param_flags import add_param_flags, param_flag_values
from livedream.control.amplitudes import ROLES
from livedream.errors import LivedreamError

MAX_SEED = 2**32 - 1  # numpy's RandomState and every seeded generator here take 0 .. 2**32-1


def seconds_from_zero(text: str) -> float:
    """argparse type: a finite number of seconds >= 0 (nan and inf are refused here, with the flag named)."""
    x = _finite(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds >= 0")
    return x


def seconds_above_zero(text: str) -> float:
    """argparse type: a finite number of seconds > 0."""
    x = _finite(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds above 0")
    return x


def seed(text: str) -> int:
    """argparse type: a whole number in 0 .. 2**32-1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: expected a whole number from 0 to {MAX_SEED}")
    return value


def finite_between(lo: float, hi: float):
    """argparse type factory: a finite number in [lo, hi]."""

    def parse(text: str) -> float:
        x = _finite(text)
        if not lo <= x <= hi:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a number from {lo:g} to {hi:g}")
        return x

    return parse


def _finite(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: expected a finite number")
    return x


def add_audio_window(parser: argparse.ArgumentParser, what: str = "render") -> None:
    parser.add_argument(
        "--start", type=seconds_from_zero, default=0.0, metavar="S", help="start this many seconds into the song"
    )
    parser.add_argument(
        "--duration", type=seconds_above_zero, default=None, metavar="S", help=f"{what} only this many seconds"
    )


class _OnsetMethod(argparse.Action):
    """--onset-method, whose help names the analyzer's methods and default, read only when help is shown
    (importing the analyzer loads aubio: too slow for every command line)."""

    @property
    def help(self) -> str:
        from livedream.audio.analyzer import DEFAULT_ONSET_METHOD, ONSET_METHODS

        return f"aubio onset detection method: {', '.join(ONSET_METHODS)} (default {DEFAULT_ONSET_METHOD})"

    @help.setter
    def help(self, value: str | None) -> None:
        pass

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)


def add_analysis_options(parser: argparse.ArgumentParser, live: bool = False) -> None:
    """The onset method; and, offline (live=False), the normalisation (live mode is always adaptive)."""
    parser.add_argument("--onset-method", default=None, metavar="M", action=_OnsetMethod)
    if not live:
        parser.add_argument(
            "--normalize",
            choices=NORMALIZE_MODES,
            default="adaptive",
            help="adaptive: causal, as live mode does (default); global: a first pass over the whole file",
        )


def add_look_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        default="default",
        metavar="NAME|PATH",
        help="a shipped preset (see `livedream presets`) or a YAML file; flags override it",
    )
    parser.add_argument(
        "--seed", type=seed, default=0, help=f"random seed, 0 to {MAX_SEED}: the same seed and song give the same video"
    )
    add_param_flags(parser)


def add_stem_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("separate stems (each drives one role instead of the song)")
    for role in ROLES:
        group.add_argument(
            f"--{role}-audio", dest=f"stem__{role}", metavar="FILE", default=None, help=f"audio that drives {role}"
        )


def stems(args: argparse.Namespace) -> dict[str, str]:
    return {role: getattr(args, f"stem__{role}") for role in ROLES if getattr(args, f"stem__{role}", None)}


def resolve_params(args: argparse.Namespace) -> dict[str, Any]:
    """Table defaults, then the preset, then the flags."""
    preset = presets.load(args.preset)
    return params.resolve(preset.values, param_flag_values(args))


def parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or not (16 <= int(m.group(1)) <= 8192 and 16 <= int(m.group(2)) <= 8192):
        raise LivedreamError(f"--size {text!r}: expected WIDTHxHEIGHT between 16 and 8192, e.g. 1920x1080")
    return int(m.group(1)), int(m.group(2))


def parse_fps(text: str) -> Fraction:
    """ "30" -> 30, "30000/1001" as given, and the rounded NTSC rates as what they stand for:
    "29.97" -> 30000/1001 (likewise 23.976, 59.94, 119.88), not 2997/100."""
    try:
        fps = Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        fps = Fraction(0)
    if "." in text and fps.denominator != 1:
        whole = round(fps * Fraction(1001, 1000))
        ntsc = Fraction(whole * 1000, 1001)
        if abs(fps - ntsc) < Fraction(1, 200):
            fps = ntsc
    if not 1 <= fps <= 240:
        raise LivedreamError(f"--fps {text!r}: expected a rate between 1 and 240, e.g. 30, 29.97 or 30000/1001")
    return fps


def add_torch_device_option(parser: argparse.ArgumentParser) -> None:
    """--torch-device, live's name for it; --device stays the same flag where it is not the audio input (export, still)."""
    parser.add_argument(
        "--torch-device",
        "--device",
        dest="device",
        default=None,
        metavar="DEV",
        help="torch device, e.g. cpu or cuda (default: cuda when present); --device is the same flag",
    )


def add_effect_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--effect",
        action="append",
        default=[],
        metavar="FILE.frag[:STRENGTH]",
        help="your own GLSL effect after contrast and flash (repeatable); its u_amount is STRENGTH "
        "(default 1) times the envelope that drives the flash; see shaders/contrast.frag for the contract",
    )


def shader_effect(text: str) -> tuple[str, float]:
    """ "wobble.frag:0.5" -> ("wobble.frag", 0.5); the file must exist."""
    path, sep, strength = text.rpartition(":")
    if not sep or not path.endswith(".frag"):
        path, strength = text, "1"
    try:
        value = float(strength)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 10.0:
        raise LivedreamError(f"--effect {text!r}: the strength after ':' must be a number in [0, 10]")
    if not path.endswith(".frag") or not Path(path).expanduser().is_file():
        raise LivedreamError(f"--effect {text!r}: expected an existing GLSL file ending in .frag")
    return str(Path(path).expanduser()), value
