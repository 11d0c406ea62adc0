"""Video out to other VJ software: NDI and a virtual camera, each fed from a one-frame slot on its own thread."""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from livedream.sinks.video_settings import VideoOutSettings

if TYPE_CHECKING:
    from livedream.sinks.base import OutputFrame

log = logging.getLogger(__name__)

RETRY_S = 2.0  # a sink whose device failed tries to open it again this often (one log line, not one a try)
LIVE_FPS = Fraction(60)  # the frame rate a live sink declares to receivers (frames go out at the display's pace)


def to_ndi(pixels: np.ndarray) -> np.ndarray:
    """[h, w, 3 or 4] uint8 RGB(A), top row first -> [h, w, 4] contiguous RGBA (opaque where no alpha came)."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"expected [h, w, 3|4] uint8 pixels, got {pixels.shape} {pixels.dtype}")
    if pixels.shape[2] == 4:
        return np.ascontiguousarray(pixels)
    out = np.empty((*pixels.shape[:2], 4), np.uint8)  # [h, w, 4]
    out[..., :3] = pixels
    out[..., 3] = 255
    return out


def to_camera(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """[h, w, 3 or 4] uint8 RGB(A) -> [H, W, 3] contiguous RGB at the camera's size (W, H): alpha dropped, scaled.

    A virtual camera's size is fixed when it opens; the live window can be resized afterwards.
    """
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"expected [h, w, 3|4] uint8 pixels, got {pixels.shape} {pixels.dtype}")
    rgb = pixels[..., :3]
    if rgb.shape[1::-1] != tuple(size):
        from PIL import Image

        rgb = np.asarray(
            Image.fromarray(np.ascontiguousarray(rgb)).resize((size[0], size[1]), Image.Resampling.BILINEAR)
        )
    return np.ascontiguousarray(rgb)


class Output(Protocol):
    """One opened device or stream, used only on its sink's thread."""

    def send(self, pixels: np.ndarray) -> None: ...

    def close(self) -> None: ...


class SlotSink:
    """A FrameSink that never holds up the loop: write() puts the frame in a one-frame slot and returns.

    The sink's thread opens the output (on the first frame, so it knows the size), converts and sends.
    When it is still busy with a frame, the next one replaces the waiting one: the newest wins and the
    overtaken frame is counted in `dropped`. A missing library is one log line and the sink stays idle;
    an output that fails (the device went away) is one log line, then it is reopened every RETRY_S.
    """

    label = "video out"
    module = ""  # the Python module the output needs (checked once, up front)
    extra = ""  # the pip extra that installs it

    def __init__(self, fps: Fraction = LIVE_FPS):
        self.fps = Fraction(fps)
        self.sent = 0
        self.dropped = 0
        self.failed: str | None = None  # why the output is not working now; None while it is
        self._gave_up = False
        self._cond = threading.Condition()
        self._slot: np.ndarray | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        if self.module and importlib.util.find_spec(self.module) is None:
            self._give_up(
                f"{self.label} is off: {self.module} is not installed (pip install 'livedream[{self.extra}]')"
            )
            return
        self._thread = threading.Thread(target=self._run, name=f"livedream-{self.extra or 'out'}", daemon=True)
        self._thread.start()

    @property
    def counters(self) -> dict[str, Any]:
        return {"sent": self.sent, "dropped": self.dropped, "failed": self.failed}

    def take(self, frame: OutputFrame) -> np.ndarray:
        """The pixels this output wants, read on the main thread (the shared read-back, or RGBA from it)."""
        return frame.pixels()

    def convert(self, pixels: np.ndarray) -> np.ndarray:
        """The pure conversion for this output's format (on the sink's thread)."""
        return pixels

    def open(self, size: tuple[int, int]) -> Output:
        raise NotImplementedError

    def write(self, frame: OutputFrame) -> None:
        if not self._gave_up:
            self.put(self.take(frame))

    def put(self, pixels: np.ndarray) -> None:
        """Hand over a picture [h, w, c] uint8 that will not change afterwards; never blocks for long."""
        with self._cond:
            if self._slot is not None:
                self.dropped += 1
            self._slot = pixels
            self._cond.notify()

    def _run(self) -> None:
        out: Output | None = None
        retry_at = 0.0
        while True:
            with self._cond:
                while not self._stopping and self._slot is None:
                    self._cond.wait()
                if self._stopping:
                    break
                pixels, self._slot = self._slot, None
            assert pixels is not None  # the wait above ends on a picture or on stopping
            if out is None:
                if time.monotonic() < retry_at:
                    continue
                try:
                    out = self.open((pixels.shape[1], pixels.shape[0]))
                except Exception as exc:  # noqa: BLE001 - any failure of a third-party output: the show goes on
                    self._fail(f"cannot open: {exc}")
                    retry_at = time.monotonic() + RETRY_S
                    continue
                if self.failed is not None:
                    log.warning("%s: working again", self.label)
                self.failed = None
            try:
                out.send(self.convert(pixels))
                self.sent += 1
            except Exception as exc:  # noqa: BLE001 - the device went away mid-show: reopen later
                self._fail(f"sending failed: {exc}")
                _close_quietly(out)
                out, retry_at = None, time.monotonic() + RETRY_S
        if out is not None:
            _close_quietly(out)

    def _fail(self, why: str) -> None:
        if self.failed is None:  # one line per failure, not one per retry
            log.error("%s: %s; the picture goes on (retrying every %g s)", self.label, why.rstrip(". "), RETRY_S)
        self.failed = why

    def _give_up(self, why: str) -> None:
        log.error("%s", why)
        self.failed, self._gave_up = why, True

    def close(self) -> None:
        """Stop the thread and close the output; frames still in the slot are not sent."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def abort(self) -> None:
        self.close()


def _close_quietly(out: Output) -> None:
    try:
        out.close()
    except Exception as exc:  # noqa: BLE001 - closing a broken device may fail too; nothing is left to save
        log.debug("closing a video output failed: %s", exc)


def video_sinks(settings: VideoOutSettings, fps: Fraction = LIVE_FPS) -> list[SlotSink]:
    """The sinks asked for (possibly idle, with the reason logged); none when settings ask for nothing."""
    from livedream.sinks.ndi import NdiSink
    from livedream.sinks.virtualcam import VirtualCameraSink

    makers: list[Callable[[], SlotSink]] = []
    if (ndi := settings.ndi) is not None:
        makers.append(lambda: NdiSink(ndi, fps))
    if settings.virtual_camera is not None:
        makers.append(lambda: VirtualCameraSink(settings.virtual_camera or None, fps))
    return [make() for make in makers]
