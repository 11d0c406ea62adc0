"""MIDI clock as a tempo source: 24 ticks a beat -> a smoothed tempo and beat phase; Start, Stop, Continue, SPP.

The receiver thread calls tick/start/stop/continue_/song_position with the time.monotonic() of arrival;
the main thread reads state(t). The tempo is a least-squares line through the last WINDOW ticks' arrival
times (tick number -> time): the jitter of the MIDI path averages out. A tick far off the line is left out
(late ticks delivered in a burst after a flood on the wire); CHANGE_TICKS of them in a row on a steady line
of their own are a new tempo, and the fit restarts from them, so a tempo change is followed within a beat. The beat position counts ticks since Start (the first tick after Start
is beat 0, as the MIDI spec has it); Song Position Pointer moves it, in sixteenths.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Mapping
from typing import Any

from livedream.control.tempo import MAX_BPM, MIN_BPM, TempoState

PPQN = 24
WINDOW = 48  # ticks in the tempo fit: 2 beats, so a small change of tempo is followed within two (a big one: 6 ticks)
STALE_PERIODS = 3.0  # no tick for this many tick periods (plus STALE_S): the clock has stopped
STALE_S = 0.1
OUTLIER_PERIODS = 0.35  # a tick further than this (in tick periods, or OUTLIER_S) off the fitted line is left out
OUTLIER_S = 0.004  # above a JACK period's jitter
CHANGE_TICKS = 6  # this many ticks in a row off the line, but on one of their own: a new tempo
GAP_PERIODS = 24.0  # no tick for a beat: a fresh fit (the clock was restarted); shorter gaps are late ticks


class MidiClock:
    """Tempo and position from MIDI clock messages; safe to feed from one thread and read from another."""

    name = "midi"

    def __init__(self, origin: float = 0.0):
        self.origin = origin  # time.monotonic() of the engine's t = 0
        self._lock = threading.Lock()
        self._times: collections.deque[tuple[int, float]] = collections.deque(maxlen=WINDOW)  # (tick number, at)
        self._n = 0  # ticks received since the fit started
        self._fit: tuple[float, float, int] | None = None  # (intercept, period, last tick number)
        self._outliers: collections.deque[tuple[int, float]] = collections.deque(maxlen=CHANGE_TICKS)
        self._last_at: float | None = None
        self.playing: bool | None = None  # None: no Start/Stop seen; a clock without transport counts as playing
        self._pos = -1  # ticks since Start of the last tick (-1: the next tick is beat 0)
        self._pos_at_fit = -1
        self.ticks = 0  # all ticks received (the stats' counter)

    # -- the receiver's side ------------------------------------------------------------------------------------

    def tick(self, at: float) -> None:
        with self._lock:
            self.ticks += 1
            fit = self._fit
            gap = GAP_PERIODS * fit[1] if fit else 2.0
            if self._last_at is not None and at - self._last_at > max(gap, STALE_S):  # restarted: start afresh
                self._times.clear()
                self._outliers.clear()
                fit = self._fit = None
            self._last_at = at
            self._n += 1
            if self.playing is not False:
                self._pos += 1
            self._pos_at_fit = self._pos
            if fit is not None and abs(at - (fit[0] + fit[1] * self._n)) > max(OUTLIER_PERIODS * fit[1], OUTLIER_S):
                self._outlier(at)
            else:
                self._outliers.clear()
                self._times.append((self._n, at))
                line = _line(list(self._times))
                self._fit = (*line, self._n) if line else None
            if self._fit is not None:
                self._fit = (self._fit[0], self._fit[1], self._n)

    def _outlier(self, at: float) -> None:
        """A tick off the line: late ones after a flood are left out; a run of them on a steady line of their
        own is a new tempo (or a jump), and the fit starts again from them."""
        self._outliers.append((self._n, at))
        if len(self._outliers) < CHANGE_TICKS:
            return
        pts = list(self._outliers)[-CHANGE_TICKS:]
        line = _line(pts)
        if line is None or not MIN_BPM <= 60.0 / (PPQN * line[1]) <= MAX_BPM:
            return  # a burst: not a tempo
        if max(abs(t - (line[0] + line[1] * i)) for i, t in pts) > max(OUTLIER_PERIODS * line[1], OUTLIER_S):
            return
        self._times.clear()
        self._times.extend(pts)
        self._outliers.clear()
        self._fit = (*line, self._n)

    def start(self, at: float) -> None:
        with self._lock:
            self.playing, self._pos = True, -1
            self._pos_at_fit = -1
            self._times.clear()  # a new start may come at a new tempo
            self._outliers.clear()
            self._fit = None

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
