"""The encoding thread: frames arrive in order, a failure reaches the caller, abort stops promptly."""

import threading
import time

import numpy as np
import pytest

from livedream.sinks.background import BackgroundWriter


def test_frames_are_written_in_order_on_another_thread():
    seen, threads = [], set()

    def write(frame):
        seen.append(int(frame[0, 0, 0]))
        threads.add(threading.get_ident())

    bw = BackgroundWriter(write)
    for k in range(50):
        bw.write(np.full((2, 2, 3), k, np.uint8))
    bw.close()
    assert seen == list(range(50)) and threading.get_ident() not in threads


def test_an_encoding_error_is_raised_in_the_caller():
    def write(frame):
        if frame[0, 0, 0] == 3:
            raise OSError("No space left on device")

    bw = BackgroundWriter(write)
    with pytest.raises(OSError, match="No space left"):
        for k in range(100):
            bw.write(np.full((1, 1, 3), k, np.uint8))
        bw.close()


def test_abort_drops_what_is_queued():
    seen = []

    def slow(frame):
        time.sleep(0.05)
        seen.append(frame)

    bw = BackgroundWriter(slow, depth=8)
    for _ in range(8):
        bw.write(np.zeros((1, 1, 3), np.uint8))
    bw.abort()
    assert len(seen) < 8


def test_unthreaded_writes_inline_on_the_callers_thread():
    """The benchmarks' baseline (nothing overlaps): same frames, same order, the caller's thread."""
    seen, threads = [], set()

    def write(frame):
        seen.append(int(frame[0, 0, 0]))
        threads.add(threading.get_ident())

    bw = BackgroundWriter(write, threaded=False)
    for k in range(5):
        bw.write(np.full((2, 2, 3), k, np.uint8))
        assert seen[-1] == k  # written before write() returned
    bw.close()
    bw.abort()
    assert seen == list(range(5)) and threads == {threading.get_ident()}
