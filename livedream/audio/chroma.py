"""Streaming chroma: the peaks of one long spectrum, each at its interpolated frequency, onto the 12 pitch classes."""

from __future__ import annotations

import numpy as np

from livedream.audio.hpss import leading_edge_window
from livedream.audio.spectrum import PEAK_LOCAL_BINS, MagnitudeSpectrum, peaks_over_local

# Tuned on the shared eval clips (bench/README-analysis.md): 60 Hz - 2 kHz keeps the fundamentals of
# bass to melody and drops most upper harmonics, which otherwise smear energy onto fifths and thirds.
CHROMA_FMIN = 60.0
CHROMA_FMAX = 2000.0
CHROMA_WIDTH = 0.5  # semitones: a peak spreads onto the pitch classes with a gaussian of std CHROMA_WIDTH / 2


def pitch_class_weights(midi: np.ndarray, width: float = CHROMA_WIDTH) -> np.ndarray:
    """[n] pitches (fractional MIDI numbers) -> [12, n] their weights on the pitch classes C..B: a gaussian in
    semitones (circular distance, std width / 2), so that a note a quarter-tone off still counts mostly where it is
    nearest."""
    pcs = np.arange(12)[:, None]  # [12, 1]
    dist = (midi[None, :] - pcs + 6.0) % 12.0 - 6.0  # [12, n] semitones, -6..6
    return np.exp(-0.5 * (dist / (0.5 * width)) ** 2).astype(np.float32)


OFFSET_STEPS = 16  # a peak's interpolated position is taken to 1/16 of a bin (0.07 semitone at 80 Hz)
BASS_FMIN, BASS_FMAX = 30.0, 220.0  # bass chroma: the lowest line (roots), apart from the chords above it
PEAK_OVER_LOCAL = 1.5  # a spectral peak counts only if it stands this far above the local mean (noise, drums)
# The window falls over its newest 1/8 only (as the onset spectrum's): a chord counts ~30 ms sooner than with a
# Hann window of the same length and frequency resolution, and the same spectrum serves the pitch novelty.
CHROMA_FALL = 8  # the window falls over n_fft // CHROMA_FALL samples


class StreamingChroma:
    """One long FFT per update -> (chroma [12], bass chroma [12]) of the peaks that stand out of the spectrum.

    Only local maxima count (a low note's side lobes land a semitone away), and only those above
    PEAK_OVER_LOCAL times the surrounding mean: broadband drum noise makes many small peaks, tones few tall ones.
    Peaks count by magnitude, not power: with power one loud note hides the quieter notes of the chord
    (wide eval set: cosine 0.80 -> 0.84). Each peak counts at its own frequency, interpolated between bins (a
    parabola through the log magnitudes of the peak bin and its two neighbours: within 0.004 bin for a sine under
    this window), not at its bin's: below ~100 Hz the 5.4 Hz bins are a semitone wide, and a bass note between two
    bins, or a recording tuned a little sharp, went to the neighbouring pitch class (an E2 at 83.5 Hz read as F).
    """

    def __init__(self, sample_rate: int, n_fft: int):
        self.n_fft = n_fft
        self.window = leading_edge_window(n_fft, n_fft // CHROMA_FALL)  # [n_fft]
        self.mag_to_amp = 2.0 / float(self.window.sum())  # a sine of amplitude A peaks at ~A
        self._spectrum = MagnitudeSpectrum(self.window)
        self.mag = np.zeros(n_fft // 2 + 1, np.float32)  # [bins] the newest magnitude spectrum (for pitch novelty)
        self.df = sample_rate / n_fft  # Hz a bin
        fmin, fmax = min(CHROMA_FMIN, BASS_FMIN), max(CHROMA_FMAX, BASS_FMAX)
        # Only the bins a peak in [fmin, fmax] can sit in are peak-picked (one more each side: a peak's frequency
        # moves by up to half a bin), with a margin that keeps their local means exact.
        first, last = max(1, int(fmin / self.df) - 1), min(n_fft // 2 - 1, int(np.ceil(fmax / self.df)) + 1)
        margin = PEAK_LOCAL_BINS // 2 + 1
        self.lo, self.hi = max(0, first - margin), min(n_fft // 2 + 1, last + 1 + margin)
        # The weights of a peak at every position in the picked bins, in steps of 1 / OFFSET_STEPS of a bin (a look-up
        # costs less than the gaussian per peak), zero outside each chroma's frequency range.
        pos = self.lo + 1 + np.arange((self.hi - self.lo - 2) * OFFSET_STEPS + 1) / OFFSET_STEPS - 0.5  # [positions]
        freq = np.maximum(pos, 0.5) * self.df  # [positions] Hz
        weights = pitch_class_weights(69.0 + 12.0 * np.log2(freq / 440.0)).T  # [positions, 12]
        in_chroma = ((freq >= CHROMA_FMIN) & (freq <= CHROMA_FMAX))[:, None]
        in_bass = ((freq >= BASS_FMIN) & (freq <= BASS_FMAX))[:, None]
        self.table = np.hstack([weights * in_chroma, weights * in_bass])  # [positions, 24] chroma, bass chroma
        self._sides = np.arange(3)[:, None]  # [3, 1] a peak's left neighbour, itself, its right neighbour
        self._parabola = np.array([[1.0, -2.0, 1.0], [0.5, 0.0, -0.5]], np.float32)  # [2, 3] -> bend, slope

    def spectra(self, frames: np.ndarray) -> np.ndarray:
        """frames [..., n_fft] samples -> [..., bins] their magnitude spectra (several in one call: cheaper)."""
        return self._spectrum(frames)

    def __call__(self, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """mag [bins] the newest spectrum (from spectra) -> (chroma, bass chroma), each [12] (summed peak
        magnitudes)."""
        self.mag = mag
        m = mag[self.lo : self.hi]  # [used bins + margins]
        c = m[1:-1]  # [used bins]
        at = np.flatnonzero(peaks_over_local(m, PEAK_OVER_LOCAL))  # [peaks] positions in c (bin lo + 1 + at)
        # the parabola through the log magnitudes of each peak and its neighbours: its bend (< 0 at a maximum) and
        # slope; its vertex is within half a bin of the peak bin, as the peak is a local maximum
        bend, slope = self._parabola @ np.log(m[at + self._sides] + np.float32(1e-12))  # [peaks] each
        offset = slope / np.minimum(bend, -1e-6)  # [peaks] bins from the peak bin, -0.5..0.5 (a flat top: 0)
        # [peaks] table rows, rounded (the + 0.5 before truncation); the bound only guards float32 rounding
        row = (offset * OFFSET_STEPS + (at * OFFSET_STEPS + (OFFSET_STEPS / 2 + 0.5))).astype(np.intp)
        both = c[at] @ self.table[np.minimum(row, len(self.table) - 1)]  # [24] the peaks' weights, by magnitude
        return both[:12], both[12:]
