"""The on-screen HUD: a few lines of text (fps, generator ms, input level, latency) drawn over the picture."""

from __future__ import annotations

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from livedream.render.gl import compile_program, shader_path

MARGIN = 8  # pixels from the window's top-left corner (at 720 rows; scaled with the text)
PAD = 4
LINES_PER_SCREEN = 45  # the text's height: a 1080-row window gets 24-pixel letters, a 256-row one 12
MIN_FONT_PX, MAX_FONT_PX = 12, 64


class Hud:
    """Text rendered with PIL into an RGBA texture (only when it changes) and blended over the window's corner."""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._program = compile_program(ctx, shader_path("hud.frag"), vertex=shader_path("hud.vert"))
        self._vao = ctx.vertex_array(self._program, [])
        self._fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
        self._texture: moderngl.Texture | None = None
        self._text: tuple[str, int] | None = None
        self._scale = 1.0

    def font_px(self, height: int) -> int:
        """The letter size for a window height: readable on a projector and on a small window alike."""
        return max(MIN_FONT_PX, min(MAX_FONT_PX, round(height / LINES_PER_SCREEN)))

    def set_text(self, lines: list[str], height: int = 720) -> None:
        """The lines to show, at the letter size for a target `height` pixels tall."""
        text, px = "\n".join(lines), self.font_px(height)
        if (text, px) == self._text:
            return
        self._text = (text, px)
        self._scale = px / 16
        if px not in self._fonts:
            self._fonts[px] = ImageFont.load_default(size=px)
        self._font = self._fonts[px]
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        x0, y0, x1, y1 = probe.multiline_textbbox((0, 0), text, font=self._font)
        pad = round(PAD * self._scale)
        size = (int(x1) + 2 * pad, int(y1) + 2 * pad)
        image = Image.new("RGBA", size, (0, 0, 0, 160))
        ImageDraw.Draw(image).multiline_text((pad, pad), text, font=self._font, fill=(255, 255, 255, 255))
        if self._texture is None or self._texture.size != size:
            if self._texture is not None:
                self._texture.release()
            self._texture = self.ctx.texture(size, 4)
            self._texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._texture.write(np.asarray(image).tobytes())

    def draw(self, target: moderngl.Framebuffer, size: tuple[int, int]) -> None:
        """Blend the text over the top-left corner of target, size (w, h): a window's default framebuffer, or an
        offscreen one whose rows run top first (the engine's output, for --record-hud), drawn flipped."""
        if self._texture is None:
            return
        w, h = size
        tw, th = self._texture.size
        margin = MARGIN * self._scale
        x0, x1 = -1 + 2 * margin / w, -1 + 2 * (margin + tw) / w
        y1, y0 = 1 - 2 * margin / h, 1 - 2 * (margin + th) / h
        if target.glo != 0:  # rows top first: the top of the picture is clip y = -1, and the text upside down
            y0, y1 = -y0, -y1
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


class HudOverlay:
    """--record-hud: the HUD drawn into the engine's output frame, so the sinks after it (the recording) carry it.

    A sink in form (write/close/abort) that changes the frame in place; put it before the sinks that must
    show the HUD. `window_sink` tells whether the HUD is toggled on (H) and is told not to draw it twice.
    """

    def __init__(self, hud: Hud, hud_lines, window_sink):  # hud_lines() -> [str]; window_sink: WindowSink
        self.hud, self.hud_lines, self.window_sink = hud, hud_lines, window_sink
        window_sink.hud_in_frame = True

    def write(self, frame) -> None:  # frame: sinks.base.OutputFrame
        if self.window_sink.show_hud:
            self.hud.set_text(self.hud_lines(), frame.size[1])
            self.hud.draw(frame.fbo, frame.size)

    def close(self) -> None:
        """Nothing of its own to finish."""

    def abort(self) -> None:
        """Nothing of its own to remove."""
