"""The ring buffer between the audio callback and the analysis thread: one writer, one reader, no locks."""

from __future__ import annotations

import time

import numpy as np


class RingBuffer:
    """A fixed [capacity, channels] float32 array and a running count of the frames written into it.

    The writer copies a block, sets the stamp, then bumps `written`; the reader reads the count and then
    the samples before it, so it never sees a frame before its samples are in place. The storage is
    given (plain arrays in one process, views of a shared file mapping across two: input_process), so
    the same code serves both; nothing is allocated on the write path.
    """

    def __init__(self, data: np.ndarray, written: np.ndarray, stamp: np.ndarray):
        self.data = data  # [capacity, channels] float32
        self.capacity, self.channels = data.shape
        self._written = written  # [1] int64: frames written since the start
        self._stamp = stamp  # [1] float64: time.monotonic() of the last write, 0.0 before the first

    @classmethod
    def in_memory(cls, capacity: int, channels: int) -> RingBuffer:
        return cls(np.zeros((capacity, channels), np.float32), np.zeros(1, np.int64), np.zeros(1, np.float64))

    @property
    def written(self) -> int:
        return int(self._written[0])

    @property
    def stamp(self) -> float:
        return float(self._stamp[0])

    def write(self, block: np.ndarray) -> None:
        """Copy block [n, channels] in: the audio callback's only job."""
        n = min(len(block), self.capacity)
        start = int(self._written[0]) % self.capacity
        end = start + n
        if end <= self.capacity:
            self.data[start:end] = block[:n]
        else:
            first = self.capacity - start
            self.data[start:] = block[:first]
            self.data[: end - self.capacity] = block[first:n]
        self._stamp[0] = time.monotonic()
        self._written[0] += n

    def read_from(self, pos: int) -> tuple[np.ndarray, int, int]:
        """Frames written since pos: (samples [m, channels] copy, new pos, frames lost to an overrun)."""
        end = self.written
        lost = max(0, end - pos - self.capacity)
        pos += lost
        n = end - pos
        start = pos % self.capacity
        if start + n <= self.capacity:
            out = self.data[start : start + n].copy()
        else:
            out = np.concatenate([self.data[start:], self.data[: start + n - self.capacity]])
        return out, end, lost
