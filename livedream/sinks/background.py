"""A sink's write() on its own thread, so encoding one frame overlaps generating the next."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

_DONE = object()
_T = TypeVar("_T")  # what write() takes: a frame, or a frame and where it goes


class BackgroundWriter(Generic[_T]):
    """Feeds frames to `write` from a worker thread through a short queue.

    FFmpeg's encoder and torch both release the GIL, so on two cores the H.264 encode of frame k
    runs while frame k+1 is generated. The queue is short (memory stays flat) and the worker's
    first error is raised in the caller at its next write() or close(), so nothing fails silently.
    threaded=False writes on the caller's thread instead (the benchmarks' baseline; nothing overlaps).
    """

    def __init__(self, write: Callable[[_T], None], depth: int = 4, threaded: bool = True):
        self._write = write
        self.threaded = threaded
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livedream-encode", daemon=True)
        if threaded:
            self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE or self._stop.is_set():
                return
            try:
                self._write(item)
            except BaseException as exc:  # handed to the caller, which re-raises it
                self._error = exc
                self._stop.set()
                return

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, frame: _T) -> None:
        """Queue a frame [h, w, 3] uint8; blocks while the queue is full."""
        if not self.threaded:
            self._write(frame)
            return
        while True:
            self._raise()
            try:
                self._queue.put(frame, timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._raise()
                    raise RuntimeError("the encoding thread stopped") from None

    def close(self) -> None:
        """Write everything queued, then stop; raises the worker's error if it had one."""
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop as soon as the frame in hand is written; what is still queued is dropped."""
        self._stop.set()
        if not self.threaded:
            return
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        try:
            self._queue.put_nowait(_DONE)
        except queue.Full:
            pass
        self._thread.join()
