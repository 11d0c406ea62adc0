"""FrameStep: the per-frame step every mode takes — features -> LatentFrame and the effect amounts, freeze and blackout.

Export calls it at t = k / fps with the features of the frame's mid-point; live calls it once per displayed
frame with the freshest features. It is written once; nothing else turns features into a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import effect_amounts
from livedream.control.controller import Controller
from livedream.control.latent import LatentFrame
from livedream.control.tempo import TempoSource, TempoState
from livedream.control.tempo_lock import TempoLock

BLACKOUT_FADE_S = 0.25  # blackout fades in and out over this long


@dataclass(frozen=True)
class StepResult:
    """One frame's plan. frame is None while frozen: the picture stays, only the effects follow the audio."""

    frame: LatentFrame | None
    amounts: dict[str, float]  # effect name -> amount for its shader; "blackout" is the dimmer's level
    tempo: TempoState | None = None  # the tempo this frame was locked to, if any


class FrameStep:
    """Controller step, effect amounts, user shader amounts, freeze and the blackout fade, for one frame.

    user_shaders maps a user effect's name to its strength: its amount is strength x the flash envelope.
    tempo is the TempoSource the tempo-locked parameters follow (control.tempo_lock); None: no tempo.
    """

    def __init__(
        self,
        controller: Controller,
        user_shaders: Mapping[str, float] | None = None,
        tempo: TempoSource | None = None,
    ):
        self.controller = controller
        self.lock = TempoLock(tempo)
        self.user_shaders = dict(user_shaders or {})
        self.frozen = False
        self.blackout = False
        self.black_level = 0.0  # 0 the picture, 1 black
        self._paused_s = 0.0  # time spent frozen: the controller's clock stops meanwhile
        self._frozen_at: float | None = None
        self._last_t: float | None = None

    @property
    def params(self) -> Mapping[str, Any]:
        return self.controller.params

    def set_params(self, changes: Mapping[str, Any]) -> None:
        """Apply validated parameter changes (the main thread, between frames)."""
        self.controller.set_params(changes)

    def freeze(self, on: bool, t: float) -> None:
        """Hold the picture: the controller neither advances nor asks for images; the effects still follow audio."""
        if on and self._frozen_at is None:
            self._frozen_at = t
        elif not on and self._frozen_at is not None:
            self._paused_s += max(0.0, t - self._frozen_at)
            self._frozen_at = None
        self.frozen = on

    def trigger(self, kind: str, amount: float) -> None:
        """A one-shot "flash" or "pulse" (a pad hit: amount is its velocity / 127) on the next frames."""
        self.lock.trigger(kind, amount)

    def reseed(self, seed: int) -> None:
        """New random anchors, directions and classes: a fresh controller with the same parameters."""
        old = self.controller
        self.controller = Controller(old.z_dim, old.c_dim, old.params, seed=seed)

    def __call__(self, t: float, features: Mapping[str, AudioFeatures]) -> StepResult:
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        fade = dt / BLACKOUT_FADE_S
        self.black_level = min(1.0, self.black_level + fade) if self.blackout else max(0.0, self.black_level - fade)
        amps: Mapping[str, float]
        params = self.controller.params
        features, overrides, shuffle = self.lock.before(t, dt, features, params)
        if self.frozen:
            frame, amps = None, self.controller.effect_amplitudes(t - self._paused_s, features)
        else:
            if shuffle:
                self.controller.shuffle_classes()
            frame = self._step(t - self._paused_s, features, overrides)
            amps = frame.amplitudes
        amps = {**amps, "flash": self.lock.flash(amps["flash"], dt, params)}
        amounts = effect_amounts(amps, params)
        amounts["flash"] = max(amounts["flash"], self.lock.flash_shot())
        # A user's shader gets its strength times the percussive hits that drive the flash.
        amounts.update({name: strength * amps["flash"] for name, strength in self.user_shaders.items()})
        amounts["blackout"] = self.black_level
        return StepResult(frame, amounts, self.lock.state)

    def _step(self, t: float, features: Mapping[str, AudioFeatures], overrides: Mapping[str, Any]) -> LatentFrame:
        """The controller's step with the tempo's overrides (speed_fpm from speed_beats...) for this frame only."""
        c = self.controller
        if not overrides:
            return c.step(t, features)
        kept = c.params
        c.params = {**kept, **overrides}
        try:
            return c.step(t, features)
        finally:
            c.params = kept
