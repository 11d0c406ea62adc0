"""Onset detection functions: the log filterbank, SuperFlux spectral flux and the semitone pitch novelty."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livedream.audio.spectrum import peaks_over_local

# Tuned once on the wide eval set, for all music (bench/README-analysis.md).
BANDS_PER_OCTAVE = 24
FB_FMIN, FB_FMAX = 40.0, 11000.0  # Hz: DC and rumble below, nothing above the 22.05 kHz analysis Nyquist
MAX_FILTER_BANDS = 3  # SuperFlux: vibrato moves a partial into a neighbour band; the max filter hides that
MIN_IOI_S = 0.03


@dataclass(frozen=True)
class FluxSetting:
    """One detection path: how its spectra are compressed, averaged and compared, and how it is picked."""

    log_lambda: float  # log(1 + lambda * amplitude): the knee (1000: -60 dBFS); level hardly matters above it
    avg_hops: int  # moving average of the log spectra (1 = none)
    lag: int  # hops between the compared spectra
    delta: float  # fixed part of the threshold (band-summed log units)
    k_mean: float  # times the recent mean of the ODF: steady noise and tremolo stay below
    mean_s: float  # that mean's span (past only)
    k_peak: float = 0.0  # times the slowly decaying ODF peak
    rearm: float = 0.6  # after a report, re-arm once the ODF falls below this share of its peak since (or rearm_s)
    rearm_s: float = 0.08
    min_ioi_s: float = MIN_IOI_S
    extra_delay_s: float = 0.0  # how much later than the fast path this path reports (its averaging)
    max_over_lags: bool = False  # compare with the maximum of the last `lag` spectra, not only the lag-th one


# Fast path: sharp attacks (drums, piano, plucks) within ~13 ms.
# Against the maximum of the last 3 spectra: a steady tone whose period beats against the hop (a buzzy square,
# a low bass) flutters from hop to hop, which plain lag-1 flux reports as onsets.
FAST = FluxSetting(1000.0, 1, 3, 1.5, 2.0, 0.07, max_over_lags=True)
# Slow path: soft attacks (bowed strings, choir, pads) rise over tens of ms; on the averaged spectra the ensemble
# shimmer of such sounds cancels, the slow rise remains. It reports only where the fast path was silent. Averaged
# over 2 hops (was 4): the held-tone gate (onset.py) drops the slower swells of held notes, and the rise counts sooner.
SLOW = FluxSetting(3000.0, 2, 2, 1.0, 2.0, 0.5, rearm_s=0.2, min_ioi_s=0.1, extra_delay_s=0.02)
# Pitch path: a new note in legato music changes the pitch content even where the energy hardly rises (a choir
# moving one voice, a string section changing chord). Semitone bands of the chroma spectrum (4096 points, 5.4 Hz
# bins), each compared with its maximum over the last `lag` updates: the shimmer of held notes stays below,
# a note entering a band that was empty rises above. Picked like the slow path (but its mean over 0.2 s: after a
# chord's burst of novelty the threshold is down again for the next voice), reported where both were silent.
# 1x its mean (was 2x): with the tonal gate below noise no longer reaches it, and soft entries under held chords
# (a second voice, a string section's next chord) count (wide: haydn menuetto 0.54 -> 0.63, luca 0.57 -> 0.59).
# Its reports are stamped 25 ms back (was 20): on the wide set its hits landed a median 11 ms after the truth where
# the fast path's land 2 ms before (wide 0.860 -> 0.863: Palestrina 0.79 -> 0.84, Haydn's menuetto 0.71 -> 0.74).
PITCH = FluxSetting(1000.0, 1, 2, 1.0, 1.0, 0.2, rearm_s=0.2, min_ioi_s=0.1, extra_delay_s=0.025, max_over_lags=True)
PITCH_FMIN, PITCH_FMAX = 60.0, 4000.0  # Hz: bass fundamentals to the upper partials of a melody
# The chroma window is 186 ms long: a note keeps growing in it for ~160 ms after its attack (from ~0.2 to all of its
# level), a few tenths of a log unit per update in each of its bands, which read as novelty: the pitch path reported
# many notes (and every first note from silence) a second time, 0.1-0.2 s late. Each band's rise counts only above
# this margin (log units: 1.5x, 3.5 dB); a new note jumps by several units.
PITCH_MARGIN = 0.4
# Noise has no pitch, but its spectrum's random peaks move from update to update, which the pitch novelty read as
# new notes (white and pink noise: 2-9 reports in 3.5 s). The novelty counts only where the spectrum is tonal: the
# share of its magnitude in local maxima that stand PITCH_PEAK times over the mean of the bins around them
# (spectrum.peaks_over_local; steady noise <= 0.03, the reports in choir and string clips >= 0.10), held with a decay
# of PITCH_TONAL_HALF_S: a chord after a rest starts with a broadband attack, and counts as the music before it was
# tonal.
PITCH_PEAK = 2.5
PITCH_TONAL = 0.06
PITCH_TONAL_HALF_S = 1.0
# Soft entries under held chords: a quiet voice entering under a loud chord (a choir's next part, a string section's
# inner voice) grows in the chroma window over ~160 ms, a few tenths of a log unit per update: under PITCH_MARGIN,
# so the novelty above misses it. Each band is also compared with its own maximum over the last ENTRY_S; a band
# that now stands over ENTRY_MIN above everything it held in that time is a voice entering it (held tones,
# vibrato and tremolo come back to a level the band already had within 0.3 s, and stay below). The sum of those
# rises is `PitchNovelty.entry`; onset.py adds it to the pitch novelty where the music is sustained.
ENTRY_S = 0.3
ENTRY_MIN = 0.7


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
    """One filterbank spectrum per hop in, the onset detection function (ODF) out.

    odf = sum over bands of max(0, L[n] - maxfilter_f(L[n - lag])), L = log(1 + lambda * bands), averaged over
    the last avg_hops hops. A held tone gives ~0; vibrato that moves a partial by a band is hidden by the max filter.
    """

    def __init__(self, n_bands: int, setting: FluxSetting = FAST):
        self.s = setting
        self.hist = np.zeros((setting.lag, n_bands), np.float32)  # [lag, bands] past max-filtered log spectra
        self.pos = 0
        self.avg = np.zeros((setting.avg_hops, n_bands), np.float32)  # [avg, bands] the newest log spectra
        self.avg_pos = 0
        self.log_spec = np.zeros(n_bands, np.float32)  # [bands] the newest (averaged) log spectrum
        self.mf = self.log_spec  # [bands] the same, max-filtered across frequency

    def __call__(self, bands: np.ndarray) -> float:
        """bands [n_bands] filterbank amplitudes of the newest hop -> ODF value (>= 0)."""
        log_spec = np.log1p(self.s.log_lambda * bands).astype(np.float32, copy=False)  # [bands]
        if self.s.avg_hops > 1:
            self.avg[self.avg_pos] = log_spec
            self.avg_pos = (self.avg_pos + 1) % self.s.avg_hops
            log_spec = self.avg.sum(axis=0) * np.float32(1.0 / self.s.avg_hops)
        old = self.hist.max(axis=0) if self.s.max_over_lags else self.hist[self.pos]
        odf = float(np.maximum(log_spec - old, 0.0).sum())
        mf = self.hist[self.pos]  # max-filtered into the history row in place: fewer numpy calls, same values
        mf[:] = log_spec
        if MAX_FILTER_BANDS > 1 and len(mf) > 2:
            np.maximum(log_spec[:-2], log_spec[1:-1], out=mf[1:-1])
            np.maximum(mf[1:-1], log_spec[2:], out=mf[1:-1])
        self.pos = (self.pos + 1) % len(self.hist)
        self.log_spec, self.mf = log_spec, mf
        return odf


def semitone_edges(sample_rate: int, n_fft: int) -> tuple[np.ndarray, int]:
    """(starts, end): bins [starts[i], starts[i + 1]) (the last up to end) hold semitone i, PITCH_FMIN..PITCH_FMAX.

    The bands are centred on the equal-tempered pitches (A4 = 440 Hz), so that a note's partials sit in a band's
    middle and vibrato keeps them there. Semitones narrower than a bin (the lowest) share their bin.
    """
    df = sample_rate / n_fft
    fmax = min(PITCH_FMAX, 0.45 * sample_rate)
    m0, m1 = np.ceil(12 * np.log2(PITCH_FMIN / 440.0)), np.floor(12 * np.log2(fmax / 440.0))
    edges = 440.0 * 2.0 ** ((np.arange(m0, m1 + 2) - 0.5) / 12)  # [bands + 1] Hz
    lo = np.clip(np.ceil(edges / df).astype(int), 1, n_fft // 2)
    starts = np.unique(lo[:-1])
    return starts, int(max(lo[-1], starts[-1] + 1))


class PitchNovelty:
    """Chroma-resolution magnitude spectrum in, a novelty value out: how much new pitch content appeared.

    Per semitone band the largest magnitude (a partial's peak, wherever it sits in the band), log-compressed;
    novelty = sum over bands of max(0, L[n] - max(L[n - 1 .. n - lag]) - PITCH_MARGIN); entry = sum over the bands
    where L[n] - max(L over the last ENTRY_S) > ENTRY_MIN of that rise.
    """

    def __init__(self, sample_rate: int, n_fft: int, mag_to_amp: float, update_s: float, setting: FluxSetting = PITCH):
        self.s = setting
        self.starts, self.end = semitone_edges(sample_rate, n_fft)
        self.mag_to_amp = mag_to_amp
        self.n_entry = max(1, round(ENTRY_S / update_s))  # updates in ENTRY_S
        # [n, bands] ring of the past log spectra: the novelty reads the newest `lag`, the entry the newest n_entry
        self.past = np.zeros((max(setting.lag, self.n_entry), len(self.starts)), np.float32)
        self.pos = 0
        self.entry = 0.0  # the soft-entry novelty of the newest update (see ENTRY_S)
        self.tonal = 0.0  # the tonal share of the recent spectra (held, decaying)
        self.tonal_decay = 0.5 ** (update_s / PITCH_TONAL_HALF_S)

    def __call__(self, mag: np.ndarray) -> float:
        """mag [n_fft // 2 + 1] magnitude spectrum -> novelty (>= 0; 0 where the spectrum is not tonal)."""
        m = mag[: self.end]  # [bins]
        bands = np.maximum.reduceat(m, self.starts) * self.mag_to_amp  # [bands]
        log_spec = np.log1p(self.s.log_lambda * bands).astype(np.float32)
        n = len(self.past)
        last = lambda k: self.past[(self.pos - 1 - np.arange(k)) % n].max(axis=0)  # noqa: E731 [bands] newest k
        nov = float(np.maximum(log_spec - last(self.s.lag) - PITCH_MARGIN, 0.0).sum())
        rise = log_spec - last(self.n_entry)  # [bands] over the band's own level of the last ENTRY_S
        self.entry = float(rise[rise > ENTRY_MIN].sum())
        self.past[self.pos] = log_spec
        self.pos = (self.pos + 1) % n
        c = m[1:-1]  # [bins - 2]
        tall = peaks_over_local(m, PITCH_PEAK)  # [bins - 2]
        self.tonal = max(self.tonal * self.tonal_decay, float(c[tall].sum()) / max(float(m.sum()), 1e-12))
        if self.tonal < PITCH_TONAL:
            self.entry = 0.0
            return 0.0
        return nov
