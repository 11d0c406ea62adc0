"""Motion and pulse offsets of z, at Lucid Sonic Dreams' scale, and the bound that keeps z in the trained range."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

# LSD moves each noise dimension by motion_react * 20 / fps per frame at full amplitude: 20 per second.
MOTION_UNITS_PER_S = 20.0
# Its amplitude, the min-max of a mel power maximum, averages 0.22-0.24 on the eval kit's pitched clips; the
# analyser's harmonic power, floor subtracted (control.amplitudes), averages about 1.9 times more. This factor
# brings the mean speed to LSD's for the same motion_react (bench/bench_lsd_fidelity.py).
MOTION_AMPLITUDE_MATCH = 0.53
# LSD smooths each frame's motion step with 0.75 x the previous one at 43 fps: a 0.081 s time constant.
MOTION_SMOOTH_S = (1.0 / 43.0) / math.log(1.0 / 0.75)
# How often the per-dimension motion speeds are redrawn (LSD: every 4 seconds).
RANDOMNESS_EVERY_S = 4.0
# A dimension turns back when it passes +-TURN_BACK (in units of truncation). LSD turns back at
# 2 x truncation - motion_react: 1.5 at its default motion_react 0.5. Fixed here, so that a large
# motion_react does not shrink the box to nothing (LSD jitters from motion_react 2 on).
TURN_BACK = 1.5
# LSD's pulse is its percussive envelope smoothed by the same 0.75 filter: a one-frame hit passes 25 %,
# a hit of two or three frames peaks near 45 %. livedream's pulse rises on the hit's own frame, unsmoothed,
# at that peak size; the envelope's own release gives it LSD's tail.
PULSE_GAIN = 0.45
# z is bounded, whatever pulse_react and motion_react: values within +-KNEE pass unchanged, larger ones are
# compressed smoothly (tanh) into +-LIMIT (both in units of truncation), so pulse plus motion never leave
# the range a StyleGAN was trained on (LSD's noise stays within about +-2.5 x truncation).
KNEE, LIMIT = 2.0, 2.5


def soft_bound(z: np.ndarray) -> np.ndarray:
    """z [z_dim] -> z with every |value| above KNEE compressed into (KNEE, LIMIT): smooth, monotonic, bounded."""
    a = np.abs(z)
    over = a > KNEE
    if not over.any():
        return z
    out = z.copy()
    width = LIMIT - KNEE
    out[over] = np.sign(z[over]) * (KNEE + width * np.tanh((a[over] - KNEE) / width))
    return out


class Motion:
    """The accumulated motion offset [z_dim]: per-dimension speed x direction x amplitude, integrated.

    Velocity, not position, is smoothed (LSD's 0.75 filter, made frame-rate independent), so the picture
    speeds up and slows down with the harmonic envelope without jerks, and turns back smoothly.
    """

    def __init__(self, z_dim: int, rng: np.random.Generator, randomness: float):
        self._rng = rng
        self._z_dim = z_dim
        self.offset = np.zeros(z_dim, np.float32)  # [z_dim]
        self.velocity = np.zeros(z_dim, np.float32)  # [z_dim], z units per second
        self.sign = np.where(rng.random(z_dim) < 0.5, -1.0, 1.0).astype(np.float32)  # [z_dim]
        self._speeds = self._draw_speeds(randomness)  # [z_dim]
        self._since_speeds = 0.0

    def _draw_speeds(self, randomness: float) -> np.ndarray:
        return (1.0 - randomness * self._rng.random(self._z_dim)).astype(np.float32)

    def step(self, dt: float, base: np.ndarray, amplitude: float, p: Mapping[str, Any]) -> np.ndarray:
        """Advance by dt with the motion amplitude (0..1); return base + offset [z_dim] (no pulse yet)."""
        self._since_speeds += dt
        if self._since_speeds >= RANDOMNESS_EVERY_S:
            self._since_speeds = 0.0
            self._speeds = self._draw_speeds(p["motion_randomness"])
        # LSD's motion is in noise units, which the generator reaches as truncation x z: divide to match.
        speed = MOTION_UNITS_PER_S * MOTION_AMPLITUDE_MATCH * p["motion_react"] * amplitude / max(p["truncation"], 1e-3)
        target = speed * self._speeds * self.sign  # [z_dim]
        a = 1.0 - math.exp(-dt / MOTION_SMOOTH_S) if dt > 0 else 0.0
        self.velocity += a * (target - self.velocity)
        self.offset += self.velocity * dt
        position = base + self.offset  # [z_dim]
        self.sign[position >= TURN_BACK] = -1.0
        self.sign[position <= -TURN_BACK] = 1.0
        return position
