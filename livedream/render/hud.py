"""The on-screen HUD: a few lines of text (fps, generator ms, input level, latency) drawn over the picture."""

from __future__ import annotations

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from livedream.render.gl import compile_program, shader_path

MARGIN = 8  # pixels from the window's top-left corner
PAD = 4


class Hud:
    """Text rendered with PIL into an RGBA texture (only when it changes) and blended over the window's corner."""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._program = compile_program(ctx, shader_path("hud.frag"), vertex=shader_path("hud.vert"))
        self._vao = ctx.vertex_array(self._program, [])
        self._font = ImageFont.load_default()
        self._texture: moderngl.Texture | None = None
        self._text: str | None = None

    def set_text(self, lines: list[str]) -> None:
        text = "\n".join(lines)
        if text == self._text:
            return
        self._text = text
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        x0, y0, x1, y1 = probe.multiline_textbbox((0, 0), text, font=self._font)
        size = (int(x1) + 2 * PAD, int(y1) + 2 * PAD)
        image = Image.new("RGBA", size, (0, 0, 0, 160))
        ImageDraw.Draw(image).multiline_text((PAD, PAD), text, font=self._font, fill=(255, 255, 255, 255))
        if self._texture is None or self._texture.size != size:
            if self._texture is not None:
                self._texture.release()
            self._texture = self.ctx.texture(size, 4)
            self._texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._texture.write(np.asarray(image).tobytes())

    def draw(self, target: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        """Blend the text over the top-left corner of target (a window's default framebuffer, size (w, h))."""
        if self._texture is None:
            return
        w, h = size
        tw, th = self._texture.size
        x0, x1 = -1 + 2 * MARGIN / w, -1 + 2 * (MARGIN + tw) / w
        y1, y0 = 1 - 2 * MARGIN / h, 1 - 2 * (MARGIN + th) / h
        target.use()
        self.ctx.viewport = (0, 0, w, h)
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._texture.use(0)
        self._program["u_text"] = 0
        self._program["u_rect"] = (x0, y0, x1, y1)
        self._vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        self.ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        for obj in (self._vao, self._program, self._texture):
            if obj is not None:
                obj.release()
