"""Copies the engine's output framebuffer onto a window, flipped (a window's first row is its bottom), pixel for pixel."""

from __future__ import annotations

import moderngl

from livedream.render.gl import compile_program, fullscreen_vao, set_uniform, shader_path


class Presenter:
    """One nearest-neighbour pass of fit.frag at 1:1: the window shows exactly the pixels every other sink gets."""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._program = compile_program(ctx, shader_path("fit.frag"))
        self._vao = fullscreen_vao(ctx, self._program)
        self._sampler = ctx.sampler(repeat_x=False, repeat_y=False, filter=(moderngl.NEAREST, moderngl.NEAREST))

    def draw(self, texture: moderngl.Texture, target: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        """texture (rows top first) into target's (w, h) = size, flipped when target is a default framebuffer."""
        target.use()
        self.ctx.viewport = (0, 0, *size)
        texture.use(0)
        self._sampler.use(0)
        w, h = (float(v) for v in size)
        tw, th = (float(v) for v in texture.size)
        set_uniform(self._program, "u_image", 0)
        set_uniform(self._program, "u_out_size", (w, h))
        set_uniform(self._program, "u_rect", ((w - tw) // 2, (h - th) // 2, tw, th))
        set_uniform(self._program, "u_lod", 0.0)
        set_uniform(self._program, "u_mirror", 0)
        set_uniform(self._program, "u_flip_y", 1 if target.glo == 0 else 0)
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        for obj in (self._vao, self._program, self._sampler):
            obj.release()
