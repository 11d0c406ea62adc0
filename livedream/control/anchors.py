"""Base motion: a walk through random anchor vectors, speed_fpm anchors a minute, continuous when the speed changes."""

from __future__ import annotations

import numpy as np

# Anchors are standard normal draws truncated at +-ANCHOR_BOUND, as Lucid Sonic Dreams draws them (its
# truncnorm(-2, 2)); the generator applies the truncation itself (the callable gets truncation x z, LSD's noise).
ANCHOR_BOUND = 2.0


def truncated_normal(rng: np.random.Generator, n: int, bound: float = ANCHOR_BOUND) -> np.ndarray:
    """[n] standard normal values redrawn until each lies within +-bound (95 % pass at bound 2)."""
    out = rng.standard_normal(n)
    bad = np.abs(out) > bound
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > bound
    return out.astype(np.float32)


class AnchorWalk:
    """Interpolates between random truncated-normal anchors with spherical interpolation.

    A phase accumulator (anchors passed so far) rather than a function of time keeps the
    path continuous when speed_fpm is changed live, and keeps it causal: anchor k+1 is
    drawn only when the walk reaches anchor k.
    """

    def __init__(self, z_dim: int, rng: np.random.Generator):
        self._rng = rng
        self._z_dim = z_dim
        self._phase = 0.0
        self._index = 0
        self._a = self._draw()  # [z_dim]
        self._b = self._draw()  # [z_dim]

    def _draw(self) -> np.ndarray:
        return truncated_normal(self._rng, self._z_dim)

    def step(self, dt: float, speed_fpm: float) -> np.ndarray:
        """Advance by dt seconds and return the current base vector [z_dim]."""
        self._phase += max(dt, 0.0) * speed_fpm / 60.0
        while self._phase >= self._index + 1:
            self._index += 1
            self._a, self._b = self._b, self._draw()
        u = self._phase - self._index
        u = u * u * (3.0 - 2.0 * u)  # smoothstep: no velocity jump at an anchor
        return slerp(self._a, self._b, u)


def slerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    """Spherical interpolation, which keeps the norm of Gaussian vectors typical along the way."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.dot(a, b) / max(na * nb, 1e-12))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-4:
        return ((1 - u) * a + u * b).astype(np.float32)
    s = np.sin(omega)
    return ((np.sin((1 - u) * omega) / s) * a + (np.sin(u * omega) / s) * b).astype(np.float32)
