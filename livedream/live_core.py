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

BLACKOUT_FADE_S = 0.25  # blackout fades in and out over this long


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
        self.frozen = False
        self.blackout = False
        self.black_level = 0.0  # 0 the picture, 1 black
        self._paused_s = 0.0  # time spent frozen: the controller's clock stops meanwhile
        self._frozen_at: float | None = None
        self._last_t: float | None = None
        self._dimmer: _Dimmer | None = None

    @property
    def controller(self) -> Controller:
        return self.step.controller

    def set_params(self, changes: Mapping[str, Any]) -> None:
        """Apply validated parameter changes (the main thread, between frames)."""
        self.step.controller.set_params(changes)

    def freeze(self, on: bool, t: float) -> None:
        """Hold the picture: the controller neither advances nor asks for images; the effects still follow audio."""
        if on and self._frozen_at is None:
            self._frozen_at = t
        elif not on and self._frozen_at is not None:
            self._paused_s += max(0.0, t - self._frozen_at)
            self._frozen_at = None
        self.frozen = on

    def reseed(self, seed: int) -> None:
        """New random anchors, directions and classes: a fresh controller with the same parameters."""
        old = self.step.controller
        self.step.controller = Controller(old.z_dim, old.c_dim, old.params, seed=seed)

    def tick(
        self, t: float, main: AudioFeatures, target: moderngl.Framebuffer | None = None, wait: bool = False
    ) -> dict[str, float]:
        """One displayed frame at time t; wait=True blocks for this frame's own image (a simulated clock)."""
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        step = dt / BLACKOUT_FADE_S
        self.black_level = min(1.0, self.black_level + step) if self.blackout else max(0.0, self.black_level - step)
        if self.frozen:
            features = by_role(main)
            params = self.step.params
            amounts = effect_amounts(self.controller.effect_amplitudes(t, features), params)
            got = self.shown
        else:
            frame, amounts = self.step(t - self._paused_s, by_role(main))
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
        if self.black_level > 0.0:
            if self._dimmer is None:
                self._dimmer = _Dimmer(self.ctx)
            self._dimmer.draw(target or self._chain_fbo(), self.out_size, self.black_level)
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
        if self._dimmer is not None:
            self._dimmer.release()
            self._dimmer = None

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


class _Dimmer:
    """Darkens whatever is drawn by a level from 0 (untouched) to 1 (black): the blackout."""

    _VERT = """#version 330
    out vec2 uv;
    void main() {
        vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
        gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
    }"""
    _FRAG = """#version 330
    uniform float level;
    out vec4 color;
    void main() { color = vec4(0.0, 0.0, 0.0, level); }"""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self.prog = ctx.program(vertex_shader=self._VERT, fragment_shader=self._FRAG)
        self.vao = ctx.vertex_array(self.prog, [])

    def draw(self, target: moderngl.Framebuffer, size: tuple[int, int], level: float) -> None:
        target.use()
        self.ctx.viewport = (0, 0, *size)
        self.prog["level"].value = float(level)
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self.vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        self.vao.release()
        self.prog.release()
