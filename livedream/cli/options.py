"""Options several subcommands share (the audio window, the look, the output size), parsed once here."""

from __future__ import annotations

import argparse
import re
from fractions import Fraction
from typing import Any

from livedream import params, presets
from livedream.audio.timeline import NORMALIZE_MODES
from livedream.cli.param_flags import add_param_flags, param_flag_values
from livedream.control.amplitudes import ROLES
from livedream.errors import LivedreamError


def add_audio_window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=float, default=0.0, metavar="S", help="start this many seconds into the song")
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="render only this many seconds")


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--onset-method",
        default=None,
        metavar="M",
        help="aubio onset detection method (hfc, complex, specflux, energy, ...)",
    )
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
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed and song give the same video")
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
    try:
        fps = Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        fps = Fraction(0)
    if not 1 <= fps <= 240:
        raise LivedreamError(f"--fps {text!r}: expected a rate between 1 and 240, e.g. 30, 29.97 or 30000/1001")
    return fps
