"""Virtual camera out (pyvirtualcam): v4l2loopback on Linux, OBS's virtual camera on Windows and macOS."""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

from livedream.sinks.videoout import LIVE_FPS, SlotSink, to_camera

log = logging.getLogger(__name__)


class VirtualCameraSink(SlotSink):
    """Sends RGB frames to a virtual webcam any program can open. Its size is fixed when it opens (the first
    frame's); later frames of another size (a resized window) are scaled to it. device None: the first one."""

    module = "pyvirtualcam"
    extra = "virtualcam"

    def __init__(self, device: str | None = None, fps: Fraction = LIVE_FPS):
        self.device = device
        self.label = f"virtual camera {device}" if device else "virtual camera"
        self.size: tuple[int, int] | None = None
        super().__init__(fps)

    def convert(self, pixels: np.ndarray) -> np.ndarray:
        return to_camera(pixels, self.size or (pixels.shape[1], pixels.shape[0]))

    def open(self, size: tuple[int, int]) -> _Camera:
        self.size = self.size or size  # reopened after a failure: the size the receivers already know
        return _Camera(self.size, float(self.fps), self.device)


class _Camera:
    def __init__(self, size: tuple[int, int], fps: float, device: str | None):
        import pyvirtualcam

        self._cam = pyvirtualcam.Camera(size[0], size[1], fps, fmt=pyvirtualcam.PixelFormat.RGB, device=device)
        log.info("virtual camera: sending %dx%d to %s", size[0], size[1], self._cam.device)

    def send(self, pixels: np.ndarray) -> None:
        self._cam.send(pixels)  # [H, W, 3] RGB

    def close(self) -> None:
        self._cam.close()
