"""The Source plug point: where samples come from. A file, a sound card, or a file played at wall speed (tests)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from livedream.sources.ring import RingBuffer


@runtime_checkable
class AudioSource(Protocol):
    """A live source: samples land in `ring` ([n, stream channels] float32) at `sample_rate`.

    `channels` are the 0-based stream channels the mix uses (the rest are there for input-channel stems);
    `latency_s` is the device's reported input latency. `healthy()` turns False when the device is gone;
    `reopen()` tries once to get it back (a new `generation` and ring start from zero). A file for export
    is read whole by sources.file.iter_blocks instead: export never waits for samples.
    """

    sample_rate: int
    channels: list[int]
    stem_channels: dict[str, list[int]]  # role -> 0-based stream channels of that stem's inputs
    stream_channels: int
    latency_s: float
    generation: int

    @property
    def ring(self) -> RingBuffer: ...

    def healthy(self) -> bool: ...

    def abandon(self) -> None: ...

    def reopen(self) -> bool: ...

    def close(self) -> None: ...
