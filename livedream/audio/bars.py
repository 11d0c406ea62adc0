"""Meter and downbeats from the accents of the beats the beat tracker reports: the downbeat is the slot where the
cues a musician hears on the one agree, the meter the fold in which they agree best."""

from __future__ import annotations

import numpy as np

METERS = (3, 4)
ACCENT_HOPS = 9  # hops after a beat in which its ODF, chord-change and kick peaks are taken (the chord change ~6 late)
BAR_HISTORY = 24  # beats of accents the meter and the downbeat are read from
BAR_DECAY = 0.97  # weight of each older beat in them
# Each beat's cues, measured over its interval (from its report to the next beat's): the ODF peak, the chord-change
# peak, the kick, how far the mean bass chroma and the mean chroma moved from the previous beat's (1 - cosine).
# The meter: the fold whose top slot has the highest summed t-score (the downbeat's score, below); its guard against
# noise reads the first two cues (METER_CUES).
N_CUES = 5
METER_CUES = 2
METER_LEAD = 1.5  # a new meter's top slot must score this much over the current one's (the sum of 5 noise t-scores
#   spreads ~2). The rule before (the meter whose ODF + chord-change bar was sharpest, its strongest slot over the
#   next, switched at 1.3 times the current's): wide downbeat F 0.353 (0.461 on the 18 clips with beat F >= 0.9),
#   the kit's meter 51 % of the time, 1.63 bar changes a clip; at lead 1 / 1.5 / 2: 0.354 / 0.349 / 0.346 (0.488 /
#   0.481 / 0.476), 54 / 64 / 65 %, 1.44 / 1.33 / 1.33 (4 kept on aloha 0 -> 81 % of the time, blupi007 pitched
#   26 -> 83 %, K. 545 52 -> 67 %, ultimate_run 88 -> 100 %; Haydn's menuetto and Chopin's mazurka still take 4:
#   their cues agree best at 4)
METER_MIN_SHARP = 0.2  # ... and its ODF + chord-change bar (each over its mean, averaged) must have its strongest
#   slot at least this share of the mean above the next: on unaccented beats (a metronome, identical kicks) the summed
#   t-scores of the 3-fold reach 3.4 and lead the 4-fold's by 2.7 (174 bpm clicks; the chroma of identical clicks
#   moves at random), while a 3/4 of clicks accented 1 : 0.3 scores 3.3-4.0: a t-score threshold does not part them,
#   this does (no meter flip on 16 click tracks at 90-174 bpm). Before the t-scores, the meter flipped between 3 and 4
#   on such noise 17 times in 22 s of a 120 bpm click track (downbeats 1-9 beats apart)
# The downbeat: each cue folded into its own bar profile, each slot's value as a t-score (its distance from the
# profile's mean over the standard error of a slot's mean, from the spread of the beats around their slots' means),
# the scores summed; the one is the top slot. A cue that marks the one on every bar weighs more than a loud one that
# varies, and a cue that is noise (the chroma of identical clicks moves 0.6-0.8 from beat to beat) weighs little.
# Alone, the ODF or the chord change found the one's slot on 10-11 of 23 wide clips, the kick (where there is a kick)
# 15, the bass or chroma move 9-10. The rule before (ODF + chord change, each over its running mean, in one fold):
# wide downbeat F 0.341 (0.463 on the 17 clips with beat F >= 0.9), 2.5 bar changes a clip; the five cues as
# z-scores, equal weights: 0.395 (0.532), 1.9, but a clear ODF accent lost to the chroma moves of the clicks; the
# t-scores 0.403 (0.523), 1.7 (PHASE_FLOOR, PHASE_SWITCH). Without the kick, the bass move or the chroma move
# (z-scores) 0.37-0.39; the note's length after the beat (the ODF's quiet), the bass onsets or the level as a sixth
# cue 0.36-0.40.
PHASE_FLOOR = 0.3  # a slot's standard error counts as at least this share of the profile's mean: identical beats
#   (a click track) leave the ODF flat, and a t-score over a near-zero error is noise, while the chroma of the
#   clicks moves 0.6-0.8 at random (at 0.1 the downbeat of a 120 or 140 bpm click track moved 1-2 times in 30 s;
#   wide F 0.416 at 0.1, 0.412 at 0.2, 0.403 at 0.3, 0.387 at 0.5)
PHASE_SWITCH = 3.0  # the downbeat moves to a slot whose summed t-score is this much over the current one's (the sum
#   of 5 noise t-scores spreads ~2; wide F / bar changes a clip 0.405 / 1.7 at 2 (but the click track's downbeat
#   moved), 0.403 / 1.7 at 3, 0.399 / 1.4 at 4)


def _moved(a: np.ndarray, b: np.ndarray) -> float:
    """1 - cosine of two chromas [12]; 0 where either is silent."""
    den = float(np.sqrt(a.dot(a) * b.dot(b)))
    return 1.0 - float(a.dot(b)) / den if den > 1e-12 else 0.0


