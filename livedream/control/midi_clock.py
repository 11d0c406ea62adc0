"""MIDI clock as a tempo source: 24 ticks a beat -> a smoothed tempo and beat phase; Start, Stop, Continue, SPP.

The receiver thread calls tick/start/stop/continue_/song_position with the time.monotonic() of arrival;
the main thread reads state(t). The tempo is a least-squares line through the last WINDOW ticks' arrival
times (tick number -> time): the jitter of the MIDI path averages out, and a new tempo is followed within
WINDOW ticks (a beat and a half). The beat position counts ticks since Start (the first tick after Start
is beat 0, as the MIDI spec has it); Song Position Pointer moves it, in sixteenths.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Mapping
from typing import Any

from livedream.control.tempo import MAX_BPM, MIN_BPM, TempoState

PPQN = 24
WINDOW = 36  # ticks in the tempo fit: 1.5 beats
STALE_PERIODS = 3.0  # no tick for this many tick periods (plus STALE_S): the clock has stopped
STALE_S = 0.1
OUTLIER_PERIODS = 0.25  # a tick further than this (in tick periods, or OUTLIER_S) off the fitted line is left out
OUTLIER_S = 0.002
GAP_PERIODS = 4.0  # a gap this long between ticks starts a fresh fit (the clock was restarted)


class MidiClock:
    """Tempo and position from MIDI clock messages; safe to feed from one thread and read from another."""

    name = "midi"

    def __init__(self, origin: float = 0.0):
        self.origin = origin  # time.monotonic() of the engine's t = 0
        self._lock = threading.Lock()
        self._times: collections.deque[tuple[int, float]] = collections.deque(maxlen=WINDOW)  # (tick number, at)
        self._n = 0  # ticks received since the fit started
        self._fit: tuple[float, float, int] | None = None  # (intercept, period, last tick number)
        self._last_at: float | None = None
        self.playing: bool | None = None  # None: no Start/Stop seen; a clock without transport counts as playing
        self._pos = -1  # ticks since Start of the last tick (-1: the next tick is beat 0)
        self._pos_at_fit = -1
        self.ticks = 0  # all ticks received (the stats' counter)

    # -- the receiver's side ------------------------------------------------------------------------------------

    def tick(self, at: float) -> None:
        with self._lock:
            self.ticks += 1
            period = self._fit[1] if self._fit else None
            if self._last_at is not None and period is not None and at - self._last_at > GAP_PERIODS * period:
                self._times.clear()
                self._fit = None
            if self._last_at is not None and at - self._last_at > 2.0:  # nothing for 2 s: any tempo is stale
                self._times.clear()
                self._fit = None
            self._last_at = at
            self._n += 1
            self._times.append((self._n, at))
            if self.playing is not False:
                self._pos += 1
            self._refit()
            self._pos_at_fit = self._pos

    def start(self, at: float) -> None:
        with self._lock:
            self.playing, self._pos = True, -1
            self._pos_at_fit = -1

    def stop(self, at: float) -> None:
        with self._lock:
            self.playing = False

    def continue_(self, at: float) -> None:
        with self._lock:
            self.playing = True

    def song_position(self, sixteenths: int, at: float) -> None:
        """Song Position Pointer: the next tick is at this many sixteenths (6 ticks each) from the song's start."""
        with self._lock:
            self._pos = PPQN // 4 * int(sixteenths) - 1
            self._pos_at_fit = self._pos

    def _refit(self) -> None:
        """A least-squares line through the window, then again without the ticks far off it (a burst of late
        ticks after a flood on the wire), so a few bad arrivals do not tilt the tempo."""
        pts = list(self._times)
        fit = _line(pts)
        if fit is not None:
            intercept, period = fit
            tolerance = max(OUTLIER_PERIODS * period, OUTLIER_S)
            kept = [(i, t) for i, t in pts if abs(t - (intercept + period * i)) <= tolerance]
            if len(kept) >= max(3, len(pts) // 2) and len(kept) < len(pts):
                fit = _line(kept) or fit
        self._fit = None if fit is None else (fit[0], fit[1], pts[-1][0])

    # -- the main thread's side ---------------------------------------------------------------------------------

    @property
    def bpm(self) -> float | None:
        with self._lock:
            return None if self._fit is None else 60.0 / (PPQN * self._fit[1])

    def state(self, t: float, features: Mapping[str, Any] | None = None) -> TempoState | None:
        """Tempo and beat at engine time t; None without a fresh clock (none yet, it stopped, or out of range)."""
        now = self.origin + t
        with self._lock:
            if self._fit is None or self._last_at is None:
                return None
            intercept, period, last_n = self._fit
            if now - self._last_at > STALE_PERIODS * period + STALE_S:
                return None
            bpm = 60.0 / (PPQN * period)
            if not MIN_BPM <= bpm <= MAX_BPM:
                return None
            fitted_last = intercept + period * last_n  # the last tick's time on the fitted line
            since = min(max(-period, now - fitted_last), period)  # between ticks; never past the next one
            pos = max(0.0, self._pos_at_fit + since / period) if self._pos_at_fit >= 0 else 0.0
            return TempoState(bpm, pos / PPQN, self.name, running=self.playing is not False)


def _line(pts: list[tuple[int, float]]) -> tuple[float, float] | None:
    """(intercept, slope) of the least-squares line time = intercept + slope x tick number; None if degenerate."""
    n = len(pts)
    if n < 3:
        return None
    mx = sum(i for i, _ in pts) / n
    my = sum(t for _, t in pts) / n
    sxx = sum((i - mx) ** 2 for i, _ in pts)
    sxy = sum((i - mx) * (t - my) for i, t in pts)
    period = sxy / sxx if sxx > 0 else 0.0
    return None if period <= 0 else (my - period * mx, period)
