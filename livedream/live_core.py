"""The work of one displayed frame, shared by every live sink: features -> controller -> inference -> effects."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import moderngl

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.control.latent import LatentFrame
from livedream.live_infer import InferenceWorker, Rendered
from livedream.render.effects import EffectChain

log = logging.getLogger(__name__)


class FrameStep:
    """Controller step plus the effect amounts of that frame: the per-frame step export and live both take.

    Export calls it at t = k / fps with the features of the frame's mid-point; live calls it once per
    displayed frame with the freshest features.
    """

    def __init__(self, controller: Controller):
        self.controller = controller

    @property
    def params(self) -> Mapping[str, Any]:
        return self.controller.params

    def __call__(self, t: float, features: Mapping[str, AudioFeatures]) -> tuple[LatentFrame, dict[str, float]]:
        frame = self.controller.step(t, features)
        return frame, effect_amounts(frame.amplitudes, self.controller.params)


class LiveCore:
    """Steps the controller once per displayed frame, asks for its image, and draws the newest image there is.

    The effects always get this frame's amounts (the freshest audio), whatever frame the image was
    generated for, so flash and contrast react within an audio hop plus a display frame. The effect chain
    is rebuilt when the generator's resolution changes (the out-of-memory fallback).
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        controller: Controller,
        worker: InferenceWorker,
        out_size: tuple[int, int],
        fit: str = "contain",
        effects: tuple[str, ...] = ("contrast", "flash"),
    ):
        self.ctx = ctx
        self.step = FrameStep(controller)
        self.worker = worker
        self.out_size = out_size
        self.fit = fit
        self.effects = effects
        self.seq = 0
        self.shown: Rendered | None = None  # the image drawn last
        self.frame: LatentFrame | None = None  # the controller's newest frame
        self._chain: EffectChain | None = None

    def tick(
        self, t: float, main: AudioFeatures, target: moderngl.Framebuffer | None = None, wait: bool = False
    ) -> dict[str, float]:
        """One displayed frame at time t; wait=True blocks for this frame's own image (a simulated clock)."""
        frame, amounts = self.step(t, by_role(main))
        self.frame = frame
        self.seq += 1
        self.worker.submit(self.seq, frame)
        got = self.worker.wait_for(self.seq) if wait else self.worker.latest
        if got is None:  # nothing generated yet: black
            (target or self._chain_fbo()).use()
            self.ctx.viewport = (0, 0, *self.out_size)
            self.ctx.clear(0.0, 0.0, 0.0)
            return amounts
        self.shown = got
        self._chain_for(got.image.shape).render(got.image, amounts, t, target=target)
        return amounts

    def read(self):
        """The offscreen output of the last tick(target=None) as [h, w, 3] uint8."""
        return self._chain.read()

    def resize(self, out_size: tuple[int, int]) -> None:
        self.out_size = (max(1, int(out_size[0])), max(1, int(out_size[1])))
        if self._chain is not None:
            self._chain.resize(self.out_size)

    def release(self) -> None:
        if self._chain is not None:
            self._chain.release()
            self._chain = None

    def _chain_fbo(self) -> moderngl.Framebuffer:
        return self.ctx.screen if self._chain is None else self._chain._out_fbo

    def _chain_for(self, shape: tuple[int, ...]) -> EffectChain:
        size = (shape[1], shape[0])
        if self._chain is None or self._chain.src_size != size:
            if self._chain is not None:
                log.info("generator resolution now %dx%d: rebuilding the effect chain", *size)
                self._chain.release()
            self._chain = EffectChain(self.ctx, size, self.out_size, fit=self.fit, effects=self.effects)
        return self._chain
