"""The effect chain's and the engine's shortcuts for export's large-output path give the pixels of the long way.

- The last effect pass drawn straight into a target of the source's size (the fit would be the identity) gives
  the pixels that the fit pass's copy gives.
- With scale_in_sink, a frame on which no effect is active is the generator's own pixels (GL skipped); a frame
  with effects is what the chain makes of it.
"""

from __future__ import annotations

import numpy as np
import pytest

from livedream.control.latent import LatentFrame
from livedream.control.step import StepResult
from livedream.models.builtin import make
from livedream.models.inference import BatchRenderer, generate_frames
from livedream.modes.clock import FrameTime
from livedream.modes.engine import Engine, Planned
from livedream.render.effects import EffectChain
from livedream.render.gl import headless_context
from livedream.sinks.base import OutputFrame

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def ctx():
    ctx = headless_context()
    yield ctx
    ctx.release()


def picture(height: int, width: int) -> np.ndarray:
    """A deterministic picture with gradients and texture: [height, width, 3] uint8."""
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([xx * 255 / width, yy * 255 / height, (xx * yy) % 97 * 2.5], axis=-1)
    return rgb.astype(np.uint8)


@pytest.mark.parametrize("amounts", [{"contrast": 0.6}, {"contrast": 0.6, "flash": 0.4}, {"flash": 0.9}])
def test_the_last_pass_into_a_same_size_target_gives_the_fit_pass_pixels(ctx, amounts):
    image = picture(48, 64)
    chain = EffectChain(ctx, (64, 48), (64, 48))
    through_fit = chain.process(image, amounts)  # into the chain's own output, through the fit pass
    texture = ctx.texture((64, 48), 4)
    target = ctx.framebuffer(color_attachments=[texture])
    chain.render(image, amounts, target=target, flip_y=False)  # the shortcut: no fit pass
    direct = np.empty((48, 64, 3), np.uint8)
    target.read_into(direct, components=3, alignment=1)
    assert np.array_equal(direct, through_fit)
    assert np.abs(direct.astype(int) - image).mean() > 5  # the effects acted
    chain.release()


def test_draws_is_false_only_when_every_effect_is_at_zero(ctx):
    chain = EffectChain(ctx, (16, 16), (16, 16))
    assert not chain.draws({})
    assert not chain.draws({"contrast": 0.0, "flash": 0.0, "flash_mode": 1.0})  # flash_mode is a setting
    assert chain.draws({"flash": 0.01})
    chain.release()


class Collected:
    """A FrameSink that keeps each frame's host pixels and rectangle (what the MP4 encoder is given)."""

    def __init__(self) -> None:
        self.frames: list[tuple[np.ndarray, tuple[int, int, int, int] | None]] = []

    def write(self, frame: OutputFrame) -> None:
        self.frames.append((frame.pixels().copy(), frame.rect))

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def test_scale_in_sink_frames_without_effects_are_the_generators_pixels(ctx):
    gen = make(None, resolution=64)
    rng = np.random.default_rng(0)
    latents = [
        LatentFrame(k / 10, rng.standard_normal(gen.z_dim).astype(np.float32), np.eye(gen.c_dim, dtype=np.float32)[k])
        for k in range(4)
    ]
    amounts = [{}, {"contrast": 0.5, "flash": 0.3}, {"contrast": 0.0, "flash": 0.0}, {"flash": 0.7}]
    planned = [
        Planned(FrameTime(k, k / 10, k / 10), StepResult(latents[k], amounts[k]), []) for k in range(len(latents))
    ]
    sink = Collected()
    engine = Engine(ctx, None, BatchRenderer(gen, 2), None, (128, 72), sinks=[sink], scale_in_sink=True)
    assert engine.draw_all(planned) == 4
    engine.release()
    # [4, 64, 64, 3]: what the generator makes of the same latents, in the same batches of 2
    images = np.concatenate([generate_frames(gen, latents[:2]), generate_frames(gen, latents[2:])])
    chain = EffectChain(ctx, (64, 64), (64, 64))
    for (pixels, rect), image, amount in zip(sink.frames, images, amounts, strict=True):
        assert rect == (28, 0, 72, 72)  # contain: the square scaled to the height, centred; the encoder scales it
        expected = chain.process(image, amount) if any(amount.values()) else image
        assert np.array_equal(pixels, expected)
    assert not np.array_equal(sink.frames[1][0], images[1])  # the effects acted where they were on
    chain.release()
