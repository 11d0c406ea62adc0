"""Held notes: a tremolo is no onset, a legato change of pitch in the same timbre is (onset.py's held-tone gate)."""

from __future__ import annotations

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE as SR
from livedream.audio.analyzer import Analyzer


def harmonic(phase: np.ndarray, harmonics: int = 8) -> np.ndarray:
    """[n] a sawtooth-like tone (harmonic h at 1/h) from its fundamental's phase [n] (radians)."""
    return sum(np.sin(h * phase) / h for h in range(1, harmonics + 1))


def test_a_held_note_with_tremolo_and_vibrato_gives_no_onsets_after_its_attack():
    t = np.arange(4 * SR) / SR
    f0 = 220.0 * (1 + 0.004 * np.sin(2 * np.pi * 5.5 * t))  # [n] Hz: a 7-cent vibrato
    level = 0.75 + 0.25 * np.sin(2 * np.pi * 3.5 * t)  # a 6 dB tremolo, 3.5 times a second (the old detector: 6)
    x = 0.2 * harmonic(2 * np.pi * np.cumsum(f0) / SR) * level * np.minimum(1.0, t / 0.05)
    feats = Analyzer().feed(x.astype(np.float32))
    assert feats[0].onset or any(f.onset for f in feats if f.time < 0.1)  # the attack counts
    assert [round(f.time, 2) for f in feats if f.onset and f.time > 0.3] == []


def test_legato_notes_in_one_timbre_are_all_found():
    notes, step, fade = (57, 60, 64, 62, 65, 64, 60, 59), int(0.5 * SR), int(0.04 * SR)
    y = np.zeros(len(notes) * step + SR // 2)
    env = np.ones(step + fade)
    env[:fade], env[-fade:] = np.linspace(0, 1, fade), np.linspace(1, 0, fade)  # crossfades, no gap
    t = np.arange(step + fade) / SR
    for i, m in enumerate(notes):
        y[i * step : (i + 1) * step + fade] += 0.15 * harmonic(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) * env
    est = np.array([f.onset_time for f in Analyzer().feed(y.astype(np.float32)) if f.onset])
    found = [float(np.min(np.abs(est - i * 0.5))) <= 0.05 for i in range(len(notes))]
    assert all(found) and len(est) <= len(notes) + 1, est
