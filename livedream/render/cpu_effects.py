"""Python/numpy effects on the CPU after the shaders: Lucid Sonic Dreams' EffectsGenerator, each on its own audio."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from livedream.control.amplitudes import HIT_DEAD_ZONE, HIT_FLOOR_RISE_S, MinMax, envelope
from livedream.errors import LivedreamError
from livedream.models.callable import takes_arguments

if TYPE_CHECKING:
    from livedream.audio.features import AudioFeatures


class FeaturesAt(Protocol):
    """An effect's audio: a FeatureTimeline (export), or the live feed's newest features."""

    def at(self, t: float) -> AudioFeatures: ...


class FrameEffect(Protocol):
    """What the export pipeline needs of a CPU effect: the audio that drives it and a frame transform."""

    audio: str | os.PathLike | None  # None: the song
    percussive: bool

    def apply(self, array: np.ndarray, amplitude: float) -> np.ndarray: ...


class EffectsGenerator:
    """A user's effect func(array, strength, amplitude) -> array, with LSD 0.4's arguments and defaults.

    array is the output frame [H, W, 3] uint8 after the shader effects (contrast, flash) and the fit to
    the output size; amplitude (0..1) is the envelope of `audio` (the song when None) at that frame:
    its percussive part when percussive, else the whole signal. The function is called by keyword, as
    in LSD, and must return an array of the same shape, uint8.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        audio: str | os.PathLike | None = None,
        strength: float = 0.5,
        percussive: bool = True,
    ) -> None:
        if not callable(func) or not takes_arguments(func, ("array", "strength", "amplitude")):
            raise LivedreamError("EffectsGenerator: func must be a function with parameters array, strength, amplitude")
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not np.isfinite(strength):
            raise LivedreamError(f"EffectsGenerator: strength must be a number, got {strength!r}")
        self.func = func
        self.audio = audio
        self.strength = float(strength)
        self.percussive = bool(percussive)

    def apply(self, array: np.ndarray, amplitude: float) -> np.ndarray:
        """One frame [H, W, 3] uint8 -> the effect's frame, checked, [H, W, 3] uint8."""
        out = np.asarray(self.func(array=array, strength=self.strength, amplitude=amplitude))
        name = getattr(self.func, "__name__", "effect")
        if out.shape != array.shape:
            raise LivedreamError(f"custom effect {name} returned shape {out.shape}; expected {array.shape}")
        if out.dtype != np.uint8:
            raise LivedreamError(f"custom effect {name} returned {out.dtype}; return uint8 (e.g. .astype(np.uint8))")
        return out

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", "effect")
        return f"EffectsGenerator({name}, audio={self.audio!r}, strength={self.strength}, percussive={self.percussive})"


class CpuEffects:
    """The CPU effects of one render, in order, each reading the envelope of its own audio.

    timeline_for(path) gives the features of a file (None: the song); effects on the same file share
    one timeline, and the caller asks amplitudes() once per frame with non-decreasing times.
    """

    def __init__(self, effects: Sequence[FrameEffect], timeline_for: Callable[[Path | None], FeaturesAt]):
        self.effects = list(effects)
        shared: dict[str | None, FeaturesAt] = {}
        self._timelines: list[FeaturesAt] = []
        for effect in self.effects:
            key = None if effect.audio is None else str(Path(effect.audio).expanduser().resolve())
            if key not in shared:
                shared[key] = timeline_for(None if key is None else Path(key))
            self._timelines.append(shared[key])
        # LSD's min-max of a power envelope, made causal: each effect rests between hits (control.amplitudes).
        self._scales = [MinMax(HIT_FLOOR_RISE_S, HIT_DEAD_ZONE) for _ in self.effects]
        self._last_t: float | None = None

    def amplitudes(self, t: float) -> list[float]:
        """Each effect's amplitude (0..1) at time t: 0 between hits and in quiet passages."""
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        return [
            scale(envelope(tl.at(t), effect.percussive, False), dt)
            for effect, tl, scale in zip(self.effects, self._timelines, self._scales, strict=True)
        ]

    def apply(self, frame: np.ndarray, amplitudes: Sequence[float]) -> np.ndarray:
        """frame [H, W, 3] uint8 through every effect in order."""
        for effect, amplitude in zip(self.effects, amplitudes, strict=True):
            frame = effect.apply(frame, amplitude)
        return frame
