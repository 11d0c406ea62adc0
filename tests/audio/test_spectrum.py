"""The analyzer's fast spectral parts give numpy's own numbers to the bit (spectra, medians, strided views), and its
peak test finds a chord's tones in noise, and little in the noise alone."""

from __future__ import annotations

import numpy as np
import pytest

from livedream.audio.hpss import leading_edge_window, median_of_9
from livedream.audio.onset_odf import PITCH_PEAK
from livedream.audio.spectrum import MagnitudeSpectrum, peaks_over_local, strided_view


@pytest.mark.parametrize("n", [1024, 4096])
def test_magnitude_spectrum_is_numpys_rfft(n):
    rng = np.random.default_rng(n)
    window = leading_edge_window(n, n // 8)
    frames = (rng.standard_normal((5, n)) * 0.3).astype(np.float32)  # [5, n]
    spec = MagnitudeSpectrum(window)
    got = spec(frames)
    assert got.shape == (5, n // 2 + 1) and got.dtype == np.float32
    for row, frame in zip(got, frames, strict=True):
        want = np.abs(np.fft.rfft(frame * window)).astype(np.float32)
        assert np.array_equal(row.view(np.uint32), want.view(np.uint32))  # bitwise, one frame or several
        assert np.array_equal(spec(frame), want)
    with pytest.raises(ValueError):
        MagnitudeSpectrum(np.ones(1023, np.float32))


def test_median_of_9_is_the_median_with_ties_and_zeros():
    rng = np.random.default_rng(9)
    for rows in (
        rng.random((9, 700)).astype(np.float32),
        rng.integers(0, 3, (9, 700)).astype(np.float32),  # many ties
        (rng.random((9, 4, 50)) * (rng.random((9, 4, 50)) < 0.4)).astype(np.float32),  # zeros, 3-d
    ):
        want = np.partition(rows, 4, axis=0)[4]
        assert np.array_equal(median_of_9(rows), want)
    # the median of each column, not of some other order statistic: a column 0..8 in any order gives 4
    cols = np.stack([rng.permutation(9) for _ in range(200)], axis=1).astype(np.float32)  # [9, 200]
    assert np.all(median_of_9(cols) == 4.0)


def test_strided_view_reads_frames_and_refuses_what_does_not_fit():
    a = np.arange(20, dtype=np.float32)
    v = strided_view(a, (3, 8), (4, 1), 2)  # frames of 8 every 4 samples, from sample 2
    assert np.array_equal(v, np.stack([a[2:10], a[6:14], a[10:18]]))
    assert not v.flags.writeable
    with pytest.raises(ValueError):
        strided_view(a, (4, 8), (4, 1), 2)  # the last frame would end past the array
    with pytest.raises(ValueError):
        strided_view(a[::2], (2, 2), (1, 1))  # not contiguous


def test_peaks_over_local_finds_the_tones_not_the_noise():
    sr, n = 22050, 4096
    rng = np.random.default_rng(3)
    t = np.arange(n) / sr
    freqs = (220.0, 277.18, 329.63)  # an A major triad
    noise = (0.05 * rng.standard_normal(n)).astype(np.float32)
    chord = sum(0.3 * np.sin(2 * np.pi * f * t) for f in freqs).astype(np.float32) + noise
    spec = MagnitudeSpectrum(leading_edge_window(n, n // 8))

    def tall(x):  # -> (Hz of the peaks found, their share of the magnitude)
        m = spec(x)
        at = np.flatnonzero(peaks_over_local(m, PITCH_PEAK))  # positions in m[1:-1]
        return (at + 1) * sr / n, float(m[at + 1].sum() / m.sum())

    hz, share = tall(chord)
    for f in freqs:  # each tone is a peak, within a bin
        assert np.min(np.abs(hz - f)) <= sr / n
    assert share > 0.1  # the pitch novelty calls a spectrum tonal from 0.06 (PITCH_TONAL)
    hz, share = tall(noise)  # white noise: a few random peaks only, a tiny share of the spectrum
    assert len(hz) < 20 and share < 0.02
