"""Causal onset picking: adaptive thresholds, and the fast, slow, pitch and release paths together (through the held-tone
gate of onset_held.py)."""

from __future__ import annotations

import numpy as np

from livedream.audio.onset_held import HELD_SLOW_SHARE, HeldToneGate
from livedream.audio.onset_odf import FAST, MIN_IOI_S, PITCH, SLOW, FluxSetting, SuperFlux
from livedream.audio.onset_release import RELEASE_LEFT, RELEASE_WAIT_HOPS, ReleaseDetector

SLOW_BLOCK_S = 0.1  # no slow report this soon after a fast one (the same note)
PEAK_HALF_LIFE_S = 4.0
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
