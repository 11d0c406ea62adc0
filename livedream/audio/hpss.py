"""Causal harmonic/percussive split of a magnitude spectrogram, one frame at a time, past frames only."""

from __future__ import annotations

import numpy as np


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
        self.history = np.zeros((time_frames, n_bins), np.float32)  # [T, bins] ring of past magnitudes
        self.pos = 0
        self.freq_bins = freq_bins | 1  # odd kernel
        self.dilation = dilation  # kernel taps every `dilation` bins: a wide span for the price of few taps
        self.power = power
        self.reach = (self.freq_bins // 2) * dilation
        # [bins, K] where each bin's frequency-median taps lie in the edge-padded spectrum (built once: cheap per hop)
        self.taps = np.arange(n_bins)[:, None] + np.arange(0, 2 * self.reach + 1, dilation)[None, :]
        self.margin = (
            margin  # percussive must beat margin x harmonic (Driedger et al. 2014): dense chords stay harmonic
        )

    def __call__(self, mag: np.ndarray) -> tuple[float, float]:
        """mag [bins] magnitude spectrum of the newest frame -> (percussive energy, harmonic energy)."""
        self.history[self.pos] = mag
        self.pos = (self.pos + 1) % len(self.history)
        mid_t = len(self.history) // 2
        harm = np.partition(self.history, mid_t, axis=0)[mid_t]  # [bins] median along time (odd count)
        half = self.freq_bins // 2
        padded = np.concatenate(
            [np.full(self.reach, mag[0], np.float32), mag, np.full(self.reach, mag[-1], np.float32)]
        )
        perc = np.partition(padded[self.taps], half, axis=1)[:, half]  # [bins] median along frequency
        hp, pp = (self.margin * harm) ** self.power, perc**self.power
        total = hp + pp
        mask_p = np.divide(pp, total, out=np.zeros_like(total), where=total > 0)  # [bins] 0..1
        self.mask_p = mask_p  # kept for the drum bands, which split the percussive spectrum
        energy = mag.astype(np.float64) ** 2
        perc_e = float(np.dot(mask_p, energy))
        return perc_e, float(energy.sum()) - perc_e
