"""The beat phase on slow attacks: the onsets at their stamped times (beat_phase.PHASE_ONSET, PHASE_ONSET_PLAIN)."""

from __future__ import annotations

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE, Analyzer
from livedream.audio.report import beat_time

SR = ANALYSIS_RATE


def bowed_chords(seconds: float, beats: np.ndarray, beat_s: float, attack_s: float) -> np.ndarray:
    """[n] a string section's chords, a new one on each beat (C F G Am), each note 6 harmonics rising linearly over
    attack_s and held to the next beat: legato, no transient."""
    chords = ((48, 64, 67), (53, 65, 69), (55, 67, 71), (57, 64, 69))
    x = np.zeros(int(seconds * SR))
    t = np.arange(int((beat_s + 0.05) * SR)) / SR
    env = np.minimum(t / attack_s, 1.0) * np.exp(-np.maximum(t - beat_s, 0.0) / 0.02)  # [m]
    for k, b in enumerate(beats):
        i = int(round(b * SR))
        for m in chords[k % 4]:
            phase = 2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t
            seg = (0.08 * env * sum(np.sin(h * phase) / h for h in range(1, 7)))[: len(x) - i]
            x[i : i + len(seg)] += seg
    return x.astype(np.float32)


def test_slow_attacks_keep_the_beat_on_the_notes_start():
    """Bowed chords at 100 bpm rising over 120 ms: their ODF peaks late, and the beats sat a median 40 ms after the
    chords' starts (the ODF's peaks). With the onsets counted at their stamped times they sit within 30 ms."""
    secs, beat = 14.0, 0.6
    beats = np.arange(0.37, secs - 0.3, beat)
    feats = Analyzer().feed(bowed_chords(secs, beats, beat, 0.12))
    got = np.array([beat_time(f) for f in feats if f.beat and f.time >= 6.0])
    got = got[got < beats[-1] + 0.1]
    off = np.array([g - beats[np.argmin(np.abs(beats - g))] for g in got])  # [B] s after the nearest chord
    assert len(got) >= 11 and np.all(np.abs(off) < 0.1), off
    assert abs(float(np.median(off))) < 0.03, off
