"""--record: what the window shows, at a steady frame rate, with the input audio, through the export's MP4 sink."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from livedream.sinks.mp4 import Mp4Writer, PushedAudio

log = logging.getLogger(__name__)

RECORD_FPS = 30
MAX_QUEUED_FRAMES = 30  # beyond this the encoder is behind: the newest picture is repeated instead of read back


class LiveRecorder:
    """Encodes on its own thread; the main thread hands it read-back frames, the analysis thread audio blocks.

    Video is written at RECORD_FPS from the moment recording starts: frame k shows what the window showed
    at k / RECORD_FPS (repeated or skipped against the display rate), so picture and sound stay in step.
    Frames of another size (the window was resized) are scaled to the recording's size.
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
        self.written = 0  # video frames handed over
        audio = PushedAudio(audio_rate, min(2, max(1, audio_channels)))
        self._writer = Mp4Writer(path, self.size, fps, audio=audio, preset="veryfast")
        self._queue: queue.Queue = queue.Queue()
        self._video_queued = 0
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="livedream-record", daemon=True)
        self._thread.start()

    def due(self, now: float) -> int:
        """How many video frames are due at time now (0: no read-back needed this display frame)."""
        return max(0, int((now - self.start) * self.fps) + 1 - self.written)

    def add_frame(self, pixels: np.ndarray | None, count: int = 1) -> None:
        """The window's picture [h, w, 3] uint8 for the next `count` frames; None repeats the previous one."""
        if self._video_queued > MAX_QUEUED_FRAMES:
            pixels = None
        self._video_queued += 1
        self._queue.put(("video", pixels, count))
        self.written += count

    @property
    def behind(self) -> bool:
        return self._video_queued > MAX_QUEUED_FRAMES

    def add_audio(self, samples: np.ndarray, rate: int) -> None:
        """Called from the analysis thread with every block analysed ([n, ch] float32 at rate)."""
        self._queue.put(("audio", samples, rate))

    def _run(self) -> None:
        last: np.ndarray | None = None
        while True:
            kind, data, extra = self._queue.get()
            if kind == "stop":
                return
            if self._failed is not None:
                continue
            try:
                if kind == "audio":
                    self._writer.write_audio(data, extra)
                    continue
                self._video_queued -= 1
                if data is not None:
                    last = data if data.shape[:2] == self.size[::-1] else self._scaled(data)
                if last is None:
                    last = np.zeros((self.size[1], self.size[0], 3), np.uint8)
                for _ in range(extra):
                    self._writer.write(last)
            except Exception as exc:  # noqa: BLE001 - the recording fails, the show goes on
                self._failed = exc
                log.error("recording failed, the picture goes on: %s", exc)

    def _scaled(self, pixels: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(pixels).resize(self.size, Image.BILINEAR))

    def close(self) -> None:
        """Finish the file (renamed into place) or, if encoding failed, remove the partial one."""
        self._queue.put(("stop", None, None))
        self._thread.join()
        if self._failed is not None:
            self._writer.abort()
        else:
            self._writer.close()

    def abort(self) -> None:
        self._queue.put(("stop", None, None))
        self._thread.join()
        self._writer.abort()
