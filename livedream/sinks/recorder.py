"""--record: what the engine draws, at a steady frame rate, with the input audio, through the export's MP4 writer."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
from PIL import Image

from livedream.sinks.base import OutputFrame
from livedream.sinks.mp4 import Mp4Writer
from livedream.sinks.mp4_audio import PushedAudio

log = logging.getLogger(__name__)

RECORD_FPS = 30
RECORD_PRESET = "ultrafast"  # the encoder shares the machine with the show: it must keep up, not compress hard
MAX_AUDIO_BLOCKS = 2000  # ~20 s of hops: a stalled encoder cannot grow memory without bound


class LiveRecorder:
    """Encodes on its own thread from a one-frame slot: the newest picture always wins.

    Video is written at RECORD_FPS from the moment recording starts: frame k shows what the engine drew
    at about k / RECORD_FPS. The main thread hands over a picture only when a recorded frame is due; if
    the encoder is still busy, the waiting picture is replaced by the newer one (counted in `replaced`)
    and the frames due meanwhile are written from the newest picture. So a slow encoder lowers the
    recording's effective frame rate for a moment but never freezes it on an old picture. Frames of
    another size (the window was resized) are scaled to the recording's size.
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        audio_rate: int,
        audio_channels: int,
        start: float,
        fps: int = RECORD_FPS,
    ):
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        self.start = start
        self.handed = 0  # video frames due so far (handed to the slot)
        self.replaced = 0  # pictures overtaken in the slot before the encoder took them
        audio = PushedAudio(audio_rate, min(2, max(1, audio_channels)))
        self._writer = Mp4Writer(path, self.size, fps, audio=audio, preset=RECORD_PRESET)
        self._cond = threading.Condition()
        self._slot: tuple[np.ndarray, int] | None = None  # (pixels [h, w, 3], frames due)
        self._audio: deque[tuple[np.ndarray, int]] = deque(maxlen=MAX_AUDIO_BLOCKS)
        self._stopping = False
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="livedream-record", daemon=True)
        self._thread.start()

    def due(self, now: float) -> int:
        """How many video frames are due at time now (0: no read-back needed this display frame)."""
        return max(0, int((now - self.start) * self.fps) + 1 - self.handed)

    def write(self, frame: OutputFrame) -> None:
        """The FrameSink side: hand over the picture when a recorded frame is due."""
        due = self.due(time.monotonic())
        if due:
            self.add_frame(frame.pixels(), due)

    def add_frame(self, pixels: np.ndarray, count: int = 1) -> None:
        """The picture [h, w, 3] uint8 for the next `count` frames (pixels must not change afterwards)."""
        self.handed += count
        with self._cond:
            if self._slot is not None:  # the encoder has not taken the last one: the newer picture wins
                self.replaced += 1
                count += self._slot[1]
            self._slot = (pixels, count)
            self._cond.notify()

    def add_audio(self, samples: np.ndarray, rate: int) -> None:
        """Called from the analysis thread with every block analysed ([n, ch] float32 at rate)."""
        with self._cond:
            self._audio.append((samples, rate))
            self._cond.notify()

    def _run(self) -> None:
        last: np.ndarray | None = None
        while True:
            with self._cond:
                while not self._stopping and self._slot is None and not self._audio:
                    self._cond.wait()
                audio = list(self._audio)
                self._audio.clear()
                slot, self._slot = self._slot, None
                if self._stopping and slot is None and not audio:
                    return
            if self._failed is not None:
                continue
            try:
                for samples, rate in audio:
                    self._writer.write_audio(samples, rate)
                if slot is not None:
                    pixels, count = slot
                    last = pixels if pixels.shape[:2] == self.size[::-1] else self._scaled(pixels)
                    for _ in range(count):
                        self._writer.write(last)
            except Exception as exc:  # noqa: BLE001 - the recording fails, the show goes on
                self._failed = exc
                log.error("recording failed, the picture goes on: %s", exc)

    def _scaled(self, pixels: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(pixels).resize(self.size, Image.Resampling.BILINEAR))

    def _stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join()

    def close(self) -> None:
        """Finish the file (renamed into place) or, if encoding failed, remove the partial one."""
        self._stop()
        if self._failed is not None:
            self._writer.abort()
        else:
            self._writer.close()

    def abort(self) -> None:
        self._stop()
        self._writer.abort()
