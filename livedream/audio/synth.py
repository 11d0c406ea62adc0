"""A short, deterministic demo song (drums, bass, pad, arpeggio at 120 bpm) and its ground truth."""

from __future__ import annotations

import math

import numpy as np

BPM = 120.0
BEATS_PER_BAR = 4
# i - VI - III - VII in A minor: (root pitch class, chord intervals)
PROGRESSION = ((9, (0, 3, 7)), (5, (0, 4, 7)), (0, (0, 4, 7)), (7, (0, 4, 7)))
_BAR_S = BEATS_PER_BAR * 60.0 / BPM


def _section(bar: int) -> str:
    """intro (2 bars), then full; bars 6 and 7 of every 12 are a break and a snare build."""
    if bar < 2:
        return "intro"
    return {6: "break", 7: "build"}.get(bar % 12, "full")


def demo_song_truth(seconds: float = 24.0, sample_rate: int = 44100) -> dict:
    """What the demo song plays: beat and kick times (s), and per bar its start, chord root and tones."""
    beat_s = 60.0 / BPM
    n_beats = int(math.floor(seconds / beat_s + 1e-9))
    beats = [round(k * beat_s, 6) for k in range(n_beats)]
    kicks = [t for t in beats if _section(int(t // _BAR_S)) == "full"]
    bars = []
    for b in range(int(math.ceil(seconds / _BAR_S - 1e-9))):
        root, intervals = PROGRESSION[b % len(PROGRESSION)]
        bars.append(
            {
                "start": b * _BAR_S,
                "root": root,
                "pitch_classes": sorted((root + i) % 12 for i in intervals),
                "section": _section(b),
            }
        )
    return {"bpm": BPM, "sample_rate": sample_rate, "duration_s": seconds, "beats": beats, "kicks": kicks, "bars": bars}


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _tone(
    freq: float,
    dur: float,
    sr: int,
    n_harm: int,
    tilt: float,
    decay_per_harm: float = 0.0,
    attack: float = 0.005,
    release: float = 0.05,
    tau: float | None = None,
) -> np.ndarray:
    """Additive tone [n]: harmonics at 1/k**tilt, optional exponential decay that is faster for higher ones."""
    n = int(dur * sr)
    t = np.arange(n) / sr  # [n]
    y = np.zeros(n)
    for k in range(1, n_harm + 1):
        if k * freq > sr * 0.45:
            break
        amp = k**-tilt
        if decay_per_harm:
            amp = amp * np.exp(-t * decay_per_harm * (k - 1))
        y += amp * np.sin(2 * np.pi * k * freq * t + 0.3 * k)
    env = np.minimum(1.0, t / attack) * np.clip((dur - t) / release, 0.0, 1.0)
    if tau:
        env = env * np.exp(-t / tau)
    return y * env


def _kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.35 * sr)) / sr
    freq = 45.0 + 90.0 * np.exp(-t / 0.04)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * np.exp(-t / 0.22) + 0.3 * np.exp(-t / 0.003)


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # a first difference tilts it bright
    return 0.45 * noise * np.exp(-t / 0.09) + 0.5 * np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.06)


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 2), n=2)
    return 0.25 * noise * np.exp(-t / 0.018)


def _add(buf: np.ndarray, x: np.ndarray, t: float, sr: int, pan: float = 0.0, gain: float = 1.0) -> None:
    """Mix mono x into stereo buf [n, 2] at time t, equal-power pan in -1..1."""
    i = int(round(t * sr))
    if i >= len(buf):
        return
    x = x[: len(buf) - i]
    a = (pan + 1.0) * math.pi / 4
    buf[i : i + len(x), 0] += gain * math.cos(a) * x
    buf[i : i + len(x), 1] += gain * math.sin(a) * x


def demo_song(seconds: float = 24.0, sample_rate: int = 44100, seed: int = 0) -> np.ndarray:
    """[n, 2] float32: a small A-minor tune at 120 bpm, peak -1 dBFS, the same for the same arguments."""
    sr = int(sample_rate)
    rng = np.random.default_rng(seed)
    out = np.zeros((int(round(seconds * sr)), 2))  # [n, 2]
    beat = 60.0 / BPM
    kick, snare = _kick(sr), _snare(sr, rng)
    hats = [_hat(sr, rng) for _ in range(4)]
    for bar in demo_song_truth(seconds, sr)["bars"]:
        t0, root, sec = bar["start"], bar["root"], bar["section"]
        intervals = dict(PROGRESSION)[root]
        # pad: the triad around C3..B3, two slightly detuned voices, slow swell
        for iv in intervals:
            for det, pan in ((-0.04, -0.4), (0.04, 0.4)):
                tone = _tone(_hz(48 + root + iv + det), _BAR_S + 0.3, sr, 8, 1.3, attack=0.25, release=0.4)
                _add(out, tone, t0, sr, pan, 0.05 if sec != "break" else 0.07)
        # arpeggio: sixteenths up the chord in octave 5, plucked, with an echo
        arp = [72 + root + iv for iv in intervals] + [84 + root]
        for k in range(16):
            if sec == "build" and k >= 8:
                break
            tone = _tone(_hz(arp[k % 4]), 0.3, sr, 6, 1.0, decay_per_harm=6.0, tau=0.12)
            _add(out, tone, t0 + k * beat / 4, sr, 0.5 if k % 2 else -0.5, 0.06 + 0.02 * (k % 4 == 0))
            _add(out, tone, t0 + k * beat / 4 + 0.375, sr, -0.3, 0.02)
        # bass: eighths on the root in octave 2 (held in the break)
        if sec == "break":
            _add(out, _tone(_hz(36 + root), _BAR_S, sr, 6, 1.0, release=0.3), t0, sr, 0.0, 0.18)
        elif sec != "intro":
            for k in range(8):
                note = 36 + root + (12 if k in (3, 7) else 0)
                _add(out, _tone(_hz(note), beat / 2 * 0.9, sr, 6, 1.0, tau=0.25), t0 + k * beat / 2, sr, 0.0, 0.22)
        # drums
        for k in range(BEATS_PER_BAR):
            tb = t0 + k * beat
            if sec == "full":
                _add(out, kick, tb, sr, 0.0, 0.8)
                if k % 2 == 1:
                    _add(out, snare, tb, sr, 0.1, 0.5)
            if sec in ("full", "intro"):
                for h in range(2):
                    _add(out, hats[(k * 2 + h) % 4], tb + h * beat / 2, sr, 0.3, 0.5 + 0.3 * rng.random())
        if sec == "build":
            for k in range(8):  # a snare roll into the next bar, getting louder
                _add(out, snare, t0 + _BAR_S / 2 + k * beat / 4, sr, 0.1, 0.15 + 0.05 * k)
    peak = float(np.max(np.abs(out))) or 1.0
    return (out * (10 ** (-1 / 20) / peak)).astype(np.float32)