class BarTracker:
    """Per hop the ODF, chord change, kick, chroma and bass chroma in (accent(), from the beat tracker); per beat its
    index in (beat()); meter and downbeat out.

    A beat's cues are complete when the next beat comes, so the bar is read from the beats before the newest, and
    each beat's downbeat flag from the bar in force when it falls (nothing waits). Costs a few sums a hop and two
    small folds a beat.
    """

    def __init__(self, hop_s: float):
        self.meter = 4
        self.downbeat_pos = 0  # the beat_index residue (mod meter) of the downbeats
        self._cues = np.zeros((BAR_HISTORY, N_CUES))  # [H, N_CUES] cues of each recent beat
        self._beat_idx = np.full(BAR_HISTORY, -1)  # [H] its beat_index (-1: none yet)
        self._last = -1  # beat_index of the beat whose interval is being heard (-1: none yet)
        self._hops = 0  # hops heard since it
        self._peaks = np.zeros(3)  # [3] ODF, chord change and kick peaks in its first ACCENT_HOPS hops
        self._sums = np.zeros((2, 12))  # [2, 12] its chroma and bass chroma summed
        self._prev_sums: np.ndarray | None = None  # [2, 12] the same for the beat before it
        self._held: tuple | None = None  # the newest hop's ODF, chord change, kick, chroma, bass chroma

    def accent(
        self,
        odf: float,
        chord: float,
        kick: float = 0.0,
        chroma: np.ndarray | None = None,
        bass: np.ndarray | None = None,
    ) -> None:
        """One hop's ODF, chord change, kick hit (0/1), chroma [12] and bass chroma [12]: held for a hop, then into
        the cues of the beat being heard (the hop a beat is reported in is that beat's first)."""
        held = self._held
        self._held = (odf, chord, kick, chroma, bass)
        if held is None:
            return
        odf, chord, kick, chroma, bass = held
        if self._hops < ACCENT_HOPS:
            p = self._peaks
            p[0], p[1], p[2] = max(p[0], odf), max(p[1], chord), max(p[2], kick)
        if chroma is not None:
            self._sums[0] += chroma
        if bass is not None:
            self._sums[1] += bass
        self._hops += 1

    def beat(self, beat_index: int) -> bool:
        """A beat falls in this hop (after this hop's accent()): is it a downbeat?"""
        self._close()
        self._last = beat_index
        self._refold(beat_index)
        return beat_index % self.meter == self.downbeat_pos

    def bar_phase(self, beat_index: int, beat_phase: float) -> float:
        """[0, 1) the position in the bar of a point beat_phase into beat beat_index."""
        in_bar = (beat_index - self.downbeat_pos) % self.meter
        return min((in_bar + beat_phase) / self.meter, 0.999)

    def _close(self) -> None:
        """The interval of the beat being heard ends: its cues go to the history, a new interval starts."""
        s = self._sums
        if self._last >= 0:
            prev = self._prev_sums
            moves = (0.0, 0.0) if prev is None else (_moved(prev[1], s[1]), _moved(prev[0], s[0]))
            row = self._last % BAR_HISTORY
            self._cues[row] = (*self._peaks, *moves)
            self._beat_idx[row] = self._last
            self._prev_sums = s.copy()
        self._peaks[:] = 0.0
        s[:] = 0.0
        self._hops = 0

    def _refold(self, beat_index: int) -> None:
        """Meter and downbeat: the downbeat the slot where all cues agree best, the meter the fold whose such slot
        scores highest, if its ODF and chord accents stand out at all (each switched only for a clearly better one:
        bars do not flicker)."""
        ok = self._beat_idx >= 0
        if ok.sum() < 2 * max(METERS):
            return
        idx, cues = self._beat_idx[ok], self._cues[ok]  # [n], [n, N_CUES]
        w = BAR_DECAY ** (beat_index - idx).astype(np.float64)  # [n]
        sharp, score = {}, {}
        for m in METERS:
            slot = np.eye(m)[idx % m] * w[:, None]  # [n, m] each beat's weight in its slot
            prof = (cues.T @ slot) / np.maximum(slot.sum(axis=0), 1e-12)  # [N_CUES, m] each cue's bar profile
            mean = prof.mean(axis=1, keepdims=True)  # [N_CUES, 1]
            dev = prof - mean
            bar = 1.0 + (dev[:METER_CUES] / np.maximum(mean[:METER_CUES], 1e-9)).mean(axis=0)  # [m] mean 1
            top2 = np.sort(bar)[-2:]  # the strongest slot over the next: a wrong meter smears the bar flat
            sharp[m] = float(max(top2[1] - top2[0], 0.0)) + 0.01
            resid = cues - prof[:, idx % m].T  # [n, N_CUES] each beat around its slot's mean
            var = (w[:, None] * resid**2).sum(axis=0) / w.sum()  # [N_CUES]
            err = np.sqrt(var * m / len(idx))[:, None]  # [N_CUES, 1] standard error of a slot's mean
            err = np.maximum(err, PHASE_FLOOR * np.abs(mean))
            score[m] = (dev / np.maximum(err, 1e-9)).sum(axis=0)  # [m]
        tops = {m: float(score[m].max()) for m in METERS}  # each meter's top slot score
        best = max(METERS, key=lambda m: tops[m])
        if best != self.meter and tops[best] > tops[self.meter] + METER_LEAD and sharp[best] > METER_MIN_SHARP + 0.01:
            self.meter = best
            self.downbeat_pos = int(np.argmax(score[best]))
        sc = score[self.meter]
        top = int(np.argmax(sc))
        if sc[top] - sc[self.downbeat_pos % self.meter] > PHASE_SWITCH:
            self.downbeat_pos = top
        self.downbeat_pos %= self.meter
