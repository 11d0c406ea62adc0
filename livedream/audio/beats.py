"""Causal beat tracking: tempo candidates from a comb over the ODF's autocorrelation (beat_tempo.py) and the rules for
switching between them, phase by a long comb (beat_phase.py) and a PLL; bars in bars.py."""

from __future__ import annotations

import numpy as np

from livedream.audio.bars import BarTracker
from livedream.audio.beat_phase import (
    CHORD_LAG_S,
    PHASE_ONSET,
    PHASE_ONSET_PLAIN,
    harm_signal,
    onset_signal,
    phase_lead,
    phase_signal,
)
from livedream.audio.beat_tempo import autocorr, candidate_periods, comb_score, refine, three_two, with_harmony
from livedream.audio.harmony import HarmonicNovelty

HISTORY_S = 8.0  # ODF kept for the autocorrelation
UPDATE_S = 0.1  # re-fit the phase this often
TEMPO_EVERY = 2  # and re-estimate the tempo every this many phase fits (the autocorrelation is most of the cost)
SETTLE_S = 4.0  # (but at every fit in the first seconds: the tracker settles sooner)
MIN_HISTORY_S = 1.5  # first estimate after this much audio
PLL_GAIN = 0.6  # share of a small phase error corrected per update
PLL_JUMP = 0.2  # errors above this share of a beat are only taken after JUMP_VOTES updates in a row
JUMP_VOTES = 2
JUMP_HOLD_S = 1.0  # a phase followed this long (since its jump or the last tempo switch) is kept until ...
JUMP_LEAD = 0.3  # ... the new phase's leads over it (each a share of its score, over the jump's updates in a row)
#   add up to this: near-ties flipped it every few updates (cpebach between its beat and off-beat; a blip half a
#   beat away costs AMLt its continuity for beats). Not in the first SETTLE_S nor right after a jump (a jump back
#   is quick): wide AMLt 0.740 -> 0.752; a 2-3 s hold 0.740-0.746, a 0.6-1.0 lead F 0.754-0.757, no hold F 0.761
SWITCH_VOTES = 3  # updates in a row a new tempo must win before it replaces the current one
SWITCH_MARGIN = 1.1
# No switch to half the tempo followed in the first SETTLE_S: the early ACF (2-4 s of audio) often repeats at two
# beats as much as at one, and a half-tempo switch taken there was undone seconds later (the Beethoven scherzo
# 176 -> 88 at 2.3 s, the Haydn menuetto 136 -> 68 at 2.9 s, ultimate_run 150 -> 100 -> 150); a first guess at
# twice the tempo is halved from SETTLE_S on (aloha_oe 200 -> 100 at 4.2 s instead of 2.1 s). 2/3 switches stay:
# a 6/8 pattern's dotted quarter is only found by one (81 -> 120 -> 80 bpm at 3.7 s). After SETTLE_S no switch
# to a third of the tempo: that is the bar of a fast 3/4 (the Beethoven scherzo 176 -> 59 at 6.7 s, AMLt 0.17 ->
# 0.97); a tempo three times too fast is a first guess, fixed within SETTLE_S, or goes by 2/3 and 1/2.
KEEP_S = 4.0  # a tempo followed this long (after SETTLE_S) only gives way to a faster one (not the 3+3+2 rule's) ...
KEEP_VOTES = 30  # ... that wins this many tempo updates in a row (~6 s: a new song's tempo): a faster level showing
#   up later is a subdivision or a hemiola, not the beat (the Haydn 6/8 winds' 104 -> 156 at 10.7 s, AMLt 0.14 ->
#   0.53; Corelli's 60 -> 140, held-out blupi_music008 96 -> 128 and Monteverdi m3_2 96 -> 154). Only 3/2: wide
#   AMLt 0.798 for 0.802; from 3 or 6 s the same, at 20 votes the Haydn takes 156 at 14.7 s
BREAK_RATIO = 0.1  # recent ODF mean below this share of the long-term mean: a break, hold tempo and phase
HARM_SWITCH = 2.0


