"""Class control: the 12 pitch classes drive 12 chosen classes of the generator, as in Lucid Sonic Dreams."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

# How often the causal "dominant classes first" ranking is revisited, in seconds.
RANK_EVERY_S = 4.0


class ClassMixer:
    """Turns chroma into a class vector c [c_dim].

    Lucid Sonic Dreams smooths with a centred window and ranks pitches over the whole song;
    here both are causal (an exponential smoother, a running ranking), so live mode can use
    the same code.
    """

    def __init__(self, c_dim: int, rng: np.random.Generator):
        self.c_dim = c_dim
        self._rng = rng
        self._random_classes = self._pick_random() if c_dim else []
        self._order = np.arange(12)  # pitch class p drives classes[_order[p]]
        self._heard = np.zeros(12)  # running chroma totals, for dominant_classes_first
        self._since_rank = 0.0
        self._since_shuffle = 0.0
        self._mix = np.zeros(12, np.float32)  # smoothed weights per pitch class, [12]

    def _pick_random(self) -> list[int]:
        if self.c_dim >= 12:
            return [int(i) for i in self._rng.choice(self.c_dim, 12, replace=False)]
        return [int(i) for i in self._rng.permutation(np.resize(np.arange(self.c_dim), 12))]

    def step(self, dt: float, chroma_norm: np.ndarray, p: Mapping[str, Any]) -> np.ndarray:
        """Advance by dt seconds with chroma_norm [12] (max 1); return c [c_dim]."""
        if not self.c_dim:
            return np.zeros(0, np.float32)
        classes = [int(k) % self.c_dim for k in (p["classes"] or self._random_classes)]
        classes = (classes * 12)[:12]

        self._heard += chroma_norm
        self._since_rank += dt
        if p["dominant_classes_first"] and (self._since_rank >= RANK_EVERY_S or not self._heard.any()):
            self._since_rank = 0.0
            ranking = np.argsort(-self._heard, kind="stable")  # most heard pitch first
            self._order = np.empty(12, int)
            self._order[ranking] = np.arange(12)
        self._shuffle(dt, p)

        gamma = 1.0 + 4.0 * (1.0 - p["class_complexity"])  # low complexity: only the strongest pitches count
        weights = np.power(np.clip(chroma_norm, 0.0, 1.0), gamma)
        follow = 1.0 - math.exp(-2.0 * p["class_pitch_react"])  # 0: ignore pitch, ~1: follow it fully
        total = weights.sum()
        target = np.full(12, 1.0 / 12) if total <= 1e-6 else weights / total
        target = (1.0 - follow) * (1.0 / 12) + follow * target
        if total <= 1e-6 and self._mix.any():
            target = self._mix  # silence holds the last mix instead of fading to grey
        tau = p["class_smooth_seconds"]
        alpha = 1.0 if tau <= 0 or not self._mix.any() else 1.0 - math.exp(-dt / tau)
        self._mix = ((1.0 - alpha) * self._mix + alpha * target).astype(np.float32)

        c = np.zeros(self.c_dim, np.float32)
        for pitch in range(12):
            c[classes[self._order[pitch]]] += self._mix[pitch]
        return c

    def _shuffle(self, dt: float, p: Mapping[str, Any]) -> None:
        period = p["class_shuffle_seconds"]
        if period is None:
            return
        self._since_shuffle += dt
        if self._since_shuffle < period:
            return
        self._since_shuffle -= period * math.floor(self._since_shuffle / period)
        self.shuffle(p)

    def shuffle(self, p: Mapping[str, Any]) -> None:
        """Swap some pitch-to-class pairs now: more with a higher class_shuffle_strength."""
        n_swaps = max(1, round(6 * p["class_shuffle_strength"])) if p["class_shuffle_strength"] > 0 else 0
        for _ in range(n_swaps):
            i, j = self._rng.choice(12, 2, replace=False)
            self._order[[i, j]] = self._order[[j, i]]
