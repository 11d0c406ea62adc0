"""Tempo sources — tap, the analyzer's beats, a fixed grid, MIDI clock — and the one chosen by `--tempo`.

Every source answers state(t, features) -> TempoState | None for the engine's frame time t (seconds from
the start); None means "no tempo now", and the tempo-locked parameters then fall back to their plain
counterparts (speed_fpm, class_shuffle_seconds). Live sources that hear time.monotonic() stamps (taps, MIDI
clock) convert with an origin: the monotonic time of t = 0.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from livedream.audio.features import AudioFeatures

log = logging.getLogger(__name__)

BEATS_PER_BAR = 4
TAP_GAP_S = 2.0  # a pause longer than this between taps starts a new count
TAP_MIN_S = 0.2  # taps closer than this are a double hit, not a tempo (300 BPM)
MIN_BPM, MAX_BPM = 20.0, 400.0
BEATS_MIN_CONFIDENCE = 0.1  # the analyzer's beat confidence below which its tempo is not trusted
SILENCE_RMS = 1e-4  # about -80 dBFS: below this there is no music, so no beat, whatever the tracker says
SILENCE_HOLD_S = 2.0  # a pause shorter than this (a break) keeps the analyzer's tempo
MODES = ("auto", "beats", "tap", "midi")


@dataclass(frozen=True)
class TempoState:
    """A tempo at one moment: beat counts beats since the source's origin (continuous), bpm its rate."""

    bpm: float
    beat: float
    source: str
    running: bool = True
    beats_per_bar: int = BEATS_PER_BAR  # the analyzer's meter where it knows one (3 in a waltz), else 4

    @property
    def beat_phase(self) -> float:
        return self.beat % 1.0

    @property
    def bar(self) -> float:
        return self.beat / self.beats_per_bar

    @property
    def bar_phase(self) -> float:
        return self.bar % 1.0

    def ahead(self, seconds: float) -> TempoState:
        """The same tempo, seconds later."""
        return TempoState(
            self.bpm, self.beat + seconds * self.bpm / 60.0, self.source, self.running, self.beats_per_bar
        )


class TempoSource(Protocol):
    """Where tempo comes from: one state per frame, None while it has none."""

    name: str

    def state(self, t: float, features: Mapping[str, AudioFeatures]) -> TempoState | None: ...


class TapTempo:
    """Taps, one a beat, -> a tempo: the mean interval of the last taps (up to 8) since the last long pause.

    Tap times are time.monotonic() stamps; the beat grid passes through the last tap.
    """

    name = "tap"

    def __init__(self, origin: float = 0.0):
        self.origin = origin
        self.times: list[float] = []
        self.bpm: float | None = None
        self._beat_s: float | None = None
        self._anchor: tuple[float, float] | None = None  # (monotonic time of a tap, its beat number)

    def tap(self, at: float) -> float | None:
        """Add a tap; the beat interval in seconds once there are two or more taps in a row, else None."""
        if self.times and (at - self.times[-1] > TAP_GAP_S):
            self.times = []
        if self.times and at - self.times[-1] < TAP_MIN_S:
            return None
        self.times = [*self.times, at][-8:]
        if len(self.times) < 2:
            return None
        beat = (self.times[-1] - self.times[0]) / (len(self.times) - 1)
        self.bpm = round(60.0 / beat, 1)
        prior = self._anchor[1] + round((at - self._anchor[0]) / beat) if self._anchor else 0.0
        self._beat_s, self._anchor = beat, (at, prior)
        return beat

    def state(self, t: float, features: Mapping[str, AudioFeatures] | None = None) -> TempoState | None:
        if self._beat_s is None or self._anchor is None:
            return None
        at, beat = self._anchor
        return TempoState(60.0 / self._beat_s, beat + (self.origin + t - at) / self._beat_s, self.name)


class FixedTempo:
    """A known grid: bpm from first_beat_s on (a click track, a song whose tempo the user knows)."""

    name = "fixed"

    def __init__(self, bpm: float, first_beat_s: float = 0.0):
        self.bpm, self.first_beat_s = float(bpm), float(first_beat_s)

    def state(self, t: float, features: Mapping[str, AudioFeatures] | None = None) -> TempoState | None:
        return TempoState(self.bpm, (t - self.first_beat_s) * self.bpm / 60.0, self.name)


