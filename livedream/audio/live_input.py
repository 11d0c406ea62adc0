"""The live Source: a sound-card input stream whose callback only copies into a preallocated ring buffer."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from livedream.audio.devices import InputDevice, find_input, rescan
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

RING_SECONDS = 4.0  # how far the analysis thread may fall behind before samples are lost
STALL_S = 0.5  # no callback for this long while the stream should run: the device is gone


class RingBuffer:
    """A fixed array of [capacity, channels] float32 and a running count of frames written.

    One writer (the audio callback) and one reader (the analysis thread): the writer copies and then
    bumps `written`, so the reader never sees a frame before its samples are in place. Nothing is
    allocated on the write path except the count itself.
    """

    def __init__(self, capacity: int, channels: int):
        self.data = np.zeros((capacity, channels), np.float32)  # [capacity, channels]
        self.capacity = capacity
        self.written = 0  # frames written since creation
        self.stamp = 0.0  # time.monotonic() of the last write

    def write(self, block: np.ndarray) -> None:
        """Copy block [n, channels] in (the callback's only job)."""
        n = min(len(block), self.capacity)
        start = self.written % self.capacity
        end = start + n
        if end <= self.capacity:
            self.data[start:end] = block[:n]
        else:
            first = self.capacity - start
            self.data[start:] = block[:first]
            self.data[: end - self.capacity] = block[first:n]
        self.written += n
        self.stamp = time.monotonic()

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


class LiveInput:
    """An input device opened as a PortAudio stream, with the bookkeeping to notice it vanish and reopen it.

    channels are the 1-based input channels to use (None: the first two, or one on a mono device);
    the reader mixes them to mono. Every method but the callback runs outside the audio thread.
    """

    def __init__(
        self, device: str | int | None = None, channels: Sequence[int] | None = None, sample_rate: int | None = None
    ):
        self.spec = device
        self.wanted_channels = list(channels) if channels else None
        self.wanted_rate = sample_rate
        self.device: InputDevice | None = None
        self.sample_rate = 0
        self.channels: list[int] = []  # 0-based indices into the stream's channels
        self.latency_s = 0.0
        self.ring: RingBuffer | None = None
        self.generation = 0  # bumped at each (re)open: readers restart from the new ring's start
        self._stream = None
        self._abandoned: list = []  # streams of vanished devices, never touched again
        self._opened_at = 0.0

    def open(self) -> None:
        """Open and start the stream; a bad device, channel or rate raises LivedreamError with one line."""
        import sounddevice as sd

        dev = find_input(self.spec)
        want = self.wanted_channels or list(range(1, min(2, dev.channels) + 1))
        bad = [c for c in want if not 1 <= c <= dev.channels]
        if bad:
            raise LivedreamError(f"{dev.name} has {dev.channels} input channel(s); cannot use channel(s) {bad}")
        rate = int(self.wanted_rate or dev.sample_rate)
        n_open = max(want)
        try:
            sd.check_input_settings(device=dev.index, channels=n_open, samplerate=rate, dtype="float32")
        except (sd.PortAudioError, ValueError) as exc:
            raise LivedreamError(f"{dev.name}: cannot record {n_open} channel(s) at {rate} Hz ({exc})") from None
        ring = RingBuffer(int(RING_SECONDS * rate), n_open)
        try:
            stream = sd.InputStream(
                device=dev.index,
                channels=n_open,
                samplerate=rate,
                dtype="float32",
                latency="low",
                callback=self._make_callback(ring),
            )
            stream.start()
        except sd.PortAudioError as exc:
            raise LivedreamError(f"{dev.name}: cannot open the input ({exc})") from None
        self.device, self.sample_rate, self.channels = dev, rate, [c - 1 for c in want]
        self.ring, self._stream = ring, stream
        self.latency_s = float(stream.latency)
        self.generation += 1
        self._opened_at = time.monotonic()
        log.info(
            "audio input %d %r (%s): channels %s at %d Hz, latency %.1f ms",
            dev.index,
            dev.name,
            dev.host_api,
            want,
            rate,
            1000 * self.latency_s,
        )

    @staticmethod
    def _make_callback(ring: RingBuffer):
        write = ring.write

        def callback(indata, frames, time_info, status) -> None:  # the audio thread: copy, nothing else
            write(indata)

        return callback

    @property
    def running(self) -> bool:
        return self._stream is not None

    def healthy(self) -> bool:
        """Whether the stream still delivers: active, and a callback came recently."""
        if self._stream is None:
            return False
        try:
            active = bool(self._stream.active)
        except Exception:  # noqa: BLE001 - PortAudio raises its own error types from a dead host API
            return False
        now = time.monotonic()
        last = self.ring.stamp or self._opened_at
        return active and now - last < STALL_S

    def abandon(self) -> None:
        """Forget a stream whose device vanished, without calling into PortAudio (which may block or abort then).

        PortAudio's JACK host API cannot be torn down after its server died (stopping the stream waits forever,
        Pa_Terminate asserts), so its stream is left as it is and sounddevice's exit handler is disarmed.
        """
        import atexit

        import sounddevice as sd

        self._abandoned.append(self._stream)
        self._stream = None
        if self.device is not None and "JACK" in self.device.host_api:
            atexit.unregister(sd._exit_handler)

    @property
    def can_reconnect(self) -> bool:
        """False once a JACK stream has been abandoned: PortAudio cannot re-initialise JACK in this process."""
        return not any(self.device is not None and "JACK" in self.device.host_api for _ in self._abandoned)

    def close(self) -> None:
        """Stop and close a working stream (a lost one is abandoned instead: see abandon())."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        for step in (stream.abort, stream.close):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - a vanished device fails in host-API-specific ways
                log.debug("closing the input stream: %s", exc)

    def reopen(self) -> bool:
        """One reconnection attempt: re-enumerate devices and open again; True when it worked. May block."""
        try:
            rescan()
            self.open()
        except Exception as exc:  # noqa: BLE001 - LivedreamError or PortAudio re-initialisation failing
            log.debug("audio input still unavailable: %s", exc)
            return False
        return True


class FileInput:
    """A file played into a ring buffer as a clock advances: the live Source's stand-in for tests and benchmarks.

    It has LiveInput's reading side (ring, generation, channels, sample_rate, healthy) and advance(t), which
    writes the file's samples up to audio time t, as a sound card would have delivered them by then.
    """

    def __init__(self, path: str, sample_rate: int, block_frames: int = 512):
        from livedream.audio.decode import iter_blocks

        self.sample_rate = sample_rate
        self.channels = [0]
        self.latency_s = 0.0
        self.generation = 1
        self.ring = RingBuffer(int(RING_SECONDS * sample_rate), 1)
        self._blocks = iter_blocks(path, sample_rate=sample_rate, channels=1, block_frames=block_frames)
        self._carry = np.zeros((0, 1), np.float32)

    def advance(self, t: float) -> None:
        """Deliver the samples that end at or before audio time t (then silence once the file is over)."""
        target = int(t * self.sample_rate)
        while self.ring.written < target:
            if not len(self._carry):
                block = next(self._blocks, None)
                self._carry = (
                    block.samples if block is not None else np.zeros((target - self.ring.written, 1), np.float32)
                )
            n = min(len(self._carry), target - self.ring.written)
            self.ring.write(self._carry[:n])
            self._carry = self._carry[n:]

    def healthy(self) -> bool:
        return True

    def close(self) -> None:
        self._blocks.close()

    def reopen(self) -> bool:
        return True
