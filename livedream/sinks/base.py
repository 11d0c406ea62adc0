"""The Sink plug point: where finished frames go (an MP4, a folder of PNGs, a window, a recording, video out)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import moderngl
import numpy as np

from livedream.modes.clock import FrameTime


class OutputFrame:
    """A finished frame at output size: on the GPU in `fbo` (rows top first), read back to the host on demand.

    Several sinks share one read-back: the first `pixels()` reads, the others get the same array.
    A numpy effect may replace the pixels (`replace`), which also uploads them for GL sinks.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        fbo: moderngl.Framebuffer,
        texture: moderngl.Texture,
        time: FrameTime,
        rect: tuple[int, int, int, int] | None = None,
        host_pixels: np.ndarray | None = None,
    ):
        self.ctx, self.fbo, self.texture, self.time = ctx, fbo, texture, time
        self.size: tuple[int, int] = (fbo.size[0], fbo.size[1])  # (width, height)
        # None: the frame is at output size. Else it is the generator-sized picture with its effects, still to be
        # scaled into rect (x0, y0, w, h) of the output by the sink (export's encoder does it in one pass).
        self.rect = rect
        # A frame that no effect touched may exist only on the host ([h, w, 3] uint8, the generator's own pixels):
        # then fbo is not drawn. Only with rect set, whose sinks (the MP4 encoder) read pixels() alone.
        if host_pixels is not None and rect is None:
            raise ValueError("host-only pixels are for frames the sink scales (rect set)")
        self._pixels: np.ndarray | None = host_pixels

    def pixels(self) -> np.ndarray:
        """[h, w, 3] uint8, top row first; read back once per frame. Treat as read-only."""
        if self._pixels is None:
            out = np.empty((self.size[1], self.size[0], 3), np.uint8)  # [h, w, 3]
            self.fbo.read_into(out, components=3, alignment=1)
            self._pixels = out
        return self._pixels

    def rgba(self) -> np.ndarray:
        """[h, w, 4] uint8 with opaque alpha, for sinks whose format takes alpha (NDI)."""
        out = np.empty((self.size[1], self.size[0], 4), np.uint8)  # [h, w, 4]
        out[..., :3] = self.pixels()
        out[..., 3] = 255
        return out

    def replace(self, pixels: np.ndarray) -> None:
        """New pixels [h, w, 3] uint8 (a numpy effect's output): uploaded, so the window shows them too."""
        rgba = np.empty((self.size[1], self.size[0], 4), np.uint8)
        rgba[..., :3] = pixels
        rgba[..., 3] = 255
        self.texture.write(rgba)
        self._pixels = np.ascontiguousarray(pixels)


@runtime_checkable
class FrameSink(Protocol):
    """Takes every finished frame. write() must not block the loop for long (encoders run on their own thread);
    close() finishes the output (renamed into place), abort() removes anything half-written."""

    def write(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...
