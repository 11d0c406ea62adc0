"""The controller: per video frame, audio features -> LatentFrame (z, c, truncation, amplitudes). Causal and seeded."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import Amplitudes
from livedream.control.anchors import AnchorWalk
from livedream.control.classes import ClassMixer, check_classes, pitch_confidence
from livedream.control.directions import camera, direction_amounts
from livedream.control.latent import LatentFrame
from livedream.control.motion import PULSE_GAIN, Motion, soft_bound
from livedream.errors import LivedreamError
from livedream.params import validate_values

log = logging.getLogger(__name__)


class Controller:
    """Lucid Sonic Dreams' pulse / motion / class semantics and scale, made causal and frame-rate independent.

    - base: a walk through speed_fpm truncated-normal anchors a minute (within +-2);
    - motion: the motion amplitude x motion_react, integrated per dimension at LSD's speed, each
      dimension turning back when it passes +-1.5; motion_randomness makes speeds uneven;
    - pulse: the pulse amplitude x pulse_react along a fixed random +-1 direction, for that frame only;
    - range: base + motion + pulse is bounded by soft_bound: unchanged within +-2, never beyond +-2.5
      (all in units of truncation, which the generator applies);
    - class: chroma -> 12 chosen classes, scaled 0..1 x class_complexity (ClassMixer).
    Amplitudes are LSD's min-max of a power envelope, made causal (control.amplitudes), so they rest
    between hits. Everything random comes from one seeded generator, so a seed and the same audio give
    the same frames, live or exported.

    pitch_totals [12] (optional): how much each pitch sounds over the whole song, for
    dominant_classes_first with a first pass; shuffle_times: LSD's list form of class_shuffle_seconds,
    seconds from the start of the render.
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        params: Mapping[str, Any],
        seed: int = 0,
        pitch_totals: np.ndarray | None = None,
        shuffle_times: Sequence[float] = (),
    ):
        self.z_dim, self.c_dim = z_dim, c_dim
        self.params = dict(params)
        check_classes(self.params.get("classes"), c_dim)
        rng = np.random.default_rng(seed)
        self._walk = AnchorWalk(z_dim, np.random.default_rng(rng.integers(2**63)))
        self._classes = ClassMixer(c_dim, np.random.default_rng(rng.integers(2**63)), pitch_totals)
        self._pulse_dir = np.where(rng.random(z_dim) < 0.5, -1.0, 1.0).astype(np.float32)  # [z_dim]
        self._motion = Motion(z_dim, np.random.default_rng(rng.integers(2**63)), self.params["motion_randomness"])
        self._amplitudes = Amplitudes()
        self._shuffle_times = sorted(float(s) for s in shuffle_times)
        self._last_t: float | None = None
        self._last_fx_t: float | None = None
        self._refused_classes: list[int] | None = None

    def set_params(self, changes: Mapping[str, Any]) -> None:
        """Apply validated parameter changes between frames (live OSC, preset switches).

        A value outside the table's range raises before anything changes. Class ids the model does not
        have (only the model knows) are refused with one log line, the classes in force kept and the
        other changes applied: live, the picture goes on.
        """
        values = validate_values(changes)
        if "classes" in values:
            try:
                check_classes(values["classes"], self.c_dim)
            except LivedreamError as exc:
                if values["classes"] != self._refused_classes:  # once per value, not once per frame of a fade
                    log.error("%s; keeping the classes in force", exc)
                self._refused_classes = values.pop("classes")
        self.params.update(values)

    def effect_amplitudes(self, t: float, features: Mapping[str, AudioFeatures]) -> dict[str, float]:
        """Only the amplitudes, on a clock of their own (t): while the picture is frozen the effects follow the audio."""
        dt = 0.0 if self._last_fx_t is None else max(0.0, t - self._last_fx_t)
        self._last_fx_t = t
        return self._amplitudes(features, self.params, dt)

    def shuffle_classes(self) -> None:
        """Shuffle the pitch-to-class mapping now (a bar line, with class_shuffle_bars)."""
        self._classes.shuffle_now(self.params)

    def step(self, t: float, features: Mapping[str, AudioFeatures]) -> LatentFrame:
        """Advance to time t (seconds) with the features of each role (see amplitudes.by_role)."""
        p = self.params
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        amps = self._amplitudes(features, p, dt)

        base = self._walk.step(dt, p["speed_fpm"])  # [z_dim]
        position = self._motion.step(dt, base, amps["motion"], p)  # [z_dim]
        pulse = PULSE_GAIN * p["pulse_react"] * amps["pulse"] * self._pulse_dir  # [z_dim], this frame only
        # LSD's pulse and motion are in noise units; the generator multiplies z by truncation.
        z = soft_bound(position + pulse / max(p["truncation"], 1e-3)).astype(np.float32)  # [z_dim]

        while self._shuffle_times and self._shuffle_times[0] <= t:  # LSD's list: each time once, in order
            self._shuffle_times.pop(0)
            self._classes.shuffle_now(p)
        class_f = features["class"]
        c = self._classes.step(dt, class_f.chroma_norm, pitch_confidence(class_f.harmonic_env), p)  # [c_dim]
        return LatentFrame(
            time=t, z=z, c=c, truncation=p["truncation"], amplitudes=amps,
            directions=direction_amounts(features, p), camera=camera(p),
        )  # fmt: skip
