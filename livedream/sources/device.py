"""The live Source: a sound-card input captured in a child process into a shared ring buffer, reopened when lost."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence

import numpy as np

from livedream.errors import LivedreamError
from livedream.sources.capture_child import SharedRing, ring_bytes
from livedream.sources.devices import InputDevice
from livedream.sources.ring import RingBuffer

log = logging.getLogger(__name__)

RING_SECONDS = 4.0  # how far the analysis thread may fall behind before samples are lost
STALL_S = 0.5  # no callback for this long while the stream should run: the device is gone
# A stream just opened may take longer for its first block (a JACK server just restarted, a loaded machine):
# judged by STALL_S from the open, a reconnection that worked would count as a new loss.
FIRST_BLOCK_S = 2.0
OPEN_TIMEOUT_S = 15.0  # a capture process that has not opened its stream by then has failed
STOP_WAIT_S = 2.0  # per step of stopping a capture process


class LiveInput:
    """An input device captured by a child process (input_process), with the bookkeeping to notice it vanish
    and to start a new child until the device is back.

    channels are the 1-based input channels to use (None: the first two, or one on a mono device); the
    reader mixes them to mono. PortAudio lives only in the child, so a dead host API (a JACK server that went
    away) is left behind with the child, whatever the host API; this process never loads PortAudio.
    """

    def __init__(
        self,
        device: str | int | None = None,
        channels: Sequence[int] | None = None,
        sample_rate: int | None = None,
        stem_channels: Mapping[str, Sequence[int]] | None = None,
    ):
        self.spec = device
        self.wanted_channels = list(channels) if channels else None
        self.wanted_stems = {role: list(chans) for role, chans in (stem_channels or {}).items()}
        if self.wanted_stems and self.wanted_channels is None:
            self.wanted_channels = [1, 2]  # with stems on other inputs, the mix is inputs 1-2 unless told
        self.stem_channels: dict[str, list[int]] = {}  # role -> 0-based stream channels
        self.wanted_rate = sample_rate
        self.device: InputDevice | None = None
        self.sample_rate = 0
        self.channels: list[int] = []  # 0-based indices into the stream's channels: the mix
        self.stream_channels = 0
        self.latency_s = 0.0
        self.ring: SharedRing  # made by open(); there is none before
        self.generation = 0  # bumped at each (re)open: readers restart from the new ring's start
        self._child: subprocess.Popen | None = None
        self._ring_file: str | None = None
        self._dying: list[subprocess.Popen] = []  # children of lost inputs, told to stop, not yet reaped
        self._starting: subprocess.Popen | None = None  # a child still opening (a reconnection attempt)
        self._closed = False
        self._opened_at = 0.0

    def open(self) -> None:
        """Start a child that opens the stream; a bad device, channel or rate raises LivedreamError with one line."""
        fd, path = tempfile.mkstemp(prefix="livedream-audio-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        try:
            os.ftruncate(fd, ring_bytes(RING_SECONDS, max(self.wanted_channels or [2])))
        finally:
            os.close(fd)
        spec = "" if self.spec is None else str(self.spec)
        every = sorted({*(self.wanted_channels or []), *(c for chans in self.wanted_stems.values() for c in chans)})
        chans = ",".join(str(c) for c in every)
        cmd = [sys.executable, "-m", "livedream.sources.capture_child", path, spec, chans, str(self.wanted_rate or 0)]
        child = subprocess.Popen(
            [*cmd, str(RING_SECONDS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._starting = child  # close() on another thread stops it, and this attempt then fails
        try:
            info = self._handshake(child)
            if self._closed:
                raise LivedreamError("the audio input was closed while it opened")
            ring = SharedRing(path)
        except BaseException:
            self._stop_child(child)
            os.unlink(path)
            raise
        finally:
            self._starting = None
        self._release()
        self._child, self._ring_file = child, path
        self.device = InputDevice(info["index"], info["name"], info["host_api"], max(info["channels"]), 0, 0, False)
        self.sample_rate = int(info["rate"])
        self.channels = [c - 1 for c in (self.wanted_channels or info["channels"])]
        self.stem_channels = {role: [c - 1 for c in chans] for role, chans in self.wanted_stems.items()}
        self.stream_channels = max(info["channels"])
        self.latency_s = float(info["latency"])
        self.ring = ring
        self._opened_at = time.monotonic()
        self.generation += 1
        log.info(
            "audio input %d %r (%s): channels %s at %d Hz, latency %.1f ms (capture process %d)",
            info["index"],
            info["name"],
            info["host_api"],
            info["channels"],
            self.sample_rate,
            1000 * self.latency_s,
            child.pid,
        )

    @staticmethod
    def _handshake(child: subprocess.Popen) -> dict:
        """The child's one JSON line: its stream's settings, or an error that becomes a LivedreamError."""
        assert child.stdout is not None  # open() pipes it
        ready, _, _ = select.select([child.stdout], [], [], OPEN_TIMEOUT_S)
        line = child.stdout.readline() if ready else b""
        try:
            info = json.loads(line)
        except ValueError:
            raise LivedreamError(f"the audio input did not open within {OPEN_TIMEOUT_S:g} s") from None
        if "error" in info:
            raise LivedreamError(info["error"])
        return info

    @property
    def running(self) -> bool:
        return self._child is not None

    def healthy(self) -> bool:
        """Whether input still arrives: the child lives and wrote recently (its first block: within FIRST_BLOCK_S)."""
        if self._child is None or self._child.poll() is not None:
            return False
        stamp = self.ring.stamp
        if not stamp:  # nothing written since the open yet
            return time.monotonic() - self._opened_at < FIRST_BLOCK_S
        return time.monotonic() - stamp < STALL_S

    def abandon(self) -> None:
        """Give up a lost input without waiting: its child is told to stop and reaped on a later (re)open."""
        child, self._child = self._child, None
        if child is not None:
            if child.poll() is None:
                child.terminate()
            self._dying.append(child)

    def close(self) -> None:
        """Stop the child (it closes its stream when its stdin closes) and remove the ring file."""
        self._closed = True
        for child in (self._starting, self._child):
            if child is not None:
                self._stop_child(child)
        self._child = None
        for old in self._dying:
            self._stop_child(old)
        self._dying.clear()
        self._release()

    def reopen(self) -> bool:
        """One reconnection attempt: a new child opens the input; True when it worked. Blocks (seconds)."""
        for old in self._dying:
            self._stop_child(old)
        self._dying.clear()
        try:
            self.open()
        except (LivedreamError, OSError, ValueError) as exc:  # ValueError: closed under an attempt at exit
            log.debug("audio input still unavailable: %s", exc)
            return False
        return True

    def _release(self) -> None:
        """Remove the previous ring file (its mapping stays valid for a reader still holding it)."""
        if self._ring_file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._ring_file)
            self._ring_file = None

    @staticmethod
    def _stop_child(child: subprocess.Popen) -> None:
        """EOF on stdin (a clean stop), then SIGTERM, then, for a child stuck in a dead host API, SIGKILL."""
        assert child.stdin is not None and child.stdout is not None  # open() pipes both
        with contextlib.suppress(OSError):
            child.stdin.close()
        for step in (None, child.terminate, child.kill):
            if step is not None and child.poll() is None:
                step()
            try:
                child.wait(timeout=STOP_WAIT_S)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(OSError):
            child.stdout.close()


class FileInput:
    """A file played into a ring buffer as a clock advances: the live Source's stand-in for tests and benchmarks.

    It has LiveInput's reading side (ring, generation, channels, sample_rate, healthy) and advance(t), which
    writes the file's samples up to audio time t, as a sound card would have delivered them by then.
    """

    def __init__(
        self,
        path: str,
        sample_rate: int,
        block_frames: int = 512,
        channels: Sequence[int] | None = None,
        stem_channels: Mapping[str, Sequence[int]] | None = None,
    ):
        from livedream.sources.file import iter_blocks, probe

        stems = {role: list(chans) for role, chans in (stem_channels or {}).items()}
        n = probe(path).channels if (channels or stems) else 1  # mono unless channels are picked from the file
        every = [*(channels or []), *(c for chans in stems.values() for c in chans)]
        if every and max(every) > n:
            raise LivedreamError(
                f"{path} has {n} channel(s); cannot use channel(s) {sorted(c for c in every if c > n)}"
            )
        self.sample_rate = sample_rate
        self.channels = [c - 1 for c in channels] if channels else list(range(min(n, 2)))
        self.stem_channels = {role: [c - 1 for c in chans] for role, chans in stems.items()}
        self.stream_channels = n
        self.latency_s = 0.0
        self.generation = 1
        self.ring = RingBuffer.in_memory(int(RING_SECONDS * sample_rate), n)
        self._blocks = iter_blocks(path, sample_rate=sample_rate, channels=n, block_frames=block_frames)
        self._carry = np.zeros((0, n), np.float32)

    def advance(self, t: float) -> None:
        """Deliver the samples that end at or before audio time t (then silence once the file is over)."""
        target = int(t * self.sample_rate)
        while self.ring.written < target:
            if not len(self._carry):
                block = next(self._blocks, None)
                self._carry = (
                    block.samples
                    if block is not None
                    else np.zeros((target - self.ring.written, self.stream_channels), np.float32)
                )
            n = min(len(self._carry), target - self.ring.written)
            self.ring.write(self._carry[:n])
            self._carry = self._carry[n:]

    def healthy(self) -> bool:
        return True

    def abandon(self) -> None:
        """Nothing to give up: a file never goes away."""

    def close(self) -> None:
        self._blocks.close()

    def reopen(self) -> bool:
        return True
