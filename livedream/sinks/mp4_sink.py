"""The export's MP4 as a FrameSink: each frame read back and encoded on its own thread while the next is generated."""

from __future__ import annotations

from livedream.sinks.background import BackgroundWriter
from livedream.sinks.base import OutputFrame
from livedream.sinks.mp4 import Mp4Writer


class Mp4Sink:
    """Owns an open Mp4Writer: close() finishes and renames it into place, abort() removes the partial file."""

    def __init__(self, writer: Mp4Writer, threaded: bool = True):
        self.writer = writer
        self._encoder = BackgroundWriter(self._write, threaded=threaded)  # H.264 encoding overlaps generation

    def write(self, frame: OutputFrame) -> None:
        if frame.rect is None:
            self._encoder.write(frame.pixels())
        else:  # the generator's picture: scaled into the output by the encoder's converter
            self._encoder.write((frame.pixels(), frame.rect))

    def _write(self, item) -> None:
        if isinstance(item, tuple):
            self.writer.write_fitted(*item)
        else:
            self.writer.write(item)

    def close(self) -> None:
        try:
            self._encoder.close()  # raises the encoding thread's error, if it had one
        except BaseException:
            self.abort()
            raise
        self.writer.close()

    def abort(self) -> None:
        self._encoder.abort()
        self.writer.abort()
