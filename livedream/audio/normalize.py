"""Causal scaling of raw features to about 0..1: adaptive peak trackers with a floor, or fixed global stats."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import final


@final  # never subclassed, so never falsy: `stats and stats.rms` is a float or None
@dataclass(frozen=True)
class GlobalStats:
    """Loud-end reference values of a whole file (a high percentile), from a first analysis pass.

    With these the envelopes are scaled the same way for the whole song, as Lucid Sonic
    Dreams does; the adaptive trackers instead work live, without knowing the future.
    """

    rms: float
    onset_strength: float
    percussive: float
    harmonic: float


class PeakTracker:
    """x / (a running peak that decays slowly), never dividing by less than `floor`.

    The floor is what keeps silence silent: below it nothing is amplified, so a noise floor or a
    fade-out reads as low values instead of being blown up to 1.
    """

    def __init__(self, floor: float, half_life_s: float, hop_s: float, peak: float | None = None):
        self.floor = float(floor)
        self.fixed = peak is not None
        self.peak = float(peak) if peak is not None else self.floor
        self.decay = 0.5 ** (hop_s / half_life_s)  # per hop

    def __call__(self, x: float) -> float:
        if not self.fixed:
            self.peak = max(x, self.peak * self.decay, self.floor)
        return min(1.0, x / max(self.peak, self.floor))


class Envelope:
    """One-pole follower with separate attack and release time constants (seconds; 0 = instant)."""

    def __init__(self, attack_s: float, release_s: float, hop_s: float):
        self.a_up = 0.0 if attack_s <= 0 else math.exp(-hop_s / attack_s)
        self.a_down = 0.0 if release_s <= 0 else math.exp(-hop_s / release_s)
        self.value = 0.0

    def __call__(self, x: float) -> float:
        a = self.a_up if x > self.value else self.a_down
        self.value = a * self.value + (1.0 - a) * x
        return self.value
