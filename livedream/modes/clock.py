"""The Clock plug point: when each frame is shown, and which moment of the audio it shows.

FrameClock      export: t = k / fps for k < n, never drops, features read half a frame later
DisplayClock    live: wall time since the start, one tick per display refresh (the swap paces it)
SimulatedClock  tests: k / fps like export, but through the live machinery (the engine waits for each image)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol


@dataclass(frozen=True)
class FrameTime:
    """One frame: its number, the time it is shown (the controller's clock) and the audio time its features come from."""

    index: int
    t: float  # seconds since the start of the render / the show
    t_sample: float  # seconds of audio whose newest analysed hop the frame reads


class Clock(Protocol):
    """Yields the frames to draw. `waits_for_images`: the engine blocks for each frame's own image (no drops)."""

    waits_for_images: bool

    def frames(self) -> Iterator[FrameTime]: ...


class FrameClock:
    """Export's clock: frame k at k / fps exactly (Fraction arithmetic), n frames, features from mid-frame."""

    waits_for_images = True

    def __init__(self, fps: Fraction | float, n_frames: int, first: int = 0):
        self.fps = Fraction(fps).limit_denominator(1_000_000)
        self.n_frames, self.first = int(n_frames), int(first)

    def frames(self) -> Iterator[FrameTime]:
        for k in range(self.first, self.n_frames):
            t = k / self.fps
            yield FrameTime(k, float(t), float(t + Fraction(1, 2) / self.fps))

    def __len__(self) -> int:
        return max(0, self.n_frames - self.first)


class SimulatedClock(FrameClock):
    """k / fps like export, driving the live machinery (a simulated sound card advanced to t_sample)."""


class DisplayClock:
    """Live: one tick per displayed frame at the monotonic time since `start`, until `duration` (None: forever).

    The pace comes from the window's swap (vsync); a frame that is late is simply drawn later: frames
    drop, time never stretches. Live cannot look ahead, so t_sample is t.
    """

    waits_for_images = False

    def __init__(self, start: float | None = None, duration: float | None = None):
        self.start = time.monotonic() if start is None else start
        self.duration = duration

    def frames(self) -> Iterator[FrameTime]:
        k = 0
        while True:
            t = time.monotonic() - self.start
            if self.duration is not None and t >= self.duration:
                return
            yield FrameTime(k, t, t)
            k += 1
