"""Meter and downbeats from the accents of the beats the beat tracker reports: the fold that makes the sharpest bar."""

from __future__ import annotations

import numpy as np

METERS = (3, 4)
DOWN_CHORD = 1.0  # the downbeat accent: the beat's ODF plus this times the chord change, each over its mean
ACCENT_HOPS = 9  # hops after a beat in which its accent is measured (the chord change comes ~6 hops late)
ACCENT_MEAN_S = 4.0  # time constant of the running means the accent's parts are divided by
BAR_HISTORY = 24  # beats of accents the meter and the downbeat are read from
BAR_DECAY = 0.97  # weight of each older beat in them
METER_SWITCH = 1.1  # a new meter must fold the accents into a 10 % sharper bar profile
METER_MIN_SHARP = 0.2  # ... and one whose strongest slot stands at least this share of the mean above the next:
#   on unaccented beats (a metronome, identical kicks) every fold is flat, and the meter flipped between 3 and 4 on
#   noise (17 times in 22 s of a 120 bpm click track; downbeats 1-9 beats apart), moving every bar-locked event.
#   Wide / held-out downbeat F 0.289 / 0.277 at 0, 0.277 / 0.262 at 0.2: within the figure's run-to-run noise
DOWNBEAT_SWITCH = 1.2


class BarTracker:
    """Per hop the ODF and chord change in (accent()); per beat its index in (beat()); meter and downbeat out.

    A beat's accent is its largest accent in its first ACCENT_HOPS hops, so it is only known a few hops after
    the beat: the bar is read from the beats whose accents are complete, and each beat's downbeat flag from the
    bar in force when it falls (nothing waits).
    """

    def __init__(self, hop_s: float):
        self.meter = 4
        self.downbeat_pos = 0  # the beat_index residue (mod meter) of the downbeats
        self._beat_acc = np.zeros(BAR_HISTORY)  # [H] accent of each recent beat
        self._beat_idx = np.full(BAR_HISTORY, -1)  # [H] its beat_index (-1: none yet)
        self._means = (0.0, 0.0)  # running means of the ODF and the chord change
        self._mean_a = float(np.exp(-hop_s / ACCENT_MEAN_S))
        self._count = 0
        self._pending: list[tuple[int, int, float]] = []  # (beat index, hops left, max accent so far)
        self._accent = 0.0

    def accent(self, odf: float, chord: float) -> None:
        """One hop's ODF and chord change: its accent goes to the beats still being measured."""
        a = self._mean_a
        m_odf, m_chord = self._means
        m_odf, m_chord = a * m_odf + (1 - a) * odf, a * m_chord + (1 - a) * chord
        self._means = (m_odf, m_chord)
        self._count += 1
        fill = 1.0 - a**self._count  # unbiased while the means fill up
        accent = odf * fill / max(m_odf, 1e-9) + DOWN_CHORD * chord * fill / max(m_chord, 1e-9)
        self._accent = accent
        self._pending = [(s, left - 1, max(acc, accent)) for s, left, acc in self._pending]
        for bi, left, acc in self._pending:
            if left <= 0:
                self._beat_acc[bi % BAR_HISTORY] = acc
                self._beat_idx[bi % BAR_HISTORY] = bi
        self._pending = [q for q in self._pending if q[1] > 0]

    def beat(self, beat_index: int) -> bool:
        """A beat falls in this hop (after this hop's accent()): is it a downbeat?"""
        self._refold(beat_index)
        self._pending.append((beat_index, ACCENT_HOPS, self._accent))
        return beat_index % self.meter == self.downbeat_pos

    def bar_phase(self, beat_index: int, beat_phase: float) -> float:
        """[0, 1) the position in the bar of a point beat_phase into beat beat_index."""
        in_bar = (beat_index - self.downbeat_pos) % self.meter
        return min((in_bar + beat_phase) / self.meter, 0.999)

    def _refold(self, beat_index: int) -> None:
        """Meter and downbeat: the meter that folds the recent beats' accents into the sharpest bar profile,
        the downbeat its strongest slot (each switched only for a clearly better one: bars do not flicker)."""
        ok = self._beat_idx >= 0
        if ok.sum() < 2 * max(METERS):
            return
        idx, acc = self._beat_idx[ok], self._beat_acc[ok]
        w = BAR_DECAY ** (beat_index - idx).astype(np.float64)
        prof, sharp = {}, {}
        for m in METERS:
            prof[m] = np.bincount(idx % m, w * acc, m) / np.maximum(np.bincount(idx % m, w, m), 1e-12)  # [m]
            top2 = np.sort(prof[m])[-2:]  # the strongest slot over the next: a wrong meter smears the bar flat
            sharp[m] = float(max(top2[1] - top2[0], 0.0) / max(prof[m].mean(), 1e-12)) + 0.01
        best = max(METERS, key=lambda m: sharp[m])
        if best != self.meter and sharp[best] > max(METER_SWITCH * sharp[self.meter], METER_MIN_SHARP + 0.01):
            self.meter = best
            self.downbeat_pos = int(np.argmax(prof[best]))
        pr = prof[self.meter]
        top = int(np.argmax(pr))
        if pr[top] > DOWNBEAT_SWITCH * pr[self.downbeat_pos % self.meter]:
            self.downbeat_pos = top
        self.downbeat_pos %= self.meter
