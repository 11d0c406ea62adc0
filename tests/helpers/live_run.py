"""A running `livedream live` as the live tests see it: its stats records, waits on them, its log and its window."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.helpers import ROOT
from tests.helpers import live_harness as h


@contextlib.contextmanager
def live_process(args: list[str], env: dict[str, str], stderr: Path) -> Iterator[subprocess.Popen]:
    """`python -m livedream -v live ARGS` (this checkout's), its stderr into a file; stopped with SIGINT at the end
    (as Ctrl-C would), killed if it does not exit within 15 s."""
    with open(stderr, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "livedream", "-v", "live", *args], env=env, stderr=err, cwd=ROOT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(kw_only=True)
class LiveRun:
    """What a test asks of the running show; the stats file (--stats-file, one JSON record a line) is its state."""

    proc: subprocess.Popen
    stats: Path
    stderr: Path
    screen: Path | None = None  # Xvfb's screen file, for window()
    window_size: int = 128  # --size NxN: the window's corner of the screen
    wait_s: float = 5.0  # wait()'s default timeout

    def records(self) -> list[dict]:
        lines = self.stats.read_text().splitlines() if self.stats.exists() else []
        return [json.loads(line) for line in lines if line.endswith("}")]  # not a line half-written

    def last(self) -> dict:
        recs = self.records()
        return recs[-1] if recs else {}

    def wait(self, pred: Callable[[dict], object], timeout: float | None = None, what: str = "") -> dict:
        """The first stats record written from now on that satisfies pred."""
        seen = len(self.records())
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"livedream exited:\n{self.log()[-3000:]}"
            recs = self.records()
            for rec in recs[seen:]:
                if pred(rec):
                    return rec
            seen = len(recs)
            time.sleep(0.03)
        raise AssertionError(f"timed out waiting for {what}; last record: {self.last()}\n{self.log()[-3000:]}")

    def params(self) -> dict:
        """The values in force, from the second record written from now on (a whole stats interval after now:
        the control thread has read what was sent before, and the main thread has applied it)."""
        self.wait(lambda r: True, what="a stats record")
        return self.wait(lambda r: True, what="a stats record")["params"]

    def log(self) -> str:
        return self.stderr.read_text()

    def window(self) -> np.ndarray:
        """The window's pixels now, from Xvfb's screen: [size, size, 3] int."""
        assert self.screen is not None, "no screen file: started without xvfb()"
        return h.screenshot(self.screen)[: self.window_size, : self.window_size].astype(int)
