"""The analyzer's fast spectral parts give numpy's own numbers to the bit: spectra, medians, strided views."""

from __future__ import annotations

import numpy as np
import pytest

from livedream.audio.hpss import leading_edge_window, median_of_9
from livedream.audio.spectrum import MagnitudeSpectrum, strided_view


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
