"""Test signals with known answers: clicks at given times, pure-tone chords, and a song file made of them.

The demo song (livedream.audio.synth.demo_song) is the realistic signal; these are the ones whose onsets,
pitches and levels a test can state exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE
from livedream.audio.encode import write_audio

C_MAJOR_HZ = (261.63, 329.63, 392.0)  # C4 E4 G4


def click_track(
    times: Iterable[float],
    seconds: float,
    sr: int = ANALYSIS_RATE,
    seed: int = 0,
    gain: float = 0.7,
    decay_s: float = 0.005,
) -> np.ndarray:
    """[n] float32: a short decaying noise burst (a drum-like click, 30 ms) at each of `times` (s)."""
    rng = np.random.default_rng(seed)
    x = np.zeros(int(seconds * sr), np.float32)
    n = int(0.03 * sr)
    burst = (rng.standard_normal(n) * np.exp(-np.arange(n) / (decay_s * sr))).astype(np.float32)  # [n]
    for t in times:
        i = int(round(t * sr))
        x[i : i + n] += gain * burst[: len(x) - i]
    return x


def chord(midis: Iterable[int], seconds: float, sr: int = ANALYSIS_RATE, cents: float = 0.0) -> np.ndarray:
    """[n] float32: a sustained chord of harmonic tones (4 harmonics each) on MIDI notes `midis`, all `cents` off
    equal temperament at A4 = 440 Hz (a recording tuned a little sharp or flat)."""
    notes = list(midis)
    t = np.arange(int(seconds * sr)) / sr
    y = sum(
        a * np.sin(2 * np.pi * k * 440 * 2 ** ((m - 69 + cents / 100) / 12) * t)
        for m in notes
        for k, a in ((1, 1), (2, 0.4), (3, 0.2), (4, 0.1))
    )
    return (0.2 * y / len(notes)).astype(np.float32)


def sines(freqs: Iterable[float], seconds: float, sr: int, gain: float = 0.12) -> np.ndarray:
    """[n] float32: pure sine tones at freqs (Hz), each at `gain`: a chord with no overtones."""
    t = np.arange(int(seconds * sr)) / sr
    return sum((gain * np.sin(2 * np.pi * f * t) for f in freqs), np.zeros(len(t))).astype(np.float32)


def clicks_and_chord(beats: Iterable[float], seconds: float, sr: int) -> np.ndarray:
    """[n] float32: a C major chord of pure tones held under a loud click at each of `beats` (s)."""
    return sines(C_MAJOR_HZ, seconds, sr) + click_track(beats, seconds, sr, gain=0.8, decay_s=0.006)


def stereo(x: np.ndarray, channels: int = 2) -> np.ndarray:
    """[n] -> [n, channels] float32, clipped to [-1, 1]: the same signal in every channel."""
    return np.repeat(np.clip(x, -1, 1).astype(np.float32)[:, None], channels, axis=1)


def write_song(path: Path, x: np.ndarray, sr: int, channels: int = 2) -> Path:
    """Write mono x as a `channels`-channel audio file (its format from the suffix); returns path."""
    write_audio(path, stereo(x, channels), sr)
    return path
