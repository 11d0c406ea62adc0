"""Harmonic novelty for the beat tracker: how much the chroma of the HARM_S after a hop differs from the HARM_S before."""

from __future__ import annotations

import numpy as np

HARM_S = 0.2  # each side's span: a bump about a beat wide where the chord changes (0.1-0.5 s all within +-0.01)


class HarmonicNovelty:
    """A ring of the newest chromas at the beat tracker's ring positions, and the novelty of each hop, 1 - cosine of
    the chroma summed over the w hops up to it and the w after it, filled in (into a row of the tracker's ring) once
    those w have been heard. Only the hops new since the last fill are computed: one cumsum per phase fit."""

    def __init__(self, n_hist: int, hop_s: float):
        self.n_hist = n_hist
        self.w = max(1, int(round(HARM_S / hop_s)))
        self.chromas = np.zeros((n_hist, 12))  # [n_hist, 12]
        self._next = self.w  # the first hop (0 the first heard) whose novelty is not filled in yet

    def fill(self, row: np.ndarray, count: int) -> None:
        """Write the novelty of the hops whose next w hops are heard into row [n_hist] (hop k at k % n_hist), count
        hops having been heard; 0 where either side is silent."""
        w, n = self.w, self.n_hist
        first = max(self._next, count - n + w)
        m = count - w - first  # the hops first .. first + m - 1 are filled in now (hop k + w is heard)
        if m <= 0:
            return
        i0 = (first - w) % n  # the chromas of hops first - w .. first + m + w - 1
        end = i0 + m + 2 * w
        span = self.chromas[i0:end] if end <= n else self.chromas[np.arange(i0, end) % n]  # [m + 2w, 12]
        cs = span.cumsum(axis=0)
        a, b = cs[w : w + m] - cs[:m], cs[2 * w :] - cs[w : w + m]  # [m, 12] the sums up to each hop and after it
        dots = np.stack((a * b, a * a, b * b)).sum(axis=2)  # [3, m]
        den = np.sqrt(dots[1] * dots[2])
        nov = np.where(den > 1e-12, 1.0 - dots[0] / np.maximum(den, 1e-12), 0.0)  # [m]
        j0 = first % n
        if j0 + m <= n:
            row[j0 : j0 + m] = nov
        else:
            row[np.arange(j0, j0 + m) % n] = nov
        self._next = first + m