class BeatsTempo:
    """The analyzer's beat tracker, read through getattr so it works before and after the beat fields grow.

    Reads tempo_bpm and beat_phase from the mix's features, and bar_phase and beat_confidence where the
    analyzer provides them; counts beats itself (a wrap of beat_phase is a beat). No tempo until the
    analyzer reports one (tempo_bpm > 0, confidence above BEATS_MIN_CONFIDENCE where there is one), and
    none after SILENCE_HOLD_S of silence where there is no confidence (aubio keeps its last tempo forever).
    """

    name = "beats"

    def __init__(self, role: str = "class"):
        self.role = role
        self._beats = 0  # whole beats counted so far
        self._last_phase: float | None = None
        self._heard_at: float | None = None  # the features' time of the last hop above SILENCE_RMS

    def state(self, t: float, features: Mapping[str, AudioFeatures]) -> TempoState | None:
        f = features.get(self.role) if features else None
        bpm = float(getattr(f, "tempo_bpm", 0.0) or 0.0)
        confidence = getattr(f, "beat_confidence", None)
        if not (MIN_BPM <= bpm <= MAX_BPM) or (confidence is not None and confidence < BEATS_MIN_CONFIDENCE):
            return None
        if confidence is None:
            now = float(getattr(f, "time", t))
            if float(getattr(f, "rms", 1.0)) >= SILENCE_RMS:
                self._heard_at = now
            if self._heard_at is None or now - self._heard_at > SILENCE_HOLD_S:
                return None
        phase = float(getattr(f, "beat_phase", 0.0) or 0.0) % 1.0
        if self._last_phase is None and phase == 0.0 and not getattr(f, "beat", False):
            return None  # a tempo but no beat yet: the phase is not known
        if self._last_phase is not None and phase + 0.5 < self._last_phase:
            self._beats += 1
        self._last_phase = phase
        bar_phase = getattr(f, "bar_phase", None)
        per_bar = int(getattr(f, "beats_per_bar", BEATS_PER_BAR) or BEATS_PER_BAR)
        if bar_phase is not None and math.isfinite(bar_phase):  # the analyzer knows the downbeat: follow it
            in_bar = int(float(bar_phase) % 1.0 * per_bar + 1e-6) % per_bar
            self._beats += (in_bar - self._beats) % per_bar
        return TempoState(bpm, self._beats + phase, self.name, beats_per_bar=per_bar)


class TempoSelector:
    """One TempoSource at a time, by mode: "midi", "tap", "beats", or "auto" (MIDI clock while it runs, then a
    tapped tempo, then the analyzer's beats). Thread-safe to read: `last` is the newest state, for the stats.
    """

    def __init__(self, mode: str = "auto", midi: Any = None, tap: TapTempo | None = None, beats: Any = None):
        if mode not in MODES:
            raise ValueError(f"tempo mode {mode!r}; expected one of {', '.join(MODES)}")
        self.mode, self.midi, self.tap, self.beats = mode, midi, tap, beats
        self.name = mode
        self.origin = 0.0
        self.last: TempoState | None = None
        self._last_t = 0.0
        self._lock = threading.Lock()

    def set_origin(self, origin: float) -> None:
        """The time.monotonic() of the engine's t = 0, for the sources that hear monotonic time stamps."""
        self.origin = origin
        for source in (self.midi, self.tap):
            if source is not None:
                source.origin = origin

    def _candidates(self) -> list[Any]:
        order = {"midi": [self.midi], "tap": [self.tap], "beats": [self.beats]}.get(self.mode)
        return [s for s in (order or [self.midi, self.tap, self.beats]) if s is not None]

    def state(self, t: float, features: Mapping[str, AudioFeatures]) -> TempoState | None:
        found = None
        for source in self._candidates():
            got = source.state(t, features)
            if got is not None and got.running and MIN_BPM <= got.bpm <= MAX_BPM:
                found = got
                break
        with self._lock:
            self.last, self._last_t = found, t
        return found

    def report(self, at: float | None = None) -> dict[str, Any]:
        """For the stats file and the HUD: tempo, source, beat and bar phase at the time.monotonic() `at` (now),
        extrapolated from the last frame's state; "monotonic" says when."""
        at = time.monotonic() if at is None else at
        with self._lock:
            last, last_t = self.last, self._last_t
        if last is None:
            return {"bpm": None, "source": None, "beat_phase": None, "bar_phase": None, "beat": None, "monotonic": at}
        now = last.ahead(max(0.0, at - self.origin - last_t))
        return {
            "monotonic": round(at, 6),
            "bpm": round(now.bpm, 2),
            "source": now.source,
            "beat_phase": round(now.beat_phase, 4),
            "bar_phase": round(now.bar_phase, 4),
            "beat": round(now.beat, 4),
        }