class BeatTracker:
    """Per hop: ODF, bass onsets, chord change, kick and snare hits in; beat and downbeat flags, tempo, phases out.

    Nothing looks ahead: beats are predicted from the tempo and phase fitted on the past, so a beat is
    reported on the hop it falls in (delay_s earlier than the ODF would show it, the detector's latency).
    """

    def __init__(self, hop_s: float, delay_s: float = 0.0):
        self.hop_s = hop_s
        self.delay_s = delay_s
        self.n_hist = int(round(HISTORY_S / hop_s))
        self.fft_n = 1 << int(np.ceil(np.log2(2 * self.n_hist)))
        # [7, n_hist] ring of the newest ODF values, bass onset strengths, chord changes, kick and snare hits (0/1),
        # harmonic novelties (each filled in once the 0.2 s after it has been heard, 0 until then) and onsets (1 each
        # at its stamped time, see stamp)
        self.rings = np.zeros((7, self.n_hist), np.float64)
        self.harmony = HarmonicNovelty(self.n_hist, hop_s)
        self.chord_lag = int(round(CHORD_LAG_S / hop_s))
        self.pos = 0
        self.count = 0
        self.every = max(1, int(round(UPDATE_S / hop_s)))
        self.lags, self.prior = candidate_periods(hop_s)  # [L] candidate periods (hops), [L] their prior
        self.period = 0.0  # hops; 0 = no tempo yet
        self.next_beat = 0.0  # ODF time (s) of the next beat
        self.last_beat: float | None = None
        self.confidence = 0.0
        self.beat_index = 0
        self.bars = BarTracker(hop_s)
        self._switch = (0.0, 0)  # candidate period, votes
        self._jump = 0
        self._lead = 0.0
        self._tempo_at = 0.0  # when the tempo followed was first taken
        self._since = 0.0  # when the phase followed was last jumped to or the tempo switched

    @property
    def elapsed_s(self) -> float:
        """Seconds of audio heard so far (the hops counted)."""
        return self.count * self.hop_s

    @property
    def meter(self) -> int:
        """Beats per bar (3 or 4), from the bar tracker."""
        return self.bars.meter

    @property
    def tempo_bpm(self) -> float:
        return 60.0 / (self.period * self.hop_s) if self.period > 0 else 0.0

    def _history(self) -> np.ndarray:
        """[7, n] the rings' values, oldest first (only what has been heard)."""
        self.harmony.fill(self.rings[5], self.count)
        h = np.concatenate((self.rings[:, self.pos :], self.rings[:, : self.pos]), axis=1)  # np.roll without its Python
        return h[:, -min(self.count, self.n_hist) :]

    def _tempo(self, hist: np.ndarray) -> None:
        """Period (hops) and confidence from the history [7, n] (the ODF's autocorrelation; the phase signal for
        the 3+3+2 test)."""
        acf = autocorr(hist[0], self.fft_n)
        if acf is None:  # silence, DC, a steady tone: nothing repeats, so no tempo (and no beats) from it
            return
        # the ACF the comb reads: the ODF's, or a mix with the harmonic novelty's where it is flat
        comb_acf = with_harmony(acf, hist[5], self.harmony.w, self.lags, self.elapsed_s, self.fft_n)
        score = comb_score(comb_acf, self.lags, self.prior)  # [L]
        if score is None:
            return
        best = float(self.lags[int(np.argmax(score))])
        at_lag = lambda lag: float(np.interp(lag, self.lags, score))  # noqa: E731
        faster = three_two(hist, best, at_lag, acf, self.lags, self.period, self.chord_lag)
        best = faster or best
        if self.period == 0:
            self.period = best
            self._tempo_at = self.elapsed_s
        elif abs(best / self.period - 1) < 0.04:
            self.period += 0.2 * (best - self.period)  # follow a drift or an accelerando
            self._switch = (0.0, 0)
        else:
            cand, votes = self._switch
            votes = votes + 1 if abs(best / max(cand, 1e-9) - 1) < 0.04 else 1
            self._switch = (best, votes)
            margin = (
                SWITCH_MARGIN if comb_acf is acf else HARM_SWITCH
            )  # a flat ODF's tempo is kept unless clearly beaten
            ratio, settling = best / self.period, self.elapsed_s < SETTLE_S
            barred = abs(ratio - 2.0) < 0.04 if settling else abs(ratio - 3.0) < 0.06
            kept = self.elapsed_s - self._tempo_at >= KEEP_S and votes < KEEP_VOTES
            barred = barred or (not settling and not faster and ratio < 1.0 and kept)
            if votes >= SWITCH_VOTES and not barred and (faster or at_lag(best) > margin * at_lag(self.period)):
                self.period = best
                self._switch = (0.0, 0)
                self._since = self._tempo_at = self.elapsed_s
        if self.period > 0:
            self.period = refine(self.period, acf, self.lags)
        self.confidence = float(np.clip(2.0 * np.interp(self.period, np.arange(len(acf)), acf), 0.0, 1.0))

    def _phase(self, hist: np.ndarray) -> None:
        """Fit the beat phase on the history [7, n]: the ODF, bass onsets, chord changes, drum hits, harmonic novelty,
        onsets."""
        p = self.period
        sig, harm = phase_signal(hist, p, self.chord_lag), harm_signal(hist, self.chord_lag)
        onsets = onset_signal(hist, p)  # [n] (not in the 3+3+2 test's phase signal)
        self._fit_phase(sig + PHASE_ONSET * onsets, p, harm, PHASE_ONSET_PLAIN * onsets)

    def _fit_phase(
        self, h: np.ndarray, p: float, harm: np.ndarray | None = None, onsets: np.ndarray | None = None
    ) -> None:
        """Move next_beat toward the phase that best lines a comb of past beats up with the ODF peaks (h [n]; harm [n]
        the harmonic novelty, onsets [n] a row whose comb is added without the swing taps)."""
        now = self.elapsed_s
        period_s = p * self.hop_s
        cur = (now + period_s - self.next_beat) / self.hop_s  # hops back to the latest beat the PLL follows
        phi, lead = phase_lead(h, p, harm, cur, onsets)
        est = now - phi * self.hop_s + period_s  # the next beat, by this fit
        if self.last_beat is None and self.next_beat == 0.0:
            self.next_beat = est
            return
        err = (est - self.next_beat + period_s / 2) % period_s - period_s / 2
        if abs(err) < PLL_JUMP * period_s:
            self.next_beat += PLL_GAIN * err
            self._jump, self._lead = 0, 0.0
        else:
            self._jump += 1
            self._lead += max(lead, 0.0)
            settled = now >= SETTLE_S and now - self._since >= JUMP_HOLD_S
            if self._jump >= JUMP_VOTES and (not settled or self._lead >= JUMP_LEAD):
                self.next_beat += err
                self._jump, self._lead, self._since = 0, 0.0, now

    def __call__(
        self,
        odf: float,
        bass: float = 0.0,
        chord: float = 0.0,
        kick: float = 0.0,
        snare: float = 0.0,
        chroma: np.ndarray | None = None,
        onset_back_s: float | None = None,
        bass_chroma: np.ndarray | None = None,
    ) -> tuple[bool, bool]:
        """ODF, bass onset strength, chord change (0..1), kick and snare hits (0/1), chroma [12] of the newest hop and,
        where an onset is reported in it, how much before the hop's ODF time it is stamped (s), and its bass chroma [12]
        (for the bars) -> (beat, downbeat) in this hop."""
        self.bars.accent(odf, chord, kick, chroma, bass_chroma)
        self.rings[:, self.pos] = (odf, bass, chord, kick, snare, 0.0, 0.0)
        if onset_back_s is not None:
            self.stamp(onset_back_s)
        if chroma is not None:
            self.harmony.chromas[self.pos] = chroma
        self.pos = (self.pos + 1) % self.n_hist
        self.count += 1
        now = self.elapsed_s
        if self.count % self.every == 0 and now >= MIN_HISTORY_S:
            hist = self._history()  # [6, n]
            h = hist[0]
            recent = h[-int(2.0 / self.hop_s) :].mean()
            if self.period == 0 or recent > BREAK_RATIO * h.mean():
                settling = now < SETTLE_S
                if self.period == 0 or settling or self.count % (TEMPO_EVERY * self.every) == 0:
                    self._tempo(hist)
                if self.period > 0:
                    self._phase(hist)
        if self.period == 0:
            return False, False
        period_s = self.period * self.hop_s
        while self.next_beat - self.delay_s < now - period_s:  # fell behind (a jump): skip the missed beats
            self.next_beat += period_s
        if self.next_beat - self.delay_s > now:
            return False, False
        if self.last_beat is not None and self.next_beat - self.delay_s < self.last_beat + 0.5 * period_s:
            self.next_beat += period_s  # the PLL pulled the next beat back onto the last one: never report it twice
            return False, False
        self.last_beat = self.next_beat - self.delay_s
        self.next_beat += period_s
        self.beat_index += 1
        return True, self.bars.beat(self.beat_index)

    def stamp(self, back_s: float) -> None:
        """Count an onset reported in the newest hop at its stamped time, back_s before that hop's ODF time, in the
        onset ring (split between the two hops around it): a slow attack's ODF peaks late, its stamp does not."""
        back = min(max(back_s / self.hop_s, 0.0), self.n_hist - 2.0)
        k = int(back)
        frac = back - k
        self.rings[6, (self.pos - k) % self.n_hist] += 1.0 - frac
        self.rings[6, (self.pos - k - 1) % self.n_hist] += frac

    def phases(self, now: float) -> tuple[float, float]:
        """(beat phase, bar phase) in [0, 1) at audio time now."""
        if self.last_beat is None or self.period == 0:
            return 0.0, 0.0
        beat = min(max((now - self.last_beat) / (self.period * self.hop_s), 0.0), 0.999)
        return beat, self.bars.bar_phase(self.beat_index, beat)
