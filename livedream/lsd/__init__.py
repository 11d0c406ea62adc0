"""Lucid Sonic Dreams' Python API (LucidSonicDream, show_styles) as a thin layer over livedream's export pipeline.

Scripts written for LSD 0.4 run unchanged: the arguments are mapped onto livedream's parameter table
(livedream.lsd.params) and the render is livedream.modes.export.export. Differences are listed in
docs/migrating-from-lucid-sonic-dreams.md.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from numbers import Real
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.lsd.params import (
    frame_digits,
    frames_dir,
    output_path,
    output_size,
    shuffle_times,
    stem_paths,
    table_values,
)
from livedream.render.cpu_effects import EffectsGenerator

log = logging.getLogger(__name__)

DEFAULT_INPUT_SHAPE = 512  # LSD's noise size for style functions when input_shape is not given
BUILTIN_SIZE = 512  # the video's side with resolution=None and the built-in style (it has no size of its own)


def style_names() -> list[str]:
    """The name "builtin" and the catalogue's style names, for show_styles() and error messages."""
    from livedream.models import catalogue

    return ["builtin", *sorted(s.name for s in catalogue.styles())]


def show_styles() -> None:
    """Print the names usable as style=..., one a line, as LSD's show_styles() did ("builtin" is the default)."""
    print(*style_names(), sep="\n")


def resolve_style(style: str | os.PathLike | None) -> str | None:
    """A style argument -> what load_generator takes: None (built-in), a model path or a catalogue name.

    LSD's names were lower case with spaces ("modern art"); catalogue names use hyphens, so both spellings work.
    """
    from livedream.models import catalogue
    from livedream.models.registry import BUILTIN_NAMES

    if style is None or style in BUILTIN_NAMES:
        return None
    text = os.fspath(style)
    path = os.path.expanduser(text)
    if os.path.exists(path):
        return path
    for name in dict.fromkeys((text, text.strip().lower(), text.strip().lower().replace(" ", "-"))):
        if catalogue.find(name) is not None:
            return name
    raise LivedreamError(f"style {text!r}: no such model file and no style of that name; show_styles() lists the names")


