"""Tempo-locked motion and effects, per frame: speed_beats, class_shuffle_bars, the strobe, flash_on_beat, and the
one-shot flash and pulse a pad fires (MIDI notes, with their velocity).

FrameStep asks it before the controller's step (what to override, whether the classes shuffle on this
frame) and after (the flash). Without a tempo (no source, or it has none now) the plain parameters rule:
speed_fpm and class_shuffle_seconds, no strobe, flashes as they come.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from livedream.audio.features import AudioFeatures
from livedream.control.tempo import TempoSource, TempoState

STROBE_DECAY_S = 0.06  # the strobe's flash fades with this time constant
SHOT_DECAY_S = 0.15  # a pad's one-shot flash or pulse fades with this
HELD_DECAY_S = 0.1  # a flash held back to the beat grid fades with this once it fires
DIVISIONS = {"1": 1.0, "1/2": 0.5, "1/4": 0.25}
_EPS = 1e-9  # a frame exactly on a grid line counts as on it (t = k / fps is not exact in binary)


class TempoLock:
    """The tempo-dependent part of one frame; `shuffles` lists the frame times at which the classes shuffled."""

    def __init__(self, source: TempoSource | None = None):
        self.source = source
        self.state: TempoState | None = None
        self.shuffles: list[float] = []
        self._bar_index: int | None = None
        self._grid_index: int | None = None
        self._shots = {"flash": 0.0, "pulse": 0.0}
        self._strobe = 0.0
        self._held = 0.0  # the strongest flash heard since the last grid line (flash_on_beat)
        self._released = 0.0  # the held flash, fired at the grid line and fading

    def trigger(self, kind: str, amount: float) -> None:
        """A one-shot "flash" or "pulse" of amount in [0, 1] (a pad's velocity / 127), starting with the next frame."""
        self._shots[kind] = max(self._shots[kind], min(1.0, max(0.0, float(amount))))

    def before(
        self, t: float, dt: float, features: Mapping[str, AudioFeatures], p: Mapping[str, Any]
    ) -> tuple[Mapping[str, AudioFeatures], dict[str, Any], bool]:
        """(features with a pad's pulse added, parameter overrides for the controller, shuffle the classes now?)."""
        self.state = state = self.source.state(t, features) if self.source is not None else None
        overrides: dict[str, Any] = {}
        shuffle = False
        if state is not None and p.get("speed_beats"):
            overrides["speed_fpm"] = state.bpm / p["speed_beats"]  # anchors a minute = beats a minute / beats an anchor
        bars = p.get("class_shuffle_bars")
        if state is not None and bars:
            overrides["class_shuffle_seconds"] = None  # the bar lines shuffle instead
            index = math.floor(state.bar / bars + _EPS)
            shuffle = self._bar_index is not None and index != self._bar_index
            self._bar_index = index
            if shuffle:
                self.shuffles.append(t)
        else:
            self._bar_index = None
        for kind in self._shots:
            self._shots[kind] *= math.exp(-dt / SHOT_DECAY_S)
        pulse = self._shots["pulse"]
        if pulse > 1e-3 and "pulse" in features:
            f = features["pulse"]
            boosted = dataclasses.replace(
                f,
                percussive_env=f.percussive_env + pulse,
                harmonic_env=f.harmonic_env + pulse,
                level_env=f.level_env + pulse,
            )
            features = {**features, "pulse": boosted}
        return features, overrides, shuffle

    def flash(self, amp: float, dt: float, p: Mapping[str, Any]) -> float:
        """The flash amplitude (0..1, times flash_strength later) with the strobe and flash_on_beat applied."""
        state = self.state
        crossed = False
        if state is not None and (p.get("strobe_on_beat") or p.get("flash_on_beat")):
            index = math.floor(state.beat / DIVISIONS.get(p.get("strobe_division", "1"), 1.0) + _EPS)
            crossed = self._grid_index is not None and index != self._grid_index
            self._grid_index = index
        else:
            self._grid_index = None
        self._strobe = 1.0 if crossed and p.get("strobe_on_beat") else self._strobe * math.exp(-dt / STROBE_DECAY_S)
        if state is not None and p.get("flash_on_beat"):
            self._held = max(self._held, amp)
            if crossed:
                self._released, self._held = max(self._released, self._held), 0.0
            else:
                self._released *= math.exp(-dt / HELD_DECAY_S)
            amp = self._released
        else:
            self._held = self._released = 0.0
        return max(amp, self._strobe)

    def flash_shot(self) -> float:
        """A pad's one-shot flash now: an amount for the flash shader whatever flash_strength is."""
        return self._shots["flash"]
