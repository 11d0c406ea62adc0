"""A real capture process on a JACK server: a stream that stops delivering is noticed quickly, a fresh one is not."""

from __future__ import annotations

import os
import signal
import time

import pytest

from livedream.sources.device import FIRST_BLOCK_S, STALL_S, LiveInput
from tests.helpers import live_harness as h

pytestmark = [pytest.mark.slow, pytest.mark.needs("jackd", "jack_lsp")]


def _wait(condition, timeout: float) -> float:
    """Seconds until condition() held (polling every 10 ms); timeout + 1 when it never did."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.01)
    return timeout + 1


def test_a_frozen_capture_is_lost_within_the_stall_time(monkeypatch):
    with h.jackd() as server:
        monkeypatch.setenv("JACK_DEFAULT_SERVER", server)
        src = LiveInput()
        src.open()
        try:
            assert src.healthy()  # just opened: its first block may still be on the way
            assert _wait(lambda: src.ring.stamp > 0, FIRST_BLOCK_S) <= FIRST_BLOCK_S  # blocks arrive
            time.sleep(0.3)
            assert src.healthy()
            child = src._child
            os.kill(child.pid, signal.SIGSTOP)  # the stream stops delivering, the process stays
            try:
                lost_after = _wait(lambda: not src.healthy(), 3.0)
            finally:
                os.kill(child.pid, signal.SIGCONT)
            assert STALL_S - 0.05 <= lost_after < STALL_S + 0.4, lost_after  # not before the stall time, soon after
        finally:
            src.close()
