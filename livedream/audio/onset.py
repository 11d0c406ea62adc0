"""Causal onset picking: adaptive thresholds, the held-tone gate, and the fast, slow and pitch paths together."""

from __future__ import annotations

import numpy as np

from livedream.audio.onset_odf import FAST, MIN_IOI_S, PITCH, SLOW, FluxSetting, SuperFlux
from livedream.audio.onset_release import RELEASE_LEFT, RELEASE_WAIT_HOPS, ReleaseDetector

SLOW_BLOCK_S = 0.1  # no slow report this soon after a fast one (the same note)
PEAK_HALF_LIFE_S = 4.0
# Held tones: the tremolo and vibrato of a sustained note (a choir's "aah", an organ, a pad) lift the spectrum by
# several dB a few times a second, which the fast and slow paths read as onsets. A report whose spectrum rises
# less than a share of its ODF above the maximum of the last HELD_HOPS spectra only went back to where it was a
# moment ago: it is dropped. Fast reports only in sustained music (the fast ODF's peak over the last
# HELD_CONTEXT_S under HELD_SPIKY times its mean): in plucked, percussive and band music a repeated note or drum
# hit comes back to the level of the last one, and is an onset. One spike is not such music: the context is spiky only
# when the second-largest value is also HELD_SPIKY_SECOND times the mean (a pad's chord onset alone had left the gate
# off for the second after it, and its swells came out as onsets). Slow reports always (HELD_SLOW_SHARE of the larger
# of the fast and slow ODFs): the fast path reports the attacks of that music.
HELD_CONTEXT_S = 1.0  # a steady noise's own onset from silence leaves it after 1 s, and the gate holds it too
HELD_SPIKY = 6.0
HELD_SPIKY_SECOND = 3.0
SPIKE_TAIL = 4  # hops a transient stays in the onset spectrum's window (1024 samples, hop 256)
HELD_HOPS = 20  # 232 ms: longer than a tremolo's dip
HELD_SHARE = 0.2
HELD_SLOW_SHARE = 0.1
# A steady sound whose partials beat (a clipped square's aliases against its true partials, two close tones) moves
# energy between bands several times a second: a spiky fast ODF, so the gate above stays off, and a storm of reports.
# Its loudness, though, holds still, where plucked, percussive and band music never keeps its level for long (notes
# decay, hits rise). So in spiky context too a report is dropped when the summed band amplitude of the last
# STEADY_S stays within STEADY_DB and the report only went back to a recent level.
STEADY_S = 0.5
STEADY_DB = 2.0
STEADY_NEW = 1.0
# Soft entries (PitchNovelty.entry, onset_odf.ENTRY_S) count ENTRY_WEIGHT times on top of the pitch novelty, only
# in sustained music (the held gate's context: in plucked, percussive and band music the fast path reports the
# notes) and only ENTRY_BLOCK_S after any report: a note reported at its attack keeps growing in the chroma window,
# and its entry would report it again 50-180 ms late (wide bach pads, Palestrina).
ENTRY_WEIGHT = 1.5
ENTRY_BLOCK_S = 0.2
# Busy mixes: in plucked, percussive and band music (the spiky context above) a mix's pads, echoes and sustained
# voices keep the fast ODF at a steady background (mean ~1.4 in the band+pad mix), so its threshold's k_mean part
# already stands well above the noise there, and the fixed delta on top hid a soft note rising 3-6 dB under the
# band (a pad's echo patch, a choir pad entering). There the fast path's delta falls with the recent mean,
# delta / (1 + mean / BUSY_DELTA_MEAN); a report that clears only that lowered threshold must bring new spectrum (the
# held test of sustained music, HELD_SHARE, even here), else it is dropped and the picker stays armed
# (a real attack a hop later still counts). Wide: band+pad 0.729 -> 0.752, no family lower.
BUSY_DELTA_MEAN = 5.0
# After a burst: a note's or chord's own burst of novelty holds the pitch path's 0.2 s mean (and so its threshold)
# up for 0.2 s, and the next note 0.12-0.2 s later (a presto's repeated chords, a piano or harp note under a
# decaying chord) did not count. Where the threshold over the whole 0.2 s stands BURST_RATIO times over the one
# from only its newest BURST_MEAN_S, the burst has passed: that lower one counts. Where the novelty was even
# (held notes' shimmer), the full span stays (0.12 s everywhere gave choir, organ and string clips false onsets
# mid-note); where a burst rises within the newest part, its higher threshold counts (it follows the burst sooner).
# Wide: winds 0.80 -> 0.86, organ 0.93 -> 0.95, harp 0.96 -> 0.97, mazurka 0.97 -> 0.99, Luca 0.71 -> 0.72.
BURST_MEAN_S = 0.12
BURST_RATIO = 1.5
# One note, one onset: a fast report within SOFT_FAST_HOPS hops after a slow or pitch report is the same note's
# attack reaching the fast path a hop or two later (their reports are stamped 20-25 ms back), and is dropped.
SOFT_FAST_HOPS = 3


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
        self.full_threshold = setting.delta  # the threshold without the busy-mix discount
        self.delta_fall = 0.0  # > 0: delta / (1 + mean / delta_fall) (BUSY_DELTA_MEAN), set by the caller per hop
        self.short_n = 0  # > 0: after a burst, the threshold from only the newest short_n values (BURST_RATIO);
        # set before the first call
        self.short_total = 0.0  # running sum of the newest short_n values of `recent`
        self._undo = (self.since, self.top)

    def __call__(self, odf: float) -> bool:
        """odf of the newest hop -> whether an onset is reported now."""
        s = self.s
        mean = max(self.total, 0.0) / self.mean_n
        if 0 < self.short_n < self.mean_n:
            short = max(self.short_total, 0.0) / self.short_n
            # a burst passed (the full span's threshold BURST_RATIO times the newest part's), or one is rising now
            base = s.delta + s.k_peak * self.peak
            if short > mean or base + s.k_mean * mean >= BURST_RATIO * (base + s.k_mean * short):
                mean = short
        rest = s.k_mean * mean + s.k_peak * self.peak
        self.full_threshold = s.delta + rest
        self.threshold = (
            (s.delta / (1.0 + mean / self.delta_fall) + rest) if self.delta_fall > 0.0 else self.full_threshold
        )
        self.total += odf - self.recent[self.pos]
        if self.short_n:
            self.short_total += odf - self.recent[(self.pos - self.short_n) % self.mean_n]
        self.recent[self.pos] = odf
        self.pos = (self.pos + 1) % self.mean_n
        if self.pos == 0:
            self.total = float(self.recent.sum())  # no drift from the running sums
            self.short_total = float(self.recent[self.mean_n - self.short_n :].sum()) if self.short_n else 0.0
        self.peak = max(self.peak * self.peak_decay, odf)
        self.since += 1
        self.top = max(self.top, odf)
        if not self.armed and (odf < s.rearm * self.top or self.since * self.hop_s >= s.rearm_s):
            self.armed = True
        if self.armed and odf > self.threshold and self.since * self.hop_s >= s.min_ioi_s:
            self._undo = (self.since, self.top)
            self.armed = False
            self.since = 0
            self.top = odf
            return True
        return False

    def undo(self) -> None:
        """Take back the report just made: armed again, as if the hop had stayed under the threshold."""
        self.armed = True
        self.since, self.top = self._undo


