"""Chroma filterbank weights: how much each FFT bin's power counts towards each of the 12 pitch classes."""

from __future__ import annotations

import numpy as np

from livedream.audio.hpss import leading_edge_window
from livedream.audio.spectrum import MagnitudeSpectrum

# Tuned on the shared eval clips (bench/README-analysis.md): 60 Hz - 2 kHz keeps the fundamentals of
# bass to melody and drops most upper harmonics, which otherwise smear energy onto fifths and thirds.
CHROMA_FMIN = 60.0
CHROMA_FMAX = 2000.0
CHROMA_WIDTH = 0.5  # semitones: gaussian std at high frequencies; low bins use their own (wider) width


def chroma_weights(
    sample_rate: int, win_size: int, fmin: float = CHROMA_FMIN, fmax: float = CHROMA_FMAX, width: float = CHROMA_WIDTH
) -> np.ndarray:
    """[12, win_size // 2 + 1] weights, C..B, A4 = 440 Hz.

    Each bin inside [fmin, fmax] spreads onto the pitch classes with a gaussian in semitones
    (circular distance), its width the larger of `width`/2 and half the bin's own width in
    semitones, so that coarse low bins are not assigned to one pitch class with false precision.
    """
    n_bins = win_size // 2 + 1
    freqs = np.arange(n_bins) * sample_rate / win_size  # [bins] Hz
    df = sample_rate / win_size
    safe = np.maximum(freqs, df / 2)
    midi = 69.0 + 12.0 * np.log2(safe / 440.0)  # [bins]
    bin_semitones = 12.0 * np.log2((safe + df / 2) / np.maximum(safe - df / 2, 1e-6))  # [bins]
    sigma = np.maximum(width * 0.5, bin_semitones * 0.5)
    pcs = np.arange(12)[:, None]  # [12, 1]
    dist = (midi[None, :] - pcs + 6.0) % 12.0 - 6.0  # [12, bins] semitones, -6..6
    weights = np.exp(-0.5 * (dist / sigma[None, :]) ** 2)
    weights *= ((freqs >= fmin) & (freqs <= fmax))[None, :]
    return weights.astype(np.float32)


BASS_FMIN, BASS_FMAX = 30.0, 220.0  # bass chroma: the lowest line (roots), apart from the chords above it
PEAK_OVER_LOCAL = 1.5  # a spectral peak counts only if it stands this far above the local mean (noise, drums)
LOCAL_BINS = 15
# The window falls over its newest 1/8 only (as the onset spectrum's): a chord counts ~30 ms sooner than with a
# Hann window of the same length and frequency resolution, and the same spectrum serves the pitch novelty.
CHROMA_FALL = 8  # the window falls over n_fft // CHROMA_FALL samples


class StreamingChroma:
    """One long FFT per update -> (chroma [12], bass chroma [12]) of the peaks that stand out of the spectrum.

    Only local maxima count (a low note's side lobes land a semitone away), and only those above
    PEAK_OVER_LOCAL times the surrounding mean: broadband drum noise makes many small peaks, tones few tall ones.
    Peaks count by magnitude, not power: with power one loud note hides the quieter notes of the chord
    (wide eval set: cosine 0.80 -> 0.84).
    """

    def __init__(self, sample_rate: int, n_fft: int):
        self.n_fft = n_fft
        self.window = leading_edge_window(n_fft, n_fft // CHROMA_FALL)  # [n_fft]
        self.mag_to_amp = 2.0 / float(self.window.sum())  # a sine of amplitude A peaks at ~A
        self._spectrum = MagnitudeSpectrum(self.window)
        self.mag = np.zeros(n_fft // 2 + 1, np.float32)  # [bins] the newest magnitude spectrum (for pitch novelty)
        weights = chroma_weights(sample_rate, n_fft)  # [12, bins]
        bass_weights = chroma_weights(sample_rate, n_fft, BASS_FMIN, BASS_FMAX)  # [12, bins]
        # Only the bins that some weight uses are peak-picked, with a margin that keeps their local means exact.
        used = np.flatnonzero((weights > 0).any(axis=0) | (bass_weights > 0).any(axis=0))
        used = used if len(used) else np.array([1])
        margin = LOCAL_BINS // 2 + 1
        self.lo, self.hi = max(0, int(used[0]) - margin), min(n_fft // 2 + 1, int(used[-1]) + 1 + margin)
        self.weights = np.ascontiguousarray(weights[:, self.lo + 1 : self.hi - 1])  # [12, used bins]
        self.bass_weights = np.ascontiguousarray(bass_weights[:, self.lo + 1 : self.hi - 1])  # [12, used bins]
        self.kernel = np.ones(LOCAL_BINS, np.float32) / LOCAL_BINS

    def spectra(self, frames: np.ndarray) -> np.ndarray:
        """frames [..., n_fft] samples -> [..., bins] their magnitude spectra (several in one call: cheaper)."""
        return self._spectrum(frames)

    def __call__(self, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """mag [bins] the newest spectrum (from spectra) -> (chroma, bass chroma), each [12] (summed peak
        magnitudes)."""
        self.mag = mag
        m = mag[self.lo : self.hi]  # [used bins + margins]
        local = np.convolve(m, self.kernel, mode="same")
        c = m[1:-1]  # [used bins]
        inner = c >= np.maximum(m[:-2], m[2:])  # a local maximum (no NaN here: as c >= left and c >= right)
        inner &= c > PEAK_OVER_LOCAL * local[1:-1]  # that stands out of its surroundings
        peaks = c * inner  # [used bins]
        return self.weights @ peaks, self.bass_weights @ peaks
