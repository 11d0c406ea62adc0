"""Audio capture in a child process that owns PortAudio, writing into a ring buffer in a shared file mapping.

PortAudio cannot be shut down and started again inside one process once its JACK server has died (stopping
the stream waits forever, Pa_Terminate asserts), so the live input keeps PortAudio out of the main process:
a dead input is a child to kill, and reconnecting is starting a new child.

    python -m livedream.sources.capture_child RING_FILE SPEC CHANNELS RATE

opens the input (SPEC: device index or name part, "" for the default; CHANNELS: "1,2" or ""; RATE: Hz or 0
for the device's own), prints one JSON line (the stream's settings, or {"error": ...}), and copies samples
into RING_FILE until its stdin closes or it gets SIGTERM.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import signal
import sys

import numpy as np

from livedream.sources.ring import RingBuffer

log = logging.getLogger(__name__)

_HEADER = 64  # bytes: int64 written, float64 stamp, int64 capacity, int64 channels, then the samples
MAX_RATE = 192_000  # the ring file is sized for this rate, before the child knows the device's


def ring_bytes(seconds: float, max_channels: int) -> int:
    """Size of a ring file holding `seconds` of max_channels float32 samples at up to MAX_RATE."""
    return _HEADER + int(seconds * MAX_RATE) * max_channels * 4


class SharedRing(RingBuffer):
    """A RingBuffer over a file mapping shared by a writing child and a reading parent.

    x86 and ARM processes see each other's stores through the same mapping in order for these aligned
    words, so RingBuffer's write-then-count protocol holds across the two processes.
    """

    def __init__(self, path: str, capacity: int = 0, channels: int = 0):
        """Map path; a writer passes capacity and channels (the header is written), a reader reads them."""
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), 0)
        header = np.frombuffer(self._map, np.int64, 4, 0)  # [written, stamp bits, capacity, channels]
        if capacity:
            if _HEADER + capacity * channels * 4 > len(self._map):
                raise ValueError(f"ring file too small for {capacity} x {channels} samples")
            header[2], header[3] = capacity, channels
        capacity, channels = int(header[2]), int(header[3])
        data = np.frombuffer(self._map, np.float32, capacity * channels, _HEADER).reshape(capacity, channels)
        super().__init__(data, header[0:1], np.frombuffer(self._map, np.float64, 1, 8))


def _report(message: dict) -> None:
    """The child's one line to its parent, on stdout (the protocol, not a log)."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


JACK_CLIENT_NAME = b"livedream"  # what jack_lsp and qjackctl show (PortAudio's own default is "PortAudio")
_jack_name_buffer = None  # PortAudio keeps the pointer, not a copy: the buffer lives as long as the process


def _name_jack_client() -> None:
    """PaJack_SetClientName, which must come before Pa_Initialize, i.e. before sounddevice is imported (it
    initialises PortAudio then). The library is found as sounddevice finds it, so both hold the same copy.
    Where PortAudio has no JACK support (or is not found) this does nothing."""
    global _jack_name_buffer
    import ctypes
    import ctypes.util

    if "sounddevice" in sys.modules:  # too late: PortAudio is initialised; it keeps its default name
        return
    path = ctypes.util.find_library("portaudio")
    try:
        set_name = ctypes.CDLL(path).PaJack_SetClientName if path else None
    except (AttributeError, OSError):  # no JACK host API in this PortAudio
        set_name = None
    if set_name is not None:
        _jack_name_buffer = ctypes.create_string_buffer(JACK_CLIENT_NAME)
        set_name(_jack_name_buffer)


def _open_stream(ring_path: str, spec: str, channels: str, rate: int, ring_seconds: float):
    """Find the device, check it, map the ring, start the stream: (stream, what to report)."""
    _name_jack_client()
    import sounddevice as sd

    from livedream.errors import LivedreamError
    from livedream.sources.devices import find_input

    dev = find_input(spec or None)
    want = [int(c) for c in channels.split(",") if c] or list(range(1, min(2, dev.channels) + 1))
    bad = [c for c in want if not 1 <= c <= dev.channels]
    if bad:
        raise LivedreamError(f"{dev.name} has {dev.channels} input channel(s); cannot use channel(s) {bad}")
    rate = int(rate or dev.sample_rate)
    n_open = max(want)
    try:
        sd.check_input_settings(device=dev.index, channels=n_open, samplerate=rate, dtype="float32")
    except (sd.PortAudioError, ValueError) as exc:
        raise LivedreamError(f"{dev.name}: cannot record {n_open} channel(s) at {rate} Hz ({exc})") from None
    ring = SharedRing(ring_path, int(ring_seconds * min(rate, MAX_RATE)), n_open)
    write = ring.write

    def callback(indata, frames, time_info, status) -> None:  # the audio thread: copy, nothing else
        write(indata)

    try:
        stream = sd.InputStream(
            device=dev.index, channels=n_open, samplerate=rate, dtype="float32", latency="low", callback=callback
        )
        stream.start()
    except sd.PortAudioError as exc:
        raise LivedreamError(f"{dev.name}: cannot open the input ({exc})") from None
    info = {
        "index": dev.index,
        "name": dev.name,
        "host_api": dev.host_api,
        "channels": want,
        "rate": rate,
        "latency": float(stream.latency),
    }
    return stream, info


def child_main(argv: list[str]) -> int:
    """The child: open, report one JSON line, copy until stdin closes (parent gone) or SIGTERM."""
    from livedream.errors import LivedreamError

    # SIGTERM comes when the input is dead: leave at once, PortAudio's teardown could hang or abort then.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    ring_path, spec, channels, rate, seconds = argv[0], argv[1], argv[2], int(argv[3]), float(argv[4])
    try:
        stream, info = _open_stream(ring_path, spec, channels, rate, seconds)
    except (LivedreamError, OSError, ValueError) as exc:
        _report({"error": str(exc)})
        return 1
    _report(info)
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    stream.abort()
    stream.close()
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
