"""Lucid Sonic Dreams' hallucinate() arguments -> livedream's parameter table values, stems and output names."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.params import resolve, validate_values

# hallucinate() arguments that are table parameters of the same name and meaning.
SAME_NAME = (
    "speed_fpm", "pulse_percussive", "pulse_harmonic", "pulse_react", "motion_percussive", "motion_harmonic",
    "motion_react", "motion_randomness", "truncation", "classes", "dominant_classes_first", "class_pitch_react",
    "class_smooth_seconds", "class_complexity", "class_shuffle_seconds", "class_shuffle_strength",
)  # fmt: skip
# Each LucidSonicDream(...) audio argument -> the livedream stem role it drives.
STEM_ROLES = {
    "pulse_audio": "pulse",
    "motion_audio": "motion",
    "class_audio": "class",
    "contrast_audio": "contrast",
    "flash_audio": "flash",
}


def effect_values(
    name: str, audio: str | os.PathLike | None, strength: float | None, percussive: bool | None
) -> dict[str, Any]:
    """LSD's rule for its built-in contrast and flash effects, without its two slips.

    The effect is on when any of its audio, strength or percussive was given, with strength 0.5 and
    percussive True where not given. LSD wrote `strength or 0.5` and `percussive or True`, so an explicit
    0 still flashed at 0.5 and an explicit False still followed the percussive part; here both are honoured.
    """
    on = any(v is not None for v in (audio, strength, percussive))
    return {
        f"{name}_strength": (0.5 if strength is None else strength) if on else 0.0,
        f"{name}_percussive": True if percussive is None else percussive,
    }


def table_values(args: Mapping[str, Any], stems: Mapping[str, Any]) -> dict[str, Any]:
    """hallucinate()'s keyword values and LucidSonicDream's audio arguments -> a full, validated parameter set.

    Every value goes through livedream.params, so ranges and types are checked (one clear LivedreamError
    naming the argument) and the defaults are the table's.
    """
    values = {name: args[name] for name in SAME_NAME if name in args}
    if isinstance(values.get("class_shuffle_seconds"), (list, tuple)):
        values["class_shuffle_seconds"] = None  # LSD's list of timestamps: see shuffle_times()
    # LSD: a separate pulse or motion audio is used whole; the percussive/harmonic flags apply to the song only.
    for role in ("pulse", "motion"):
        if stems.get(f"{role}_audio") is not None:
            values[f"{role}_percussive"] = values[f"{role}_harmonic"] = False
    for effect in ("contrast", "flash"):
        values.update(
            effect_values(
                effect, stems.get(f"{effect}_audio"), args.get(f"{effect}_strength"), args.get(f"{effect}_percussive")
            )
        )
    values["flash_mode"] = args.get("flash_mode", "lsd")  # LSD's own flash formula, unless asked otherwise
    return resolve(validate_values(values))


def shuffle_times(value: Any, start: float) -> tuple[float, ...]:
    """LSD's class_shuffle_seconds as a list of timestamps (s in the song) -> times from the render's start.

    LSD shuffled on a frame whose time (frame / fps + start) equalled a listed value exactly, which few
    values ever do; here a shuffle falls on the first frame at or after each listed time.
    """
    if not isinstance(value, (list, tuple)):
        return ()
    times = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise LivedreamError(f"class_shuffle_seconds: {v!r} is not a time in seconds (a number >= 0)")
        if v >= start:
            times.append(float(v) - float(start))
    return tuple(sorted(times))


def frame_digits(n_frames: int, batch_size: int) -> int:
    """LSD's save_frames names: frame numbers zero-padded to the width of (batches x batch_size + batch_size)."""
    batches = -(-n_frames // batch_size)
    return len(str(batches * batch_size + batch_size))


def stem_paths(stems: Mapping[str, Any]) -> dict[str, Path]:
    """The audio arguments that were given, by livedream role: {"pulse": Path("drums.wav"), ...}."""
    return {role: Path(os.fspath(stems[arg])).expanduser() for arg, role in STEM_ROLES.items() if stems.get(arg)}


def output_path(file_name: str | os.PathLike) -> Path:
    """LSD's rule, as it meant it: ".mp4" is added unless the name already ends with it; the folder must exist."""
    name = os.fspath(file_name)
    if not isinstance(name, str) or not name.strip():
        raise LivedreamError(f"file_name must be a file name, got {file_name!r}")
    path = Path(name).expanduser()
    if not path.name.lower().endswith(".mp4"):
        path = path.with_name(path.name + ".mp4")
    if path.is_dir():
        raise LivedreamError(f"{path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise LivedreamError(f"{path.parent}: output folder does not exist")
    return path


def frames_dir(output: Path) -> Path:
    """Where save_frames puts the PNGs: a folder beside the video, named after it ("song.mp4" -> "song_frames")."""
    return output.with_name(output.name[: -len(".mp4")] + "_frames")


def output_size(resolution: Any, generator_side: int) -> tuple[int, int]:
    """LSD's resolution (the side of the square video; None: the generator's own) -> (width, height).

    A (width, height) pair is accepted too. H.264 needs even sides, so an odd one is an error, not
    silently rounded.
    """
    if resolution is None:
        if generator_side % 2:
            raise LivedreamError(
                f"the generator draws {generator_side}x{generator_side} images; H.264 needs even sides, "
                f"so give resolution={generator_side + 1} (or another even size)"
            )
        return generator_side, generator_side
    sides = resolution if isinstance(resolution, (list, tuple)) else (resolution, resolution)
    if len(sides) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sides):
        raise LivedreamError(
            f"resolution must be a positive whole number (or a (width, height) pair), got {resolution!r}"
        )
    odd = [v for v in sides if v % 2]
    if odd:
        raise LivedreamError(f"resolution {odd[0]} is odd; H.264 needs even sides: use {odd[0] - 1} or {odd[0] + 1}")
    return int(sides[0]), int(sides[1])
