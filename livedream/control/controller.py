"""The controller: per video frame, audio features -> LatentFrame (z, c, truncation, amplitudes). Causal and seeded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import amplitudes
from livedream.control.anchors import AnchorWalk
from livedream.control.classes import ClassMixer
from livedream.control.latent import LatentFrame
from livedream.params import validate_values

# Motion speed, in z units per second, at motion_react 1 and full amplitude.
MOTION_UNITS_PER_S = 1.0
# How often the per-dimension motion speeds are redrawn (Lucid Sonic Dreams redraws them every few seconds).
RANDOMNESS_EVERY_S = 4.0


class Controller:
    """Lucid Sonic Dreams' pulse / motion / class semantics, made causal and frame-rate independent.

    - base: a walk through speed_fpm random anchors a minute;
    - pulse: the pulse envelope x pulse_react along a fixed random direction, for that frame only;
    - motion: the motion envelope x motion_react, accumulated per dimension, each dimension
      turning back when it passes +-2 x truncation; motion_randomness makes speeds uneven;
    - class: chroma -> a mix of 12 chosen classes (ClassMixer).
    Everything random comes from one seeded generator, so a seed and the same audio give
    the same frames, live or exported.
    """

    def __init__(self, z_dim: int, c_dim: int, params: Mapping[str, Any], seed: int = 0):
        self.z_dim, self.c_dim = z_dim, c_dim
        self.params = dict(params)
        rng = np.random.default_rng(seed)
        self._rng = rng
        self._walk = AnchorWalk(z_dim, np.random.default_rng(rng.integers(2**63)))
        self._classes = ClassMixer(c_dim, np.random.default_rng(rng.integers(2**63)))
        self._pulse_dir = np.where(rng.random(z_dim) < 0.5, -1.0, 1.0).astype(np.float32)  # [z_dim]
        self._motion = np.zeros(z_dim, np.float32)  # accumulated motion offset, [z_dim]
        self._motion_sign = np.where(rng.random(z_dim) < 0.5, -1.0, 1.0).astype(np.float32)  # [z_dim]
        self._speeds = self._draw_speeds()  # [z_dim]
        self._since_speeds = 0.0
        self._last_t: float | None = None

    def set_params(self, changes: Mapping[str, Any]) -> None:
        """Apply validated parameter changes between frames (live OSC, preset switches)."""
        self.params.update(validate_values(changes))

    def shuffle_classes(self) -> None:
        """Shuffle the pitch-to-class mapping now (a bar line, with class_shuffle_bars)."""
        self._classes.shuffle(self.params)

    def _draw_speeds(self) -> np.ndarray:
        r = self.params["motion_randomness"]
        return (1.0 - r * self._rng.random(self.z_dim)).astype(np.float32)

    def step(self, t: float, features: Mapping[str, AudioFeatures]) -> LatentFrame:
        """Advance to time t (seconds) with the features of each role (see amplitudes.by_role)."""
        p = self.params
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        amps = amplitudes(features, p)
        trunc = p["truncation"]

        base = self._walk.step(dt, p["speed_fpm"])  # [z_dim]

        self._since_speeds += dt
        if self._since_speeds >= RANDOMNESS_EVERY_S:
            self._since_speeds = 0.0
            self._speeds = self._draw_speeds()
        self._motion += MOTION_UNITS_PER_S * p["motion_react"] * amps["motion"] * dt * self._speeds * self._motion_sign
        position = base + self._motion
        # Turn back each dimension that has wandered past +-2 x truncation, as Lucid Sonic Dreams does.
        limit = 2.0 * trunc
        self._motion_sign[position >= limit] = -1.0
        self._motion_sign[position <= -limit] = 1.0

        pulse = p["pulse_react"] * amps["pulse"] * self._pulse_dir  # [z_dim], this frame only
        z = (position + pulse).astype(np.float32)  # [z_dim]
        c = self._classes.step(dt, features["class"].chroma_norm, p)  # [c_dim]
        return LatentFrame(time=t, z=z, c=c, truncation=trunc, amplitudes=amps)
