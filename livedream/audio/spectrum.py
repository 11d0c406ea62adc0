"""Magnitude spectra of fixed-size windowed frames: np.fft.rfft's numbers without its per-call overhead."""

from __future__ import annotations

import numpy as np

try:  # the pocketfft ufunc behind np.fft.rfft for even sizes (numpy >= 2.0)
    from numpy.fft._pocketfft_umath import rfft_n_even as _rfft_n_even
except ImportError:  # pragma: no cover - older or rearranged numpy: np.fft.rfft itself
    _rfft_n_even = None


class MagnitudeSpectrum:
    """frame [n] float32 -> |rfft(frame * window)| [n // 2 + 1] float32, n even.

    The analyzer takes 1.5 spectra a hop (1024 points, and 4096 every other hop). np.fft.rfft spends ~5-8 us a
    call in Python (norm handling, output allocation, the gufunc's axes argument) around FFTs of ~10-25 us;
    calling the ufunc behind it with preallocated buffers runs the same pocketfft code on the same float32
    input, so the spectrum is the same to the bit, without that overhead.
    """

    def __init__(self, window: np.ndarray):
        if len(window) % 2:
            raise ValueError("MagnitudeSpectrum needs an even frame size")
        self.window = np.asarray(window, np.float32)  # [n]
        self._x = np.empty(len(window), np.float32)  # [n] the windowed frame
        self._spec = np.empty(len(window) // 2 + 1, np.complex64)  # [n // 2 + 1]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """frame [n] -> [n // 2 + 1] magnitudes, a new array (callers may keep it)."""
        x = np.multiply(frame, self.window, out=self._x)
        spec = np.fft.rfft(x) if _rfft_n_even is None else _rfft_n_even(x, 1, out=self._spec)
        return np.abs(spec)
