"""NDI out: the picture as an NDI source other machines and programs (Resolume, OBS, TouchDesigner) receive."""

from __future__ import annotations

import logging
import threading
from fractions import Fraction

import numpy as np

from livedream.sinks.base import OutputFrame
from livedream.sinks.videoout import LIVE_FPS, SlotSink, to_ndi

log = logging.getLogger(__name__)

_runtime_lock = threading.Lock()  # NDIlib.initialize is process-wide; destroy() is optional and never called


class NdiSink(SlotSink):
    """Sends RGBA frames at output size as the NDI source `name` (ndi-python, which ships NDI's runtime).

    Frames are sent unclocked: live at the display's pace, in export as fast as the render goes.
    """

    module = "NDIlib"
    extra = "ndi"

    def __init__(self, name: str, fps: Fraction = LIVE_FPS):
        self.name = name
        self.label = f"NDI out {name!r}"
        super().__init__(fps)

    def take(self, frame: OutputFrame) -> np.ndarray:
        return frame.rgba()  # [h, w, 4]

    def convert(self, pixels: np.ndarray) -> np.ndarray:
        return to_ndi(pixels)

    def open(self, size: tuple[int, int]) -> _NdiOutput:
        return _NdiOutput(self.name, self.fps)


class _NdiOutput:
    def __init__(self, name: str, fps: Fraction):
        import NDIlib as ndi

        with _runtime_lock:
            if not ndi.initialize():
                raise RuntimeError("the NDI runtime does not start on this CPU or system")
        self._ndi = ndi
        settings = ndi.SendCreate()
        settings.ndi_name = name
        settings.clock_video = False
        settings.clock_audio = False
        self._sender = ndi.send_create(settings)
        if self._sender is None:
            raise RuntimeError(f"NDI cannot create a source named {name!r}")
        self._frame = ndi.VideoFrameV2()
        self._frame.FourCC = ndi.FOURCC_VIDEO_TYPE_RGBA
        self._frame.frame_rate_N, self._frame.frame_rate_D = fps.numerator, fps.denominator
        log.info("NDI out: sending as %r", name)

    def send(self, pixels: np.ndarray) -> None:
        self._frame.data = pixels  # [h, w, 4] RGBA; the size may change from frame to frame
        self._ndi.send_send_video_v2(self._sender, self._frame)

    def close(self) -> None:
        if self._sender is not None:
            self._ndi.send_destroy(self._sender)
            self._sender = None
