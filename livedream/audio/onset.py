"""Causal onset detection: SuperFlux (log-filtered spectral flux, max-filtered across frequency) and a picker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
# over 2 hops (was 4): the held-tone gate below drops the slower swells of held notes, and the rise counts sooner.
SLOW = FluxSetting(3000.0, 2, 2, 1.0, 2.0, 0.5, rearm_s=0.2, min_ioi_s=0.1, extra_delay_s=0.02)
SLOW_BLOCK_S = 0.1  # no slow report this soon after a fast one (the same note)
PEAK_HALF_LIFE_S = 4.0
# Pitch path: a new note in legato music changes the pitch content even where the energy hardly rises (a choir
# moving one voice, a string section changing chord). Semitone bands of the chroma spectrum (4096 points, 5.4 Hz
# bins), each compared with its maximum over the last `lag` updates: the shimmer of held notes stays below,
# a note entering a band that was empty rises above. Picked like the slow path (but its mean over 0.2 s: after a
# chord's burst of novelty the threshold is down again for the next voice), reported where both were silent.
PITCH = FluxSetting(1000.0, 1, 2, 1.0, 2.0, 0.2, rearm_s=0.2, min_ioi_s=0.1, extra_delay_s=0.02, max_over_lags=True)
# Held tones: the tremolo and vibrato of a sustained note (a choir's "aah", an organ, a pad) lift the spectrum by
# several dB a few times a second, which the fast and slow paths read as onsets. A report whose spectrum rises
# less than a share of its ODF above the maximum of the last HELD_HOPS spectra only went back to where it was a
# moment ago: it is dropped. Fast reports only in sustained music (the fast ODF's peak over the last
# HELD_CONTEXT_S under HELD_SPIKY times its mean): in plucked, percussive and band music a repeated note or drum
# hit comes back to the level of the last one, and is an onset. Slow reports always (HELD_SLOW_SHARE of the larger
# of the fast and slow ODFs): the fast path reports the attacks of that music.
HELD_CONTEXT_S = 1.0  # a steady noise's own onset from silence leaves it after 1 s, and the gate holds it too
HELD_SPIKY = 6.0
HELD_HOPS = 20  # 232 ms: longer than a tremolo's dip
HELD_SHARE = 0.2
HELD_SLOW_SHARE = 0.1
PITCH_FMIN, PITCH_FMAX = 60.0, 4000.0  # Hz: bass fundamentals to the upper partials of a melody
# The chroma window is 186 ms long: a note keeps growing in it for ~160 ms after its attack (from ~0.2 to all of its
# level), a few tenths of a log unit per update in each of its bands, which read as novelty: the pitch path reported
# many notes (and every first note from silence) a second time, 0.1-0.2 s late. Each band's rise counts only above
# this margin (log units: 1.5x, 3.5 dB); a new note jumps by several units.
PITCH_MARGIN = 0.4


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


class OnsetPicker:
    """Causal peak picking: report on the first hop the ODF clears an adaptive threshold, then wait to re-arm.

    threshold = delta + k_mean * (recent mean) + k_peak * (decaying peak). Reporting at the crossing instead of
    at the confirmed maximum costs no look-ahead: the report comes a constant delay after the attack.
    """

    def __init__(self, hop_s: float, setting: FluxSetting = FAST):
        self.s = setting
        self.hop_s = hop_s
        self.mean_n = max(2, round(setting.mean_s / hop_s))
        self.recent = np.zeros(self.mean_n, np.float64)  # [mean_n] past ODF values (ring)
        self.pos = 0
        self.total = 0.0  # running sum of `recent`
        self.peak = 0.0
        self.peak_decay = 0.5 ** (hop_s / PEAK_HALF_LIFE_S)
        self.armed = True
        self.since = 1e9  # hops since the last report
        self.top = 0.0  # ODF peak since the last report
        self.threshold = setting.delta

    def __call__(self, odf: float) -> bool:
        """odf of the newest hop -> whether an onset is reported now."""
        s = self.s
        self.threshold = s.delta + s.k_mean * max(self.total, 0.0) / self.mean_n + s.k_peak * self.peak
        self.total += odf - self.recent[self.pos]
        self.recent[self.pos] = odf
        self.pos = (self.pos + 1) % self.mean_n
        if self.pos == 0:
            self.total = float(self.recent.sum())  # no drift from the running sum
        self.peak = max(self.peak * self.peak_decay, odf)
        self.since += 1
        self.top = max(self.top, odf)
        if not self.armed and (odf < s.rearm * self.top or self.since * self.hop_s >= s.rearm_s):
            self.armed = True
        if self.armed and odf > self.threshold and self.since * self.hop_s >= s.min_ioi_s:
            self.armed = False
            self.since = 0
            self.top = odf
            return True
        return False


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
    novelty = sum over bands of max(0, L[n] - max(L[n - 1 .. n - lag]) - PITCH_MARGIN).
    """

    def __init__(self, sample_rate: int, n_fft: int, mag_to_amp: float, setting: FluxSetting = PITCH):
        self.s = setting
        self.starts, self.end = semitone_edges(sample_rate, n_fft)
        self.mag_to_amp = mag_to_amp
        self.hist = np.zeros((setting.lag, len(self.starts)), np.float32)  # [lag, bands] past log spectra
        self.pos = 0

    def __call__(self, mag: np.ndarray) -> float:
        """mag [n_fft // 2 + 1] magnitude spectrum -> novelty (>= 0)."""
        bands = np.maximum.reduceat(mag[: self.end], self.starts) * self.mag_to_amp  # [bands]
        log_spec = np.log1p(self.s.log_lambda * bands).astype(np.float32)
        nov = float(np.maximum(log_spec - self.hist.max(axis=0) - PITCH_MARGIN, 0.0).sum())
        self.hist[self.pos] = log_spec
        self.pos = (self.pos + 1) % len(self.hist)
        return nov