class HeldToneGate:
    """Tells a held note's tremolo from a new note, from the fast path's spectra and ODF (see HELD_SPIKY)."""

    def __init__(self, n_bands: int, hop_s: float):
        self.odfs = np.zeros(max(2, round(HELD_CONTEXT_S / hop_s)), np.float32)  # [context hops] fast ODF ring
        self.context = 0  # spikes() of the ring as it stands (all zeros: sustained)
        self.odf_pos = 0
        n = max(HELD_HOPS, round(STEADY_S / hop_s))
        # Two rings at one position: the summed band amplitude [n] (the newest hop's written before its reports are
        # judged) and the max-filtered spectra [n, bands] (written after them); the held test reads the newest
        # HELD_HOPS of the spectra, the steady test all of both.
        self.levels = np.zeros(n, np.float32)
        self.spectra = np.zeros((n, n_bands), np.float32)
        self.pos = 0
        self.steady_ratio = float(10 ** (STEADY_DB / 20))

    def held(self, odf: float, log_spec: np.ndarray, share: float | None = None, always: bool = False) -> bool:
        """Whether a report now (ODF odf, fast log spectrum log_spec [bands]) is only a held tone's swell."""
        ages = np.arange(HELD_HOPS)  # [HELD_HOPS] hops back from the newest stored one
        spikes = 0 if always else self.spikes()
        if spikes == 2:
            return False
        if spikes == 1:  # compare only with what sounded outside the spike's transient (a click stays in the
            # spectrum window for SPIKE_TAIL hops and would hide a chord entering after it)
            spike = (self.odf_pos - 1 - int(self.odfs.argmax())) % len(self.odfs)
            ages = ages[(ages > spike) | (ages < spike - SPIKE_TAIL + 1)]
            if len(ages) == 0:
                return False
        recent = self.spectra[(self.pos - 1 - ages) % len(self.spectra)]  # [<= HELD_HOPS, bands]
        new = float(np.maximum(log_spec - recent.max(axis=0), 0.0).sum())
        return new < (HELD_SHARE if share is None else share) * odf

    def spikes(self) -> int:
        """The fast ODF's spikes in the last HELD_CONTEXT_S: 0 (sustained music), 1 (one onset alone) or 2 (two or
        more: plucked, percussive or band music, where the fast path reports the notes). Counted once per hop, in
        push(): three tests a hop ask for it, and counting it each time cost 8 % of the analysis."""
        return self.context

    def _count_spikes(self) -> int:
        mean = float(self.odfs.mean())
        if float(self.odfs.max()) <= HELD_SPIKY * mean:
            return 0
        return 2 if float(np.partition(self.odfs, -2)[-2]) > HELD_SPIKY_SECOND * mean else 1

    def level(self, bands: np.ndarray) -> None:
        """The newest hop's filterbank amplitudes [bands], before its reports are judged (its own level counts)."""
        self.levels[self.pos] = float(bands.sum())

    def steady(self, log_spec: np.ndarray) -> bool:
        """Whether a report now is a steady sound's beating: the loudness held within STEADY_DB over the last
        STEADY_S (and there was sound), and the spectrum log_spec [bands] rises less than STEADY_NEW above the
        maximum of that time (a new note at the same loudness, a choir's next chord, still does)."""
        lo = float(self.levels.min())
        if not (lo > 0.0 and float(self.levels.max()) < self.steady_ratio * lo):
            return False
        return float(np.maximum(log_spec - self.spectra.max(axis=0), 0.0).sum()) < STEADY_NEW

    def push(self, odf: float, mf: np.ndarray) -> None:
        """Store the newest hop (after the reports of that hop were judged)."""
        self.odfs[self.odf_pos] = odf
        self.odf_pos = (self.odf_pos + 1) % len(self.odfs)
        self.context = self._count_spikes()
        self.spectra[self.pos] = mf
        self.pos = (self.pos + 1) % len(self.spectra)


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
        self.pick_pitch.short_n = max(1, round(BURST_MEAN_S / self.pick_pitch.hop_s))
        self.gate = HeldToneGate(n_bands, hop_s)
        self.release = ReleaseDetector(n_bands)
        self.pending: int | None = None  # a release held back (RELEASE_WAIT_HOPS): hops back to its start
        self.pending_age = 0
        self.since_fast = 1e9
        self.since_soft = 1e9  # hops since a slow or pitch report
        self.pitch_odf = 0.0

    def __call__(self, bands: np.ndarray, pitch: float | None = None, entry: float = 0.0) -> tuple[bool, float, float]:
        """bands [n_bands] filterbank amplitudes; pitch: a PitchNovelty value on the hops that have one, entry its
        soft-entry novelty (PitchNovelty.entry)."""
        odf = self.fast(bands)
        slow = self.slow(bands)
        self.gate.level(bands)
        self.since_fast += 1
        self.since_soft += 1
        spiky = self.gate.spikes() == 2
        self.pick_fast.delta_fall = BUSY_DELTA_MEAN if spiky else 0.0
        fast_on = self.pick_fast(odf)
        slow_on = self.pick_slow(slow)
        if fast_on and self.gate.held(odf, self.fast.log_spec):
            fast_on = False
        if fast_on and spiky and odf <= self.pick_fast.full_threshold:
            if self.gate.held(odf, self.fast.log_spec, always=True):
                fast_on = False
                self.pick_fast.undo()
        if slow_on and self.gate.held(max(odf, slow), self.fast.log_spec, HELD_SLOW_SHARE, always=True):
            slow_on = False
        pitch_on = False
        if pitch is not None:
            blocked = min(self.since_fast, self.since_soft) * self.hop_s <= ENTRY_BLOCK_S
            if entry > 0.0 and not blocked and not spiky:
                pitch += ENTRY_WEIGHT * entry
            self.pitch_odf = pitch
            pitch_on = self.pick_pitch(pitch)
        if (fast_on or slow_on or pitch_on) and self.gate.steady(self.fast.log_spec):
            fast_on = slow_on = pitch_on = False
        self.gate.push(odf, self.fast.mf)
        release = self.release(self.fast.log_spec, self.gate.spikes() == 0)
        if release is not None and self.pending is None:
            self.pending, self.pending_age = release, 0
        elif self.pending is not None:
            self.pending_age += 1
        if fast_on and self.since_soft <= SOFT_FAST_HOPS:
            fast_on = False
        if fast_on:
            self.since_fast = 0
            self.pending = None  # the change's attack: the release was its start, this is its onset
            return True, 0.0, odf
        if self.since_fast * self.hop_s <= SLOW_BLOCK_S:
            self.pending = None
            return False, 0.0, odf
        if slow_on and self.since_soft * self.hop_s > SLOW.min_ioi_s:  # the note a pitch report just gave
            self.since_soft = 0
            self.pending = None
            return True, SLOW.extra_delay_s, odf
        if pitch_on and self.since_soft * self.hop_s > PITCH.min_ioi_s:
            self.since_soft = 0
            self.pending = None
            return True, PITCH.extra_delay_s, odf
        if self.pending is not None and self.pending_age >= RELEASE_WAIT_HOPS:
            back, self.pending = self.pending + self.pending_age, None
            left = float(self.fast.log_spec.max()) >= self.release.top - RELEASE_LEFT
            if left and self.since_soft * self.hop_s > SLOW.min_ioi_s:
                self.since_soft = 0
                return True, back * self.hop_s, odf
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
