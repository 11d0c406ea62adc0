"""Causal harmonic/percussive split of a magnitude spectrogram, one frame at a time, past frames only."""

from __future__ import annotations

import numpy as np

from livedream.audio.spectrum import strided_view


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

    It takes the spectra of several hops at once (all those of one Analyzer.feed call): at a 256-sample hop
    numpy's per-call overhead is most of the cost, and one call over k frames costs little more than over one.
    Both medians are taken in one go over a [K, k, 2 * bins] work array (the time windows | the frequency taps);
    with the default 9 x 9 a min/max network (median_of_9) replaces np.partition.
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
        self.time_frames = time_frames | 1  # odd, so the median is one element
        self.freq_bins = freq_bins | 1  # odd kernel
        self.n_bins = n_bins
        self.past = np.zeros((self.time_frames - 1, n_bins), np.float32)  # [T - 1, bins] the last spectra, oldest first
        self.dilation = dilation  # kernel taps every `dilation` bins: a wide span for the price of few taps
        self.power = power
        self.reach = (self.freq_bins // 2) * dilation
        # percussive must beat margin x harmonic (Driedger et al. 2014): dense chords stay harmonic
        self.margin = margin
        # [2 * bins] the margin on the harmonic half, 1 on the percussive half (as float32: margin * harm is)
        self._scale = np.concatenate([np.full(n_bins, margin, np.float32), np.ones(n_bins, np.float32)])

    def __call__(self, mags: np.ndarray) -> tuple[list[float], list[float], np.ndarray]:
        """mags [k, bins] the newest frames, oldest first -> (percussive energies [k], harmonic energies [k],
        percussive masks [k, bins] 0..1)."""
        n = self.n_bins
        sq = self._medians(mags)  # [k, 2 * bins] harmonic | percussive
        sq *= self._scale
        if self.power == 2.0:
            np.square(sq, out=sq)  # the same numbers as ** 2.0, a quarter of the time
        else:
            sq **= self.power
        hp, pp = sq[:, :n], sq[:, n:]
        total = np.add(hp, pp)
        # pp / total where total > 0, else 0 (then pp is 0 too): a floor of the smallest float32 changes no quotient
        np.maximum(total, _TINY, out=total)
        mask_p = np.divide(pp, total, out=total)  # [k, bins]
        energy = np.square(mags, dtype=np.float64)  # [k, bins]
        mask64 = mask_p.astype(np.float64)  # [k, bins] as np.dot(mask_p[j], energy[j]) casts it, once for all rows
        perc = [float(np.dot(m, e)) for m, e in zip(mask64, energy, strict=True)]  # a dot a row: a matvec sums
        harm = [e - p for e, p in zip(energy.sum(axis=1).tolist(), perc, strict=True)]  # in another order
        return perc, harm, mask_p

    def _medians(self, mags: np.ndarray) -> np.ndarray:
        """mags [k, bins] -> [k, 2 * bins] each frame's time median (over it and the frames before it) and
        frequency median (over its dilated taps), a new array."""
        k, n = mags.shape
        t, f = self.time_frames, self.freq_bins
        frames = np.concatenate([self.past, mags])  # [T - 1 + k, bins] oldest first
        self.past = frames[k:]
        windows = strided_view(frames, (t, k, n), (n, n, 1))  # [T, k, bins]: [:, j] frame j and the T - 1 before
        r = self.reach
        pad = np.empty((k, n + 2 * r), np.float32)  # [k, bins + 2 reach] each spectrum, edge-padded
        pad[:, r : r + n] = mags
        pad[:, :r] = mags[:, :1]
        pad[:, r + n :] = mags[:, -1:]
        taps = strided_view(pad, (f, k, n), (self.dilation, n + 2 * r, 1))  # [K, k, bins]: tap i of bin b at b + i dil
        if t != f:
            return np.concatenate([_median(windows), _median(taps)], axis=1)
        work = np.empty((f, k, 2 * n), np.float32)  # [K, k, 2 * bins]
        work[:, :, :n] = windows
        work[:, :, n:] = taps
        return _median(work.reshape(f, k * 2 * n)).reshape(k, 2 * n)


_TINY = np.float32(np.finfo(np.float32).smallest_subnormal)


def _median(rows: np.ndarray) -> np.ndarray:
    """rows [R, ...] (R odd) -> [...] the median along the first axis."""
    if len(rows) == 9:
        return median_of_9(rows)
    return np.partition(rows, len(rows) // 2, axis=0)[len(rows) // 2]


def median_of_9(rows: np.ndarray) -> np.ndarray:
    """rows [9, ...] -> [...] the median along the first axis, by a min/max network: exact (it only selects).

    np.partition along a 9-long axis costs ~50 us for 513 columns, most of the analyzer's HPSS time; this is
    16 vectorised calls. The 9 values of a column form 3 triples; each triple is sorted, and the median is
    med3(largest minimum, median of the medians, smallest maximum), as in Paeth's median-of-9 network.
    """
    a, b, c = rows[0:3], rows[3:6], rows[6:9]  # [3, ...] each: triple i of a column is rows i, 3 + i, 6 + i
    lo, mid, hi, tmp = np.empty((4, *a.shape), rows.dtype)  # the triples' min, median, max; a temporary
    np.minimum(a, b, out=tmp)
    np.maximum(a, b, out=hi)
    np.minimum(tmp, c, out=lo)
    np.maximum(tmp, c, out=tmp)
    np.minimum(hi, tmp, out=mid)
    np.maximum(hi, c, out=hi)
    p = np.maximum.reduce(lo, axis=0)  # [...] the largest of the triples' minima
    r = np.minimum.reduce(hi, axis=0)  # [...] the smallest of their maxima
    q = _med3(mid[0], mid[1], mid[2], lo[0])  # [...] the median of their medians
    return _med3(p, q, r, lo[1])


def _med3(x: np.ndarray, y: np.ndarray, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Elementwise median of three, max(min(x, y), min(max(x, y), z)), into out (which may not be x, y or z)."""
    u = np.maximum(x, y)
    np.minimum(u, z, out=u)
    np.minimum(x, y, out=out)
    return np.maximum(out, u, out=out)
