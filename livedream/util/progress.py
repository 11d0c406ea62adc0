"""A one-line progress bar on stderr for long renders: frames done, frames per second, time left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

T = TypeVar("T")
MIN_RATE_SPAN_S = 0.2  # a rate measured over less time than this is noise


class ProgressBar:
    """Redraws in place a few times a second on a terminal; elsewhere (a log file) writes a line every 10 %."""

    def __init__(
        self, total: int, label: str = "render", quiet: bool = False, stream: TextIO | None = None, initial: int = 0
    ):
        """initial: frames already done before this run (a resumed render): counted as done, not in the rate."""
        self.total = max(total, 1)
        self.initial = initial
        self.note = ""
        self._noted = False  # a note was shown: pad later lines so that a shorter one overwrites it
        self.label = label
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self._t0 = time.perf_counter()
        self._last_draw = 0.0
        self._tty = self.stream.isatty()
        self._last_tenth = -1
        self.done = 0
        self._base: tuple[int, float] | None = None  # (done, time) of the first report: the rate counts from it

    def update(self, done: int, note: str = "") -> None:
        """Frames done so far; note: a few words after the figures (e.g. which chunks are being drawn)."""
        self.done, self.note = done, note
        self._noted = self._noted or bool(note)
        now = time.perf_counter()
        if self._base is None:  # the first batch's time includes start-up: it says nothing about the rate
            self._base = (done, now)
        if self.quiet:
            return
        if self._tty and (now - self._last_draw >= 0.25 or done >= self.total):
            self._last_draw = now
            self._draw(now)
        elif not self._tty and (tenth := 10 * done // self.total) > self._last_tenth:
            self._last_tenth = tenth
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self._t0
        base_done, base_t = self._base or (0, self._t0)
        span = now - base_t
        rate = (self.done - base_done) / span if span >= MIN_RATE_SPAN_S and self.done > base_done else None
        speed = f"{rate:5.1f} fps" if rate else "  ... fps"
        eta = _clock((self.total - self.done) / rate) if rate else "-:--:--"
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            ("\r" if self._tty else "") + f"{self.label} [{bar}] {self.done}/{self.total} frames  {speed}  "
            f"elapsed {_clock(elapsed)}  ETA {eta} "
            + (f"{self.note:<24}" if self._noted else "")
            + ("" if self._tty else "\n")
        )
        self.stream.flush()

    def close(self) -> None:
        if not self.quiet and self.done and self._tty:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def with_progress(job: Callable[[Callable[[int, int], None]], T], label: str, quiet: bool = False) -> T:
    """Run job(progress) with a bar made at the first report (when the total is known) and closed at the end."""
    bar: ProgressBar | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or ProgressBar(total, label=label, quiet=quiet)
        bar.update(done)

    try:
        return job(progress)
    finally:
        if bar:
            bar.close()