class HeldToneGate:
    """Tells a held note's tremolo from a new note, from the fast path's spectra and ODF (see HELD_SPIKY)."""

    def __init__(self, n_bands: int, hop_s: float):
        self.odfs = np.zeros(max(2, round(HELD_CONTEXT_S / hop_s)), np.float32)  # [context hops] fast ODF ring
        self.odf_pos = 0
        self.spectra = np.zeros((HELD_HOPS, n_bands), np.float32)  # [HELD_HOPS, bands] past max-filtered spectra
        self.spec_pos = 0

    def held(self, odf: float, log_spec: np.ndarray, share: float = HELD_SHARE, always: bool = False) -> bool:
        """Whether a report now (ODF odf, fast log spectrum log_spec [bands]) is only a held tone's swell."""
        if not always and float(self.odfs.max()) > HELD_SPIKY * float(self.odfs.mean()):
            return False
        new = float(np.maximum(log_spec - self.spectra.max(axis=0), 0.0).sum())
        return new < share * odf

    def push(self, odf: float, mf: np.ndarray) -> None:
        """Store the newest hop (after the reports of that hop were judged)."""
        self.odfs[self.odf_pos] = odf
        self.odf_pos = (self.odf_pos + 1) % len(self.odfs)
        self.spectra[self.spec_pos] = mf
        self.spec_pos = (self.spec_pos + 1) % HELD_HOPS


class TwoPathOnsets:
    """The fast and the slow path (and the pitch path, when fed) together: (onset now, its extra delay, fast ODF).

    The slow and pitch paths report only where the fast path was silent for SLOW_BLOCK_S and each other for
    their min_ioi_s: one note, one onset. The fast and slow reports pass the held-tone gate first.
    """

    def __init__(self, n_bands: int, hop_s: float, pitch_hop_s: float | None = None):
        self.hop_s = hop_s
        self.fast, self.slow = SuperFlux(n_bands, FAST), SuperFlux(n_bands, SLOW)
        self.pick_fast, self.pick_slow = OnsetPicker(hop_s, FAST), OnsetPicker(hop_s, SLOW)
        self.pick_pitch = OnsetPicker(pitch_hop_s or hop_s, PITCH)
        self.gate = HeldToneGate(n_bands, hop_s)
        self.since_fast = 1e9
        self.since_soft = 1e9  # hops since a slow or pitch report
        self.pitch_odf = 0.0

    def __call__(self, bands: np.ndarray, pitch: float | None = None) -> tuple[bool, float, float]:
        """bands [n_bands] filterbank amplitudes; pitch: a PitchNovelty value on the hops that have one."""
        odf = self.fast(bands)
        slow = self.slow(bands)
        self.since_fast += 1
        self.since_soft += 1
        fast_on = self.pick_fast(odf)
        slow_on = self.pick_slow(slow)
        if fast_on and self.gate.held(odf, self.fast.log_spec):
            fast_on = False
        if slow_on and self.gate.held(max(odf, slow), self.fast.log_spec, HELD_SLOW_SHARE, always=True):
            slow_on = False
        self.gate.push(odf, self.fast.mf)
        pitch_on = False
        if pitch is not None:
            self.pitch_odf = pitch
            pitch_on = self.pick_pitch(pitch)
        if fast_on:
            self.since_fast = 0
            return True, 0.0, odf
        if self.since_fast * self.hop_s <= SLOW_BLOCK_S:
            return False, 0.0, odf
        if slow_on:
            self.since_soft = 0
            return True, SLOW.extra_delay_s, odf
        if pitch_on and self.since_soft * self.hop_s > PITCH.min_ioi_s:
            self.since_soft = 0
            return True, PITCH.extra_delay_s, odf
        return False, 0.0, odf

    @property
    def log_spec(self) -> np.ndarray:
        return self.fast.log_spec


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
