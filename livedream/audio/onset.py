"""Causal onset detection: SuperFlux (log-filtered spectral flux, max-filtered across frequency) and a picker."""

from __future__ import annotations

import numpy as np

# Tuned once on the wide eval set, for all music (bench/README-analysis.md).
BANDS_PER_OCTAVE = 24
FB_FMIN, FB_FMAX = 40.0, 11000.0  # Hz: DC and rumble below, nothing above the 22.05 kHz analysis Nyquist
LOG_LAMBDA = 3000.0  # log(1 + lambda * amplitude): the knee at about -70 dBFS, so level hardly matters above it
MAX_FILTER_BANDS = 3  # SuperFlux: vibrato moves a partial into a neighbour band; the max filter hides that
FLUX_LAG = 2  # hops between the compared spectra: a slow bow or breath rises more over 23 ms than over 12
PICK_DELTA = 0.6  # fixed part of the threshold (in band-summed log units)
PICK_MEAN = 1.4  # times the recent mean of the detection function: steady noise and tremolo stay below
PICK_MEAN_S = 0.25  # that mean's span (past only)
PICK_PEAK = 0.04  # times the slowly decaying peak: a soft note after a loud hit still counts, a flutter does not
PEAK_HALF_LIFE_S = 4.0
REARM = 0.6  # after a report, the function must fall below this share of its peak since then (or 80 ms pass)
REARM_S = 0.08
MIN_IOI_S = 0.03


def log_filterbank(sample_rate: int, n_fft: int, per_octave: int = BANDS_PER_OCTAVE) -> np.ndarray:
    """[bands, n_fft // 2 + 1] triangular filters on a log-frequency axis, each at least one FFT bin wide.

    Filters narrower than a bin (the lowest octaves) are merged, so each band sees distinct bins,
    as in SuperFlux (Boeck & Widmer 2013). Each filter sums to 1: a band reads as an average amplitude.
    """
    n_bins = n_fft // 2 + 1
    df = sample_rate / n_fft
    fmax = min(FB_FMAX, 0.45 * sample_rate)
    n = max(2, int(np.floor(per_octave * np.log2(fmax / FB_FMIN))) + 1)
    centres = np.unique(np.round(FB_FMIN * 2.0 ** (np.arange(n) / per_octave) / df).astype(int))  # [bands+2] bins
    centres = centres[(centres > 0) & (centres < n_bins - 1)]
    fb = np.zeros((max(len(centres) - 2, 1), n_bins), np.float32)
    for i in range(len(centres) - 2):
        lo, c, hi = centres[i], centres[i + 1], centres[i + 2]
        fb[i, lo : c + 1] = np.linspace(0.0, 1.0, c - lo + 1)
        fb[i, c : hi + 1] = np.linspace(1.0, 0.0, hi - c + 1)
        fb[i, lo] = fb[i, hi] = 0.0 if hi - lo > 2 else fb[i, lo]
    fb[:, 0] = 0.0  # never DC
    sums = fb.sum(axis=1, keepdims=True)
    return np.divide(fb, sums, out=np.zeros_like(fb), where=sums > 0)


class SuperFlux:
    """One log-filtered spectrum per hop in, the onset detection function (ODF) out.

    odf = sum over bands of max(0, L[n] - maxfilter_f(L[n - lag])), L = log(1 + lambda * bands).
    A held tone gives ~0; vibrato that moves a partial by a band is hidden by the max filter.
    """

    def __init__(self, n_bands: int, lag: int = FLUX_LAG):
        self.hist = np.zeros((lag, n_bands), np.float32)  # [lag, bands] past max-filtered log spectra
        self.pos = 0
        self.log_spec = np.zeros(n_bands, np.float32)  # [bands] the newest log spectrum

    def __call__(self, bands: np.ndarray) -> float:
        """bands [n_bands] filterbank amplitudes of the newest hop -> ODF value (>= 0)."""
        log_spec = np.log1p(LOG_LAMBDA * bands).astype(np.float32)  # [bands]
        old = self.hist[self.pos]
        odf = float(np.maximum(log_spec - old, 0.0).sum())
        mf = log_spec.copy()
        if MAX_FILTER_BANDS > 1 and len(mf) > 2:
            mf[1:-1] = np.maximum(np.maximum(log_spec[:-2], log_spec[1:-1]), log_spec[2:])
        self.hist[self.pos] = mf
        self.pos = (self.pos + 1) % len(self.hist)
        self.log_spec = log_spec
        return odf


class OnsetPicker:
    """Causal peak picking: report on the first hop the ODF clears an adaptive threshold, then wait to re-arm.

    threshold = delta + k_mean * (recent mean) + k_peak * (decaying peak). Reporting at the crossing instead of
    at the confirmed maximum costs no look-ahead: the report comes a constant delay after the attack.
    """

    def __init__(self, hop_s: float):
        self.hop_s = hop_s
        self.mean_n = max(2, round(PICK_MEAN_S / hop_s))
        self.recent = np.zeros(self.mean_n, np.float64)  # [mean_n] past ODF values (ring)
        self.pos = 0
        self.peak = 0.0
        self.peak_decay = 0.5 ** (hop_s / PEAK_HALF_LIFE_S)
        self.armed = True
        self.since = 1e9  # hops since the last report
        self.top = 0.0  # ODF peak since the last report
        self.threshold = PICK_DELTA

    def __call__(self, odf: float) -> bool:
        """odf of the newest hop -> whether an onset is reported now."""
        mean = float(self.recent.mean())
        self.threshold = PICK_DELTA + PICK_MEAN * mean + PICK_PEAK * self.peak
        self.recent[self.pos] = odf
        self.pos = (self.pos + 1) % self.mean_n
        self.peak = max(self.peak * self.peak_decay, odf)
        self.since += 1
        self.top = max(self.top, odf)
        if not self.armed and (odf < REARM * self.top or self.since * self.hop_s >= REARM_S):
            self.armed = True
        if self.armed and odf > self.threshold and self.since * self.hop_s >= MIN_IOI_S:
            self.armed = False
            self.since = 0
            self.top = odf
            return True
        return False


class AubioOnset:
    """One of aubio's detection functions with its own picker (the --onset-method alternatives to superflux)."""

    def __init__(self, method: str, sample_rate: int, hop_size: int, win: int, threshold: float = 0.3):
        import aubio

        self.sub = max(16, hop_size // 2)
        self._o = aubio.onset(method, win, self.sub, sample_rate)
        self._o.set_threshold(threshold)
        self._o.set_minioi_s(MIN_IOI_S)
        self._o.set_silence(-60.0)
        self._o.set_delay(0)

    def __call__(self, hop: np.ndarray) -> tuple[bool, float]:
        """hop [hop_size] float32 -> (fired in this hop, the largest detection value)."""
        fired, odf = False, 0.0
        for j in range(0, len(hop), self.sub):
            fired |= bool(self._o(hop[j : j + self.sub])[0])
            odf = max(odf, float(self._o.get_descriptor()))
        return fired, odf
