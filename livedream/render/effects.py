"""The GLSL effect chain: effects in order at the source size (ping-pong framebuffers), then a fit pass to the output.

Effects are fragment shaders, one a file: shaders/<name>.frag for the built-ins ("contrast", "flash"), or the
path of a user's own .frag. Every effect is drawn by the shared full-screen vertex shader and may declare any of
these (all optional):

    in vec2 v_uv;               0..1 across the image; v_uv.y = 0 is the top row
    uniform sampler2D u_image;  the image so far, RGB in 0..1, bilinear, clamped at the edges
    uniform float u_amount;     amplitude x strength for this effect; 0 means identity (the pass is skipped)
    uniform float u_mean_grey;  mean ITU-R 601 luma of the frame given to the chain, 0..1
    uniform float u_time;       seconds on the song's clock
    uniform vec2 u_resolution;  source size in pixels
    out vec4 f_color;           RGB in 0..1

Keys of the amounts mapping that name no effect are settings, e.g. "flash_mode": each is set as the float
uniform u_<key> on every pass that declares it (the built-in flash reads u_flash_mode).

Images stay in memory order throughout (row 0 = top): uploads, framebuffers and read-backs agree, so only
drawing into a window's default framebuffer (whose row 0 is the bottom) flips, in the fit pass.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import moderngl
import numpy as np

from livedream.render.fit import DEFAULT_FIT, fit_rect
from livedream.render.gl import compile_program, effect_name, effect_path, fullscreen_vao, set_uniform, shader_path

log = logging.getLogger(__name__)

# PIL's "RGB" -> "L" conversion in 16-bit fixed point: the ITU-R 601-2 weights 0.299, 0.587, 0.114, rounded.
_LUMA_WEIGHTS = np.array([19595, 38470, 7471], dtype=np.uint32)


def mean_grey(image: np.ndarray) -> int:
    """PIL's mean grey of an RGB image, as ImageEnhance.Contrast computes it: the rounded mean of its "L" image.

    image: [H, W, 3] uint8. Computed on the host because it is exact and cheap (a few ms at 1024x1024).
    """
    luma = image[..., 0].astype(np.uint32)  # [H, W]; channel by channel, in place: a third of a matrix product's time
    luma *= _LUMA_WEIGHTS[0]
    for channel in (1, 2):
        part = image[..., channel].astype(np.uint32)
        part *= _LUMA_WEIGHTS[channel]
        luma += part
    luma += 0x8000
    luma >>= 16  # per-pixel L, as PIL rounds it
    return int(luma.mean() + 0.5)


class _Releasable(Protocol):
    """Any moderngl object the chain owns: each frees its GL name with release()."""

    def release(self) -> None: ...


class EffectChain:
    """Applies the effects to each frame on the GPU and fits the result into the output size.

    src_size and out_size are (width, height); fit is "fill", "contain" or "mirror".
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        src_size: tuple[int, int],
        out_size: tuple[int, int],
        fit: str = DEFAULT_FIT,
        effects: Sequence[str] = ("contrast", "flash"),
    ) -> None:
        self.ctx = ctx
        self.src_size = (int(src_size[0]), int(src_size[1]))
        self.fit = fit
        fit_rect(self.src_size, (int(out_size[0]), int(out_size[1])), fit)  # validate before allocating anything
        self._passes: list[tuple[str, moderngl.Program, moderngl.VertexArray]] = []
        self._names: set[str] = set()
        for effect in effects:
            program = compile_program(ctx, effect_path(effect))
            self._passes.append((effect_name(effect), program, fullscreen_vao(ctx, program)))
            self._names.add(effect_name(effect))
        self._fit_program = compile_program(ctx, shader_path("fit.frag"))
        self._fit_vao = fullscreen_vao(ctx, self._fit_program)
        self._source = ctx.texture(self.src_size, 3)
        # RGBA8 rather than RGB8: RGBA8 is colour-renderable on every GL 3.3 implementation.
        self._textures = [ctx.texture(self.src_size, 4) for _ in range(2)]
        self._fbos = [ctx.framebuffer(color_attachments=[t]) for t in self._textures]
        self._linear = ctx.sampler(repeat_x=False, repeat_y=False, filter=(moderngl.LINEAR, moderngl.LINEAR))
        self._mipmapped = ctx.sampler(
            repeat_x=False, repeat_y=False, filter=(moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        )
        self._out_texture: moderngl.Texture | None = None
        self._out_fbo: moderngl.Framebuffer | None = None
        self.resize(out_size)
        self._warm_up()

    def _warm_up(self) -> None:
        """Run every pass once now, alone and all together: drivers (Mesa's llvmpipe, many GPU drivers) build a
        program's variant for each texture format at its first draw, which in a live set would stall the first
        flash by half a second."""
        black = np.zeros((self.src_size[1], self.src_size[0], 3), np.uint8)
        names = [name for name, _, _ in self._passes]
        for on in ([], [*names], *([name] for name in names)):
            self.render(black, dict.fromkeys(on, 0.5))

    def resize(self, out_size: tuple[int, int]) -> None:
        """Change the output size (the live window was resized); the offscreen output is reallocated."""
        self.out_size = (int(out_size[0]), int(out_size[1]))
        self._rect = fit_rect(self.src_size, self.out_size, self.fit)
        self._identity_fit = self.out_size == self.src_size and self._rect == (0, 0, *self.src_size)
        shrink = self.src_size[0] / self._rect[2]
        # Shrinking samples a mip level so that many source pixels average into one; enlarging is plain bilinear.
        self._lod = math.log2(shrink) if shrink > 1.0 else 0.0
        if self._out_fbo is not None:
            assert self._out_texture is not None  # allocated together with _out_fbo
            self._out_fbo.release()
            self._out_texture.release()
        self._out_texture = self.ctx.texture(self.out_size, 4)
        self._out_fbo = self.ctx.framebuffer(color_attachments=[self._out_texture])

    def process(self, image: np.ndarray, amounts: Mapping[str, float], time: float = 0.0) -> np.ndarray:
        """image [src_h, src_w, 3] uint8 -> [out_h, out_w, 3] uint8, read back from GL (top row first)."""
        self.render(image, amounts, time)
        return self.read()

    def render(
        self,
        image: np.ndarray,
        amounts: Mapping[str, float],
        time: float = 0.0,
        target: moderngl.Framebuffer | None = None,
        flip_y: bool | None = None,
    ) -> None:
        """Run the chain on image [src_h, src_w, 3] uint8, drawing into `target` or, if None, the offscreen output.

        amounts maps effect name -> amplitude x strength; a missing name or 0 skips that effect. Other keys are
        settings, set as uniforms u_<key> (see the module docstring).
        A window's default framebuffer counts rows from the bottom, so drawing into one flips the image;
        flip_y overrides that guess (None: flip exactly when target is a default framebuffer).
        """
        self._upload(image)
        self.render_source(amounts, time, target, flip_y, grey=lambda: mean_grey(image))

    @property
    def source(self) -> moderngl.Texture:
        """The RGB8 texture [src_h, src_w] the chain starts from; render() fills it, or an uploader does."""
        return self._source

    def draws(self, amounts: Mapping[str, float]) -> bool:
        """Whether any effect pass runs for these amounts (all at 0: the chain only fits the image)."""
        return any(float(amounts.get(name, 0.0)) != 0.0 for name, _, _ in self._passes)

    def render_source(
        self,
        amounts: Mapping[str, float],
        time: float = 0.0,
        target: moderngl.Framebuffer | None = None,
        flip_y: bool | None = None,
        grey: int | Callable[[], int] = 0,
    ) -> None:
        """render() for an image already in `source` (livedream.render.upload writes it from the GPU).

        grey is the frame's mean grey (0..255, as mean_grey computes it), or a function giving it,
        called only when an effect reads u_mean_grey.
        """
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST)
        current = self._source
        mean: float | None = None
        drawn = 0
        settings = {f"u_{key}": float(value) for key, value in amounts.items() if key not in self._names}
        if flip_y is None:
            flip_y = target is not None and target.glo == 0
        active = [(name, program, vao) for name, program, vao in self._passes if float(amounts.get(name, 0.0)) != 0.0]
        # The fit is the identity (export's encoder scales): the last effect draws straight into the target.
        direct = target is not None and not flip_y and self._identity_fit and tuple(target.size) == self.src_size
        for i, (name, program, vao) in enumerate(active):
            amount = float(amounts[name])
            if mean is None and "u_mean_grey" in program:
                mean = (grey() if callable(grey) else grey) / 255.0
            last_direct = direct and i == len(active) - 1
            fbo = target if last_direct and target is not None else self._fbos[drawn % 2]
            fbo.use()
            current.use(0)
            self._linear.use(0)
            set_uniform(program, "u_image", 0)
            set_uniform(program, "u_amount", amount)
            set_uniform(program, "u_mean_grey", mean if mean is not None else 0.0)
            set_uniform(program, "u_time", float(time))
            set_uniform(program, "u_resolution", (float(self.src_size[0]), float(self.src_size[1])))
            for uniform, value in settings.items():
                set_uniform(program, uniform, value)
            vao.render(moderngl.TRIANGLES, vertices=3)
            if last_direct:
                return
            current = self._textures[drawn % 2]
            drawn += 1
        self._fit(current, target, flip_y)

    def read(self) -> np.ndarray:
        """The last render() into the offscreen output as [out_h, out_w, 3] uint8, top row first."""
        out = np.empty((self.out_size[1], self.out_size[0], 3), np.uint8)  # [out_h, out_w, 3], writable
        assert self._out_fbo is not None  # resize() in __init__ allocated it
        self._out_fbo.read_into(out, components=3, alignment=1)
        return out

    def release(self) -> None:
        """Free every GL object the chain holds; the chain is unusable afterwards."""
        for _, program, vao in self._passes:
            vao.release()
            program.release()
        self._passes = []
        owned: tuple[_Releasable, ...] = (self._fit_vao, self._fit_program, self._source, *self._fbos, *self._textures)
        for obj in owned:
            obj.release()
        assert self._out_fbo is not None and self._out_texture is not None  # resize() in __init__ allocated both
        for obj in (self._linear, self._mipmapped, self._out_fbo, self._out_texture):
            obj.release()

    def _upload(self, image: np.ndarray) -> None:
        width, height = self.src_size
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(f"expected a [{height}, {width}, 3] uint8 image, got {image.shape} {image.dtype}")
        self._source.write(np.ascontiguousarray(image), alignment=1)  # rows of 3*W bytes: no 4-byte padding

    def _fit(self, texture: moderngl.Texture, target: moderngl.Framebuffer | None, flip_y: bool) -> None:
        fbo = self._out_fbo if target is None else target
        assert fbo is not None  # resize() in __init__ allocated _out_fbo
        fbo.use()
        self.ctx.viewport = (0, 0, *self.out_size)
        texture.use(0)
        if self._lod > 0.0:
            texture.build_mipmaps()
            self._mipmapped.use(0)
        else:
            self._linear.use(0)
        program = self._fit_program
        set_uniform(program, "u_image", 0)
        set_uniform(program, "u_out_size", (float(self.out_size[0]), float(self.out_size[1])))
        set_uniform(program, "u_rect", tuple(float(v) for v in self._rect))
        set_uniform(program, "u_lod", self._lod)
        set_uniform(program, "u_mirror", 1 if self.fit == "mirror" else 0)
        set_uniform(program, "u_flip_y", 1 if flip_y else 0)
        self._fit_vao.render(moderngl.TRIANGLES, vertices=3)
