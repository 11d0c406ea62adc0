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


def test_one_chord_onset_alone_does_not_turn_the_held_gate_off():
    """A pad's chord onset is one spike in a second of smooth swells: a swell back to a recent level is still held;
    with a second spike (a plucked or band context) the gate stays off and a repeated note counts; a click's
    transient is no past level to return to."""
    from livedream.audio.onset_held import HeldToneGate

    hop_s, bands = 256 / SR, 8
    rng = np.random.default_rng(0)
    spectrum = rng.uniform(1.0, 3.0, bands).astype(np.float32)  # [bands] a held chord's log spectrum

    def gate_after(spikes: list[int], click: bool = False) -> HeldToneGate:
        g = HeldToneGate(bands, hop_s)
        for h in range(len(g.odfs)):  # one second of swells (ODF ~1), spikes (ODF 20) at the given hops
            g.level(np.ones(bands, np.float32))
            loud = click and any(0 <= h - s < 4 for s in spikes)  # a click's broadband transient, for 4 hops
            g.push(20.0 if h in spikes else float(rng.uniform(0.5, 1.5)), spectrum + 3.0 if loud else spectrum)
        return g

    swell = spectrum - 0.05  # back to (just under) where the chord was a moment ago
    assert gate_after([10]).held(3.0, swell)  # one spike: sustained music, the swell is dropped
    assert not gate_after([10, 50]).held(3.0, swell)  # two: spiky music, the report stands
    # a chord entering 10 hops after a click rises above what sounded before it, but not above the click
    assert not gate_after([75], click=True).held(3.0, spectrum + 1.0)


def test_a_quiet_voice_entering_under_a_held_chord_is_found():
    """A voice 6 dB under each tone of a loud chord (held, with vibrato and tremolo) entering with a slow attack
    (150-200 ms) raises the pitch novelty too little for the pitch path; its bands' rise over their own level of
    the last 0.3 s (PitchNovelty.entry) reports it, and the chord's swells still give nothing."""
    t = np.arange(4 * SR) / SR
    vib = 1 + 0.004 * np.sin(2 * np.pi * 5.5 * t)  # [n] a 7-cent vibrato on every voice
    level = 0.8 + 0.2 * np.sin(2 * np.pi * 3.5 * t)  # a 3.5 dB tremolo on the chord
    chord = sum(harmonic(2 * np.pi * np.cumsum(440 * 2 ** ((m - 69) / 12) * vib) / SR) for m in (48, 55, 64))
    held = 0.1 * chord * level * np.minimum(1.0, t / 0.05)
    for attack in (0.15, 0.2):
        voice = harmonic(2 * np.pi * 440 * 2 ** (1 / 12) * np.cumsum(vib * (t >= 2.0)) / SR)  # B flat 4 from 2 s
        x = held + 0.05 * voice * np.clip((t - 2.0) / attack, 0.0, 1.0)
        est = [round(f.onset_time, 3) for f in Analyzer().feed(x.astype(np.float32)) if f.onset and f.time > 0.3]
        assert len(est) == 1 and abs(est[0] - 2.0) <= 0.05, (attack, est)


def test_a_chord_change_whose_new_notes_sound_late_is_found_at_the_release():
    """Legato strings whose new chord's notes rise from 40 dB under their level over 250 ms (dB-linear, inaudible
    under the old chord for ~100 ms, as the OPL3 strings of the wide K. 80): the old chord's release, at the
    note-on, is the change's only mark within 50 ms; the release path reports it, stamped at the fall's start.
    The held chords themselves give nothing."""
    t = np.arange(4 * SR) / SR
    old = sum(harmonic(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in (48, 55, 64, 67))
    new = sum(harmonic(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in (50, 57, 65, 69))
    after = np.maximum(t - 2.0, 0.0)
    release = np.where(t < 2.0, np.minimum(1.0, t / 0.05), 10 ** (-after / 0.12))  # 20 dB down 120 ms after 2 s
    attack = np.where(t < 2.0, 0.0, 10 ** (np.minimum(after / 0.25, 1.0) * 2.0 - 2.0))  # -40 dB -> 0 over 250 ms
    x = 0.08 * (old * release + new * attack)
    est = [round(f.onset_time, 3) for f in Analyzer().feed(x.astype(np.float32)) if f.onset and f.time > 0.3]
    assert len(est) >= 1 and abs(est[0] - 2.0) <= 0.05 and all(e > 1.9 for e in est), est


def test_a_held_chord_stopping_into_silence_gives_no_onset():
    """A release into silence (a phrase's end) is no change: the release path needs sound left (RELEASE_LEFT)."""
    t = np.arange(4 * SR) / SR
    chord = sum(harmonic(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in (48, 55, 64, 67))
    for tau in (0.03, 0.08, 0.2):
        stop = np.where(t < 2.0, np.minimum(1.0, t / 0.05), 10 ** (-np.maximum(t - 2.0, 0.0) / tau))
        x = 0.08 * chord * stop
        assert [f.time for f in Analyzer().feed(x.astype(np.float32)) if f.onset and f.time > 0.3] == [], tau
