"""Steady noise and steady tones give (almost) no onsets: the noise margin of the onset detector, on several seeds."""

import numpy as np
import pytest

from livedream.audio.analyzer import Analyzer

SR = 22050
SECONDS = 4.0
SETTLE_S = 0.5  # the sound's own start from silence is an onset
MAX_ONSETS = 1  # in the 3.5 s after SETTLE_S
SQUARE_HZ = (55, 110, 190, 210, 392, 523)  # the storms before the steady-level gate: 5, 3, 33, 7, 10 and 4 onsets


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pink (1/f power) noise, 0.3 RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return 0.3 * x / x.std()


def steady(name: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * SR)
    t = np.arange(n) / SR
    if name == "white":
        return 0.3 * rng.standard_normal(n)
    if name == "pink":
        return pink(rng, n)
    if name == "drifting white":  # the level rises and falls by 12 dB over 3.3 s
        return 0.3 * (1 + 0.6 * np.sin(2 * np.pi * 0.3 * t + seed)) * rng.standard_normal(n)
    if name == "clipped square":  # aliased partials beat against the true ones
        return np.clip(3 * np.sign(np.sin(2 * np.pi * SQUARE_HZ[seed] * t)), -1, 1)
    if name == "sine":
        return 0.5 * np.sin(2 * np.pi * (440 + 50 * seed) * t)
    raise ValueError(name)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", ["white", "pink", "drifting white", "sine"])
def test_steady_input_gives_at_most_one_onset(name, seed):
    feats = Analyzer(SR).feed(steady(name, seed).astype(np.float32))
    times = [round(f.time, 2) for f in feats if f.onset and f.time > SETTLE_S]
    assert len(times) <= MAX_ONSETS, (name, seed, times)


def test_clipped_squares_whose_partials_beat_give_at_most_one_onset():
    """Their aliases beat against the true partials: energy moves between bands at a steady loudness."""
    counts = {}
    for seed, hz in enumerate(SQUARE_HZ):
        feats = Analyzer(SR).feed(steady("clipped square", seed).astype(np.float32))
        counts[hz] = sum(1 for f in feats if f.onset and f.time > SETTLE_S)
    assert max(counts.values()) <= MAX_ONSETS, counts


def test_a_note_over_steady_noise_still_counts():
    """The margin is not deafness: a plucked tone entering over the same pink noise is found, in time."""
    x = steady("pink", 0)
    t = np.arange(int(0.5 * SR)) / SR
    note = 0.5 * np.sin(2 * np.pi * 330 * t) * np.exp(-t / 0.15)
    for start in (1.5, 2.5, 3.2):
        i = int(start * SR)
        x[i : i + len(note)] += note
    feats = Analyzer(SR).feed(x.astype(np.float32))
    times = np.array([f.onset_time for f in feats if f.onset and f.time > SETTLE_S])
    for start in (1.5, 2.5, 3.2):
        assert np.min(np.abs(times - start)) < 0.05, (start, times)
