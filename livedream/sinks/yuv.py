"""A small RGB picture scaled into a rectangle of a black yuv420p frame, in FFmpeg's converter (export's 1080p path)."""

from __future__ import annotations

import av
import numpy as np


def fit_yuv420(image: np.ndarray, rect: tuple[int, int, int, int], size: tuple[int, int]) -> av.VideoFrame:
    """image [sh, sw, 3] uint8 scaled to rect (x0, y0, w, h; even values keep 4:2:0 sharp) on black, as yuv420p."""
    x0, y0, w, h = (v - v % 2 for v in rect)
    x0, y0 = x0 + (rect[2] - w) // 2 // 2 * 2, y0 + (rect[3] - h) // 2 // 2 * 2
    scaled = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24").reformat(
        width=max(2, w), height=max(2, h), format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG",
        interpolation="BICUBIC",
    )  # fmt: skip
    out = av.VideoFrame(size[0], size[1], "yuv420p")
    out.colorspace, out.color_range = scaled.colorspace, scaled.color_range
    for i, black in enumerate((16, 128, 128)):  # limited-range black
        sub = 1 if i == 0 else 2
        dst = _plane(out.planes[i], size[1] // sub)  # [H / sub, W / sub]
        src = _plane(scaled.planes[i], max(2, h) // sub)  # [h / sub, w / sub]
        dst[:] = black
        ox, oy = x0 // sub, y0 // sub
        # The overlap of the scaled picture with the frame, in each one's coordinates.
        left, top = max(0, -ox), max(0, -oy)
        right, bottom = min(src.shape[1], dst.shape[1] - ox), min(src.shape[0], dst.shape[0] - oy)
        if right > left and bottom > top:
            dst[oy + top : oy + bottom, ox + left : ox + right] = src[top:bottom, left:right]
    return out


def _plane(plane: av.video.plane.VideoPlane, rows: int) -> np.ndarray:
    """A writable [rows, width] view of one plane, without its line padding."""
    return np.frombuffer(memoryview(plane), np.uint8).reshape(rows, plane.line_size)[:, : plane.width]
