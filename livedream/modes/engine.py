"""The one engine: the frame loop body that export, live and the Lucid Sonic Dreams API all run.

    Clock.frames() -> FrameTime(k, t, t_sample)
    features.at(t_sample)            -> AudioFeatures per role (a file's timeline, or the live analysis)
    FrameStep(t, features)           -> LatentFrame + effect amounts (freeze and blackout included)
    Renderer.render([(k, frame)])    -> images (batched in export, newest-wins thread live)
    EffectChain                      -> the output framebuffer, at output size
    numpy effects (if any)           -> the same frame, replaced
    every FrameSink.write(frame)     -> MP4, PNG folder, window, recording, video out

Only the Source (behind `features`), the Clock and the Sinks differ between modes.
The loop has two halves: planning (features -> FrameStep, in order: the controller has state) and drawing
(renderer, effects, sinks). run() does both; a chunked export plans the whole song on its driver
(plan_frames) and lets workers draw slices of the plan (draw_all), see modes/chunked.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import moderngl
import numpy as np

from livedream.audio.features import AudioFeatures
from livedream.control.step import FrameStep, StepResult
from livedream.models.inference import Rendered, Renderer
from livedream.modes.clock import Clock, FrameTime
from livedream.render.effects import EffectChain
from livedream.render.fit import DEFAULT_FIT, fit_rect
from livedream.sinks.base import FrameSink, OutputFrame

log = logging.getLogger(__name__)


class Features(Protocol):
    """The Analyzer side as the engine sees it: the features of each role for an audio time."""

    def at(self, t: float) -> Mapping[str, AudioFeatures]: ...


class NumpyEffects(Protocol):
    """CPU effects after the shaders (render.cpu_effects.CpuEffects): amplitudes for a time, then the frame."""

    def amplitudes(self, t: float) -> list[float]: ...

    def apply(self, frame: np.ndarray, amplitudes: Sequence[float]) -> np.ndarray: ...


@dataclass(frozen=True)
class Planned:
    """One frame before it is drawn: its time, the step's result, and the numpy effects' amplitudes."""

    time: FrameTime
    step: StepResult
    cpu_amplitudes: list[float]


def plan_frame(step: FrameStep, features: Features, ft: FrameTime, numpy_effects: NumpyEffects | None) -> Planned:
    """One frame's plan (no GL, no generator): what a distributed export's driver computes for the whole song."""
    result = step(ft.t, features.at(ft.t_sample))
    cpu = numpy_effects.amplitudes(ft.t_sample) if numpy_effects is not None else []
    return Planned(ft, result, cpu)


def plan_frames(
    step: FrameStep, features: Features, clock: Clock, numpy_effects: NumpyEffects | None = None
) -> Iterator[Planned]:
    """Every frame of the clock planned in order, without an Engine (the driver of a chunked export has no GL)."""
    for ft in clock.frames():
        yield plan_frame(step, features, ft, numpy_effects)


class Engine:
    """Steps, renders, applies the effects and hands each frame to every sink.

    The effect chain is rebuilt when the generator's image size changes (live's out-of-memory fallback);
    `resize` changes the output size (a live window resized). The output framebuffer belongs to the
    engine, so sinks read the same pixels whatever else is drawn on the screen (the HUD).

    scale_in_sink: the effects run at the generator's size and each frame carries the rectangle it fills in
    the output (OutputFrame.rect); the sink scales it (export's MP4 encoder, in the same pass as its colour
    conversion). Only for sinks that all can, and for fits that are a plain scale (contain, fill).

    A drawing-only engine (a chunk worker of a distributed export) has no step and no features: it is
    given frames planned elsewhere, through draw_all().
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        step: FrameStep | None,
        renderer: Renderer,
        features: Features | None,
        out_size: tuple[int, int],
        fit: str = DEFAULT_FIT,
        effects: Sequence[str] = ("contrast", "flash"),
        sinks: Sequence[FrameSink] = (),
        numpy_effects: NumpyEffects | None = None,
        scale_in_sink: bool = False,
    ):
        if scale_in_sink and (fit not in ("contain", "fill") or numpy_effects is not None):
            raise ValueError("scale_in_sink needs a contain or fill fit and no numpy effects")
        self.scale_in_sink = scale_in_sink
        self.ctx, self.step, self.renderer, self.features = ctx, step, renderer, features
        self.fit = fit
        self.effects = (*effects, "blackout")
        self.sinks = list(sinks)
        self.numpy_effects = numpy_effects
        self.shown: Rendered | None = None  # the image drawn last
        self.frame: OutputFrame | None = None  # the output drawn last
        self.planned: Planned | None = None  # the step of the frame drawn last
        self.seq = 0
        self._chain: EffectChain | None = None
        self._small: tuple[moderngl.Texture, moderngl.Framebuffer] | None = None  # scale_in_sink's target
        self._small_chain: EffectChain | None = None
        self._texture: moderngl.Texture | None = None
        self._fbo: moderngl.Framebuffer | None = None
        self.resize(out_size)

    # -- the loop ---------------------------------------------------------------------------------------------

    def run(self, clock: Clock, before: Callable[[FrameTime], bool] | None = None) -> int:
        """Draw every frame the clock gives; before(t) -> False stops (a window closed). Returns frames drawn."""
        return self.draw_all(self.plans(clock, before))

    def plans(self, clock: Clock, before: Callable[[FrameTime], bool] | None = None) -> Iterator[Planned]:
        """The stepping half: each frame of the clock planned, in order, until before(t) -> False."""
        for ft in clock.frames():
            if before is not None and not before(ft):
                return
            yield self.plan(ft)

    def plan(self, ft: FrameTime) -> Planned:
        """The step for one frame: features at its audio time through the FrameStep."""
        if self.step is None or self.features is None:
            raise RuntimeError("a drawing-only Engine cannot plan frames")
        return plan_frame(self.step, self.features, ft, self.numpy_effects)

    def draw_all(self, planned: Iterable[Planned]) -> int:
        """The drawing half: planned frames rendered batch_size at a time and given to the sinks. Returns frames drawn.

        A distributed export's worker calls only this, on a slice of the frames its driver planned: batches
        start where the slice starts, so slices that start on a multiple of batch_size draw what run() draws.
        """
        batch: list[Planned] = []
        drawn = 0
        for p in planned:
            batch.append(p)
            if len(batch) >= self.renderer.batch_size:
                drawn += self.draw(batch)
                batch = []
        if batch:
            drawn += self.draw(batch)
        return drawn

    def draw(self, batch: Sequence[Planned]) -> int:
        """Render a batch of planned frames and give each to every sink, in order."""
        requests = []
        for p in batch:
            if p.step.frame is not None:
                self.seq += 1
            requests.append((self.seq, p.step.frame))
        for p, got in zip(batch, self.renderer.render(requests), strict=True):
            self.planned = p
            self.frame = self.draw_one(p, got)
            for sink in self.sinks:
                sink.write(self.frame)
        return len(batch)

    def draw_one(self, p: Planned, got: Rendered | None) -> OutputFrame:
        """The effects on one image into the output framebuffer; black until there is an image."""
        if got is not None and self.scale_in_sink:
            return self._draw_small(p, got)
        assert self._fbo is not None and self._texture is not None  # resize() in __init__ allocated them
        frame = OutputFrame(self.ctx, self._fbo, self._texture, p.time)
        if got is None:
            self._fbo.use()
            self.ctx.viewport = (0, 0, *self.out_size)
            self._fbo.clear(0.0, 0.0, 0.0, 1.0)
            return frame
        self.shown = got
        self._chain_for(got.image.shape).render(got.image, p.step.amounts, p.time.t, target=self._fbo, flip_y=False)
        if self.numpy_effects is not None:
            frame.replace(self.numpy_effects.apply(frame.pixels().copy(), p.cpu_amplitudes))
        return frame

    def _draw_small(self, p: Planned, got: Rendered) -> OutputFrame:
        """The effects at the generator's size into a framebuffer of that size; the sink does the fit."""
        self.shown = got
        src = (got.image.shape[1], got.image.shape[0])
        if self._small is None or tuple(self._small[1].size) != src:
            if self._small is not None:
                for obj in reversed(self._small):
                    obj.release()
            texture = self.ctx.texture(src, 4)
            self._small = (texture, self.ctx.framebuffer(color_attachments=[texture]))
            self._small_chain = EffectChain(self.ctx, src, src, fit="contain", effects=self.effects)
        texture, fbo = self._small
        assert self._small_chain is not None  # built together with _small
        rect = fit_rect(src, self.out_size, self.fit)
        if not self._small_chain.draws(p.step.amounts):  # no effect on this frame: the generator's pixels are it
            return OutputFrame(self.ctx, fbo, texture, p.time, rect=rect, host_pixels=got.image)
        self._small_chain.render(got.image, p.step.amounts, p.time.t, target=fbo, flip_y=False)
        return OutputFrame(self.ctx, fbo, texture, p.time, rect=rect)

    # -- output size and GL objects ---------------------------------------------------------------------------

    def resize(self, out_size: tuple[int, int]) -> None:
        self.out_size = (max(1, int(out_size[0])), max(1, int(out_size[1])))
        self._release_target()
        self._texture = self.ctx.texture(self.out_size, 4)  # RGBA8: colour-renderable everywhere
        self._fbo = self.ctx.framebuffer(color_attachments=[self._texture])
        if self._chain is not None:
            self._chain.resize(self.out_size)

    def _chain_for(self, shape: tuple[int, ...]) -> EffectChain:
        size = (shape[1], shape[0])
        if self._chain is None or self._chain.src_size != size:
            if self._chain is not None:
                log.info("generator resolution now %dx%d: rebuilding the effect chain", *size)
                self._chain.release()
            self._chain = EffectChain(self.ctx, size, self.out_size, fit=self.fit, effects=self.effects)
        return self._chain

    def _release_target(self) -> None:
        for obj in (self._fbo, self._texture):
            if obj is not None:
                obj.release()
        self._fbo = self._texture = None

    def release(self) -> None:
        """Free the GL objects (sinks are closed by whoever opened them)."""
        for chain in (self._chain, self._small_chain):
            if chain is not None:
                chain.release()
        self._chain = self._small_chain = None
        if self._small is not None:
            for obj in reversed(self._small):
                obj.release()
            self._small = None
        self._release_target()
