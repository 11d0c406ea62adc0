"""Magnitude spectra of fixed-size windowed frames: np.fft.rfft's numbers without its per-call overhead."""

from __future__ import annotations

import numpy as np

try:  # the pocketfft ufunc behind np.fft.rfft for even sizes (numpy >= 2.0)
    from numpy.fft._pocketfft_umath import rfft_n_even as _rfft_n_even
except ImportError:  # pragma: no cover - older or rearranged numpy: np.fft.rfft itself
    _rfft_n_even = None


class MagnitudeSpectrum:
    """frames [..., n] float32 -> |rfft(frames * window)| [..., n // 2 + 1] float32, n even.

    The analyzer takes 1.5 spectra a hop (1024 points, and 4096 every other hop). np.fft.rfft spends ~5-8 us a
    call in Python (norm handling, output allocation, the gufunc's axes argument) around FFTs of ~10-25 us;
    calling the ufunc behind it runs the same pocketfft code on the same float32 input, so the spectrum is the
    same to the bit, without that overhead. Several frames at once ([k, n]) cost one call: each row is
    transformed as it would be alone.
    """

    def __init__(self, window: np.ndarray):
        if len(window) % 2:
            raise ValueError("MagnitudeSpectrum needs an even frame size")
        self.window = np.asarray(window, np.float32)  # [n]
        self.n_out = len(window) // 2 + 1

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """frames [..., n] -> [..., n // 2 + 1] magnitudes, a new array."""
        x = np.multiply(frames, self.window)  # [..., n]
        if _rfft_n_even is None:
            spec = np.fft.rfft(x)
        else:
            spec = _rfft_n_even(x, 1, out=np.empty((*x.shape[:-1], self.n_out), np.complex64))
        return np.abs(spec)


PEAK_LOCAL_BINS = 15  # a spectral peak is judged against the mean of this many bins around it
_LOCAL_MEAN = np.full(PEAK_LOCAL_BINS, 1.0 / PEAK_LOCAL_BINS, np.float32)  # [PEAK_LOCAL_BINS] that mean's kernel


def peaks_over_local(m: np.ndarray, over: float) -> np.ndarray:
    """m [bins] magnitudes -> [bins - 2] for m[1:-1]: a local maximum that stands `over` times above the mean of the
    PEAK_LOCAL_BINS around it. Tones make a few tall peaks, broadband noise (drums, hiss) many small ones: the
    chroma counts only such peaks, and the pitch novelty how much of the spectrum is in them."""
    c = m[1:-1]
    local = np.convolve(m, _LOCAL_MEAN, mode="same")[1:-1]  # [bins - 2]
    return (c >= np.maximum(m[:-2], m[2:])) & (c > over * local)  # no NaN: c >= its neighbours and > the mean


def strided_view(a: np.ndarray, shape: tuple[int, ...], steps: tuple[int, ...], start: int = 0) -> np.ndarray:
    """A read-only view of C-contiguous a: element [i0, i1, ...] is a.flat[start + i0 * steps[0] + i1 * steps[1] ...].

    The frames and sliding windows the analyzer takes several times a feed call: sliding_window_view makes the
    same views with ~15-30 us of Python checks a call; this costs ~1 us. numpy checks that the view fits in a
    (and that a is contiguous: the buffer protocol refuses otherwise).
    """
    size = a.itemsize
    v = np.ndarray(shape, a.dtype, buffer=a, offset=start * size, strides=[step * size for step in steps])
    v.flags.writeable = False
    return v
