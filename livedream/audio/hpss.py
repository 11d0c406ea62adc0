"""Causal harmonic/percussive split of a magnitude spectrogram, one frame at a time, past frames only."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def leading_edge_window(n: int, fall: int) -> np.ndarray:
    """[n] a window that rises over n - fall samples and falls over the newest `fall` only.

    A symmetric window gives the newest samples almost no weight, so an attack counts fully only once it
    has travelled to the window's middle, half a window (23 ms at 1024) late. With the peak near the leading
    edge an attack counts within a hop, while the long rise keeps the frequency resolution that HPSS needs.
    """
    rise = n - fall
    up = np.sin(0.5 * np.pi * (np.arange(rise) + 0.5) / rise) ** 2  # [rise] half Hann, 0 -> 1
    down = np.cos(0.5 * np.pi * (np.arange(fall) + 0.5) / fall) ** 2  # [fall] half Hann, 1 -> 0
    return np.concatenate([up, down]).astype(np.float32)  # [n]


class CausalHPSS:
    """Median-filter HPSS (Fitzgerald 2010) made causal.

    Harmonic sounds are steady along time, percussive ones are flat along frequency. The harmonic
    estimate is the median along time of the last `time_frames` spectra (past only, so a new note
    reads as percussive for about half that window), the percussive one the median along frequency
    of the current spectrum, with a margin; soft Wiener masks split the current frame's energy between the two.

    Both medians are taken in one go over a [K, 2 * bins] work array: its left half is the ring of past
    spectra, its right half the dilated frequency taps of the newest one (a strided view of the edge-padded
    spectrum, copied in one call). With the default 9 x 9 a min/max network (Median9) replaces np.partition.
    """

    def __init__(
        self,
        n_bins: int,
        time_frames: int = 9,
        freq_bins: int = 9,
        dilation: int = 2,
        power: float = 2.0,
        margin: float = 2.0,
    ):
        time_frames |= 1  # odd, so the median is one element
        self.freq_bins = freq_bins | 1  # odd kernel
        self.n_bins = n_bins
        self.pos = 0
        self.dilation = dilation  # kernel taps every `dilation` bins: a wide span for the price of few taps
        self.power = power
        self.reach = (self.freq_bins // 2) * dilation
        # percussive must beat margin x harmonic (Driedger et al. 2014): dense chords stay harmonic
        self.margin = margin
        self._stacked = time_frames == self.freq_bins
        rows = self.freq_bins if self._stacked else time_frames
        self._work = np.zeros((rows, 2 * n_bins), np.float32)  # [K, 2 * bins] past spectra | frequency taps
        self.history = self._work[:time_frames, :n_bins]  # [T, bins] ring of past magnitudes
        self._pad = np.zeros(n_bins + 2 * self.reach, np.float32)  # [bins + 2 reach] the edge-padded spectrum
        # [K, bins] tap k of bin i is pad[i + k * dilation]: a view, built once
        self._taps = sliding_window_view(self._pad, n_bins)[::dilation][: self.freq_bins]
        self._median = Median9(2 * n_bins) if self._stacked and rows == 9 else None
        # [2 * bins] the margin on the harmonic half, 1 on the percussive half (as float32: margin * harm is)
        self._scale = np.concatenate([np.full(n_bins, margin, np.float32), np.ones(n_bins, np.float32)])
        self._med = np.empty(2 * n_bins, np.float32)  # [2 * bins] harmonic | percussive medians
        self._total = np.empty(n_bins, np.float32)
        self.mask_p = np.zeros(n_bins, np.float32)  # [bins] 0..1, the newest percussive mask

    def __call__(self, mag: np.ndarray) -> tuple[float, float]:
        """mag [bins] magnitude spectrum of the newest frame -> (percussive energy, harmonic energy)."""
        n, r = self.n_bins, self.reach
        self.history[self.pos] = mag
        self.pos = (self.pos + 1) % len(self.history)
        pad = self._pad
        pad[r : r + n] = mag
        pad[:r] = mag[0]
        pad[r + n :] = mag[-1]
        sq = self._medians()  # [2 * bins] harmonic | percussive
        sq *= self._scale
        sq **= self.power
        hp, pp = sq[:n], sq[n:]
        total = np.add(hp, pp, out=self._total)
        # pp / total where total > 0, else 0 (then pp is 0 too): a floor of the smallest float32 changes no quotient
        np.maximum(total, _TINY, out=total)
        mask_p = np.divide(pp, total)  # [bins] 0..1, new each hop: the drum bands read it
        self.mask_p = mask_p  # kept for the drum bands, which split the percussive spectrum
        energy = np.square(mag, dtype=np.float64)  # [bins]
        perc_e = float(np.dot(mask_p, energy))
        return perc_e, float(energy.sum()) - perc_e

    def _medians(self) -> np.ndarray:
        """-> [2 * bins] the time median of the ring and the frequency median of the newest spectrum."""
        n, w, med = self.n_bins, self._work, self._med
        if self._stacked:
            w[:, n:] = self._taps
            if self._median is not None:
                return self._median(w, med)
            med[:] = np.partition(w, len(w) // 2, axis=0)[len(w) // 2]
            return med
        mid_t, half = len(self.history) // 2, self.freq_bins // 2
        med[:n] = np.partition(self.history, mid_t, axis=0)[mid_t]
        med[n:] = np.partition(self._taps, half, axis=0)[half]
        return med


_TINY = np.float32(np.finfo(np.float32).smallest_subnormal)


class Median9:
    """Per-column median of a [9, m] array by a min/max network: exact (it only selects), ~16 vectorised calls.

    np.partition along a 9-long axis costs ~50 us for 513 columns, most of the analyzer's HPSS time. Here the
    9 values of a column form 3 triples; each triple is sorted, and the median is med3(largest minimum, median of
    the medians, smallest maximum), as in Paeth's median-of-9 network.
    """

    def __init__(self, m: int):
        self._t = np.empty((4, 3, m), np.float32)  # [4, 3, m] scratch: the triples' min, median, max, a temporary
        self._v = np.empty((5, m), np.float32)  # [5, m] scratch for the med3 steps

    def __call__(self, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """rows [9, m] -> out [m], each column's median."""
        lo, mid, hi, tmp = self._t
        a, b, c = rows[0:3], rows[3:6], rows[6:9]  # [3, m] each: triple i of a column is rows i, 3 + i, 6 + i
        np.minimum(a, b, out=tmp)
        np.maximum(a, b, out=hi)
        np.minimum(tmp, c, out=lo)
        np.maximum(tmp, c, out=tmp)
        np.minimum(hi, tmp, out=mid)
        np.maximum(hi, c, out=hi)
        p, q, r, s, u = self._v
        np.maximum.reduce(lo, axis=0, out=p)  # [m] the largest of the triples' minima
        np.minimum.reduce(hi, axis=0, out=r)  # [m] the smallest of their maxima
        _med3(mid[0], mid[1], mid[2], q, s, u)  # [m] the median of their medians
        return _med3(p, q, r, out, s, u)


def _med3(x: np.ndarray, y: np.ndarray, z: np.ndarray, out: np.ndarray, s: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Elementwise median of three: max(min(x, y), min(max(x, y), z)); s and u are scratch arrays."""
    np.minimum(x, y, out=s)
    np.maximum(x, y, out=u)
    np.minimum(u, z, out=u)
    return np.maximum(s, u, out=out)