class LucidSonicDream:
    """A song to visualise, with LSD 0.4's arguments; hallucinate() renders it to an MP4.

    style is "builtin" (the default: livedream's own style, no download), a catalogue name (see
    show_styles()), a StyleGAN2 model file (.pkl or .pt), or a function
    f(noise_batch [B, input_shape], class_batch [B, num_possible_classes]) -> B PIL images or uint8 arrays.
    The audio arguments are separate stems driving pulse, motion, class, contrast and flash.
    """

    def __init__(
        self,
        song: str,
        pulse_audio: str = None,
        motion_audio: str = None,
        class_audio: str = None,
        contrast_audio: str = None,
        flash_audio: str = None,
        style: str | Callable[..., Any] = "builtin",
        input_shape: int = None,
        num_possible_classes: int = None,
    ) -> None:
        self.song = song
        self.pulse_audio = pulse_audio
        self.motion_audio = motion_audio
        self.class_audio = class_audio
        self.contrast_audio = contrast_audio
        self.flash_audio = flash_audio
        self.style = style
        self.input_shape = input_shape
        self.num_possible_classes = num_possible_classes
        self._callable = None
        if callable(style):
            from livedream.models.callable import CallableGenerator

            # Checked now, as LSD did: a wrong function fails before any audio is analysed.
            self._callable = CallableGenerator(
                style,
                z_dim=DEFAULT_INPUT_SHAPE if input_shape is None else input_shape,
                c_dim=0 if num_possible_classes is None else num_possible_classes,
            )
            self._style_ref = None
        else:
            self._style_ref = resolve_style(style)
        self._loaded: dict[tuple, Any] = {}  # (seed, device) -> generator: a model loads once per object, as in LSD

    def _stems(self) -> dict[str, Any]:
        return {
            "pulse_audio": self.pulse_audio,
            "motion_audio": self.motion_audio,
            "class_audio": self.class_audio,
            "contrast_audio": self.contrast_audio,
            "flash_audio": self.flash_audio,
        }

    def _generator(self, seed: int, device: str | None, size: tuple[int, int] | None = None) -> Any:
        if self._callable is not None:
            return self._callable
        key = (seed, device, size)  # size: the built-in style renders at the video's short side
        if key not in self._loaded:
            from livedream.models.registry import load_generator
            from livedream.modes.export import MIN_DEFAULT_SIZE

            self._loaded = {
                key: load_generator(
                    self._style_ref, device=device, seed=seed, output_size=size or (MIN_DEFAULT_SIZE,) * 2
                )
            }
        return self._loaded[key]

    def hallucinate(
        self,
        file_name: str,
        output_audio: str = None,
        fps: int = 43,
        resolution: int = None,
        start: float = 0,
        duration: float = None,
        save_frames: bool = False,
        batch_size: int = 1,
        speed_fpm: int = 12,
        pulse_percussive: bool = True,
        pulse_harmonic: bool = False,
        pulse_react: float = 0.5,
        motion_percussive: bool = False,
        motion_harmonic: bool = True,
        motion_react: float = 0.5,
        motion_randomness: float = 0.5,
        truncation: float = 1,
        classes: list = None,
        dominant_classes_first: bool = False,
        class_pitch_react: float = 0.5,
        class_smooth_seconds: int = 1,
        class_complexity: float = 1,
        class_shuffle_seconds: float = None,
        class_shuffle_strength: float = 0.5,
        contrast_strength: float = None,
        contrast_percussive: bool = None,
        flash_strength: float = None,
        flash_percussive: bool = None,
        custom_effects: list = None,
        *,
        seed: int = 0,
        device: str | None = None,
    ) -> Path:
        """Render the song to file_name (".mp4" added if missing) at exactly fps, with the song's audio.

        The keyword-only seed (same seed, same video) and device (e.g. "cpu"; default CUDA when present)
        are livedream's additions. Returns the path of the MP4. save_frames=True also keeps every frame
        as a PNG in "<name>_frames/" beside the video, named as LSD named them. resolution=None gives
        the generator's own size, as in LSD.
        """
        args = dict(locals())  # first: exactly the arguments
        from livedream.modes.export import ExportSettings, export
        from livedream.sinks.mp4 import exact_rate
        from livedream.util.progress import with_progress

        out = output_path(file_name)
        stems = self._stems()
        params = table_values(args, stems)
        effects = list(custom_effects or [])
        if not all(isinstance(e, EffectsGenerator) for e in effects):
            raise LivedreamError("custom_effects must be a list of EffectsGenerator objects")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise LivedreamError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        song = Path(os.fspath(self.song)).expanduser()
        soundtrack = Path(os.fspath(output_audio)).expanduser() if output_audio else None
        inputs = [song, *stem_paths(stems).values(), *([soundtrack] if soundtrack else [])]
        inputs += [Path(e.audio) for e in effects if e.audio]
        from livedream.util.outputs import check_output

        check_output(out, "file_name", inputs)  # never an input, a preset or a folder
        for name, value in (("fps", fps), ("start", start), ("duration", duration)):
            if not (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)) and not (
                name == "duration" and value is None
            ):
                raise LivedreamError(f"{name} must be a finite number, got {value!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise LivedreamError(f"seed must be a whole number from 0 to {2**32 - 1}, got {seed!r}")
        # None: a model's or a style function's own size, as in LSD; the built-in style draws any size: 512,
        # and renders at the video's short side (sharp on a big screen).
        if self._callable is None and self._style_ref is None:
            size = output_size(resolution, BUILTIN_SIZE)
            generator = self._generator(seed, device, size)
        else:
            generator = self._generator(seed, device)
            size = output_size(resolution, generator.resolution)
        n_frames = None
        if save_frames:
            from livedream.modes.export import song_duration

            n_frames = max(1, round(song_duration(song, float(start), duration) * exact_rate(fps)))
        settings = ExportSettings(
            song=song, output=out, params=params, seed=seed, fps=exact_rate(fps), size=size,
            start=float(start), duration=None if duration is None else float(duration), audio=soundtrack,
            audio_start=float(start) if soundtrack else None,  # LSD cut output_audio at start, like the song
            stems=stem_paths(stems), generator=generator, device=device, batch_size=batch_size,
            normalize="global",  # LSD normalised each curve over the whole clip; livedream's option for it
            cpu_effects=tuple(effects), save_frames_dir=frames_dir(out) if save_frames else None,
            frame_name_digits=frame_digits(n_frames, batch_size) if n_frames else None,
            shuffle_times=shuffle_times(class_shuffle_seconds, float(start)),
        )  # fmt: skip
        with_progress(lambda progress: export(settings, progress), out.name)
        log.info("wrote %s", out)
        return out
