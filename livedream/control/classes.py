"""Class control: the 12 pitch classes drive 12 chosen classes of the generator, as in Lucid Sonic Dreams."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from livedream.errors import LivedreamError

# How often the causal "dominant classes first" ranking is revisited, in seconds.
RANK_EVERY_S = 4.0
# LSD adds class_pitch_react x chroma to the class vector each frame at 43 fps, then rescales it to 0..1.
PITCH_RATE_PER_S = 43.0
# Pitch confidence: the chroma counts in full when the harmonic part is at least PITCH_FULL of full scale
# (as power), not at all below PITCH_NONE; drums alone stay below (on the eval kit's drum clip 90 % of frames
# are under 0.18), so their chroma noise does not move the class.
PITCH_NONE, PITCH_FULL = 0.2, 0.4
# The smoother follows a change of d (0..1, the largest class difference) with a time constant of
# class_smooth_seconds / (1 + (d / SMOOTH_KNEE)**2): wobbles of a few percent are smoothed over the full
# time, a new chord (d ~ 0.5) is followed within a hundredth of it. Measured on the eval kit at 1 s, the class
# trails the true chroma by 0.21-0.23 s, of which 0.14 s is the chroma analysis itself (bench_lsd_fidelity).
# Lucid Sonic Dreams' block means look half a window ahead instead; this looks at nothing ahead.
SMOOTH_KNEE = 0.05


def check_classes(classes: Sequence[int] | None, c_dim: int) -> None:
    """An out-of-range class id is an error naming it (LSD silently drove another class)."""
    if not classes or not c_dim:
        return
    bad = [int(k) for k in classes if not 0 <= int(k) < c_dim]
    if bad:
        raise LivedreamError(
            f"classes: class id {bad[0]} is out of range; this model has {c_dim} classes (0..{c_dim - 1})"
        )


def pitch_confidence(harmonic_env: float) -> float:
    """0..1: how much the chroma of this moment is pitch rather than noise, from the harmonic part's power."""
    power = min(1.0, max(0.0, harmonic_env)) ** 2
    return min(1.0, max(0.0, (power - PITCH_NONE) / (PITCH_FULL - PITCH_NONE)))


class ClassMixer:
    """Turns chroma into a class vector c [c_dim], LSD's way, causally.

    LSD adds each frame's chroma to the previous class vector and rescales it to 0..1, so the pitches
    heard lately weigh most and the strongest class is at 1; the result is times class_complexity.
    Then it smooths with block means that look ahead; here a causal smoother that is fast for large
    changes keeps the lag small. Pitches are weighted by a pitch confidence, so drums hold the class.
    """

    def __init__(self, c_dim: int, rng: np.random.Generator, pitch_totals: np.ndarray | None = None):
        self.c_dim = c_dim
        self._rng = rng
        self._random_classes = self._pick_random() if c_dim else []
        self._rank_order = np.arange(12)  # by dominance: pitch class p ranks _rank_order[p]
        self._shift = 0  # shuffles so far rotate the ranks by this much
        self._song_totals = None if pitch_totals is None else np.asarray(pitch_totals, np.float64)  # [12]
        self._heard = np.zeros(12)  # running shares of each pitch, for dominant_classes_first
        self._ranked = False
        self._since_rank = 0.0
        self._since_shuffle = 0.0
        self._acc = np.zeros(12)  # LSD's class vector over the 12 pitches, max 1, [12]
        self._mix = np.zeros(12)  # the smoothed one, [12]

    def _pick_random(self) -> list[int]:
        if self.c_dim >= 12:
            return [int(i) for i in self._rng.choice(self.c_dim, 12, replace=False)]
        return [int(i) for i in self._rng.permutation(np.resize(np.arange(self.c_dim), 12))]

    def step(self, dt: float, chroma_norm: np.ndarray, confidence: float, p: Mapping[str, Any]) -> np.ndarray:
        """Advance by dt seconds with chroma_norm [12] (max 1) and its pitch confidence (0..1); return c [c_dim]."""
        if not self.c_dim:
            return np.zeros(0, np.float32)
        classes = [int(k) for k in (p["classes"] or self._random_classes)]
        classes = (classes * 12)[:12]
        heard = np.clip(np.asarray(chroma_norm, np.float64), 0.0, 1.0)  # [12]
        chroma = heard * confidence  # [12]
        self._rank(dt, chroma, p)
        self._shuffle(dt, p)

        added = p["class_pitch_react"] * PITCH_RATE_PER_S * dt * chroma
        if not self._acc.any():
            added = heard  # LSD's first vector is the first chroma heard, pitch or not
        acc = self._acc + added
        top = acc.max()
        if top > 0:
            self._acc = acc / top
        tau = p["class_smooth_seconds"]
        if tau <= 0 or not self._mix.any():
            self._mix = self._acc.copy()
        elif dt > 0:
            d = float(np.abs(self._acc - self._mix).max())
            a = 1.0 - math.exp(-dt * (1.0 + (d / SMOOTH_KNEE) ** 2) / tau)
            self._mix += a * (self._acc - self._mix)

        c = np.zeros(self.c_dim, np.float32)
        weights = self._mix * p["class_complexity"]  # [12], max class_complexity
        order = (self._rank_order + self._shift) % 12  # pitch p drives classes[order[p]]
        for pitch in range(12):
            k = classes[order[pitch]]
            c[k] = max(c[k], weights[pitch])  # two pitches on one class: the stronger one, as a 0..1 scale
        return c

    def _rank(self, dt: float, chroma: np.ndarray, p: Mapping[str, Any]) -> None:
        """dominant_classes_first: the most heard pitch gets the first class (the song's total if known)."""
        total = chroma.sum()
        if total > 0:
            self._heard += chroma / total  # LSD: each frame's chroma as shares, summed
        self._since_rank += dt
        if not p["dominant_classes_first"]:
            return
        if self._song_totals is not None:
            heard = self._song_totals
        elif self._since_rank >= RANK_EVERY_S or (not self._ranked and self._heard.any()):
            heard = self._heard
        else:
            return
        self._since_rank = 0.0
        self._ranked = True
        ranking = np.argsort(-heard, kind="stable")  # most heard pitch first
        self._rank_order = np.empty(12, int)
        self._rank_order[ranking] = np.arange(12)

    @property
    def order(self) -> np.ndarray:
        """The pitch -> class slot mapping in force: pitch class p drives classes[order[p]]."""
        return (self._rank_order + self._shift) % 12

    def shuffle_now(self, p: Mapping[str, Any]) -> None:
        """Rotate the pitch-to-class mapping by round(12 x class_shuffle_strength) places, as LSD does.

        LSD's rotation by 12 (strength 1) changed nothing; here any strength above 0 moves by 1 to 11 places.
        """
        strength = p["class_shuffle_strength"]
        if strength > 0:
            self._shift = (self._shift + min(11, max(1, round(12 * strength)))) % 12

    def _shuffle(self, dt: float, p: Mapping[str, Any]) -> None:
        period = p["class_shuffle_seconds"]
        if period is None:
            return
        self._since_shuffle += dt
        if self._since_shuffle < period:
            return
        self._since_shuffle -= period * math.floor(self._since_shuffle / period)
        self.shuffle_now(p)
