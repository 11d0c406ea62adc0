"""The soundtrack of an MP4 being written: AAC encoded in step with the frames, from a file or pushed as heard."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from livedream.sources.file import AudioBlock, iter_blocks


@dataclass(frozen=True)
class AudioTrack:
    """The soundtrack to mux: `duration` seconds (None: to the end) of the file at `path` from `start`."""

    path: str
    start: float = 0.0
    duration: float | None = None


@dataclass(frozen=True)
class PushedAudio:
    """A soundtrack handed over as it is heard, through Mp4Writer.write_audio (live recording).

    sample_rate and channels describe the input; the AAC stream gets aac_layout() of them.
    """

    sample_rate: int
    channels: int


def aac_layout(sample_rate: int, channels: int) -> tuple[int, int]:
    """(rate, channels) for the AAC stream: the source rate if AAC has it else 48000; mono stays mono, else stereo."""
    rates = av.codec.Codec("aac", "w").audio_rates or ()
    return (sample_rate if sample_rate in rates else 48000), (1 if channels == 1 else 2)


class AacTrack:
    """One AAC stream of an open container, fed either from a file (pump) or by the caller (push).

    Every encoding step goes through `guarded` (the writer's: FFmpeg errors become one line for the user).
    Nothing is buffered here beyond the decoder's block, the resampler's and the encoder's few frames, so
    memory stays flat for any length.
    """

    def __init__(
        self,
        container: av.container.OutputContainer,
        track: AudioTrack | PushedAudio,
        rate: int,
        channels: int,
        guarded: Callable[[Callable[[], None]], None],
    ) -> None:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono" if channels == 1 else "stereo"
        stream.bit_rate = 128_000 * channels
        self.stream = stream
        self.pushed = isinstance(track, PushedAudio)
        self.samples = 0  # samples encoded so far, at the stream's rate
        self._container = container
        self._guarded = guarded
        self._blocks: Generator[AudioBlock, None, None] | None = None
        if isinstance(track, AudioTrack):
            self._blocks = iter_blocks(track.path, track.start, track.duration, rate, channels)
        self._resampler: av.AudioResampler | None = None  # pushed audio: input rate -> the stream's
        self._pushed_rate = 0

    @property
    def seconds(self) -> float:
        """Seconds of soundtrack encoded so far."""
        return self.samples / self.stream.rate

    def push(self, samples: np.ndarray, sample_rate: int) -> None:
        """Encode samples [n, ch] float32 at sample_rate now: mixed to the stream's channels, resampled to its rate."""
        stream = self.stream
        x = np.asarray(samples, np.float32)
        x = x[:, None] if x.ndim == 1 else x  # [n, ch]
        want = stream.layout.nb_channels
        if x.shape[1] != want:
            x = np.repeat(x.mean(axis=1, keepdims=True), want, axis=1)  # [n, want]
        if not len(x):
            return
        if sample_rate != self._pushed_rate:
            self.flush_pushed()
            self._resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=stream.rate)
            self._pushed_rate = int(sample_rate)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x.T), format="fltp", layout=stream.layout.name)
        frame.sample_rate = self._pushed_rate
        assert self._resampler is not None  # made above at the first rate (sample rates are > 0)
        self._encode(self._resampler.resample(frame))

    def flush_pushed(self) -> None:
        """Drain the resampler of the previous input rate (its last few samples)."""
        if self._resampler is not None:
            self._encode(self._resampler.resample(None))
            self._resampler = None

    def pump(self, until: Fraction | None) -> None:
        """Encode the file's blocks until `until` seconds are encoded (None: all), interleaved with the video."""
        rate = self.stream.rate
        while self._blocks is not None and (until is None or self.samples < until * rate):
            block = next(self._blocks, None)
            if block is None:
                self._blocks = None
                return
            samples = np.ascontiguousarray(block.samples.T)  # [n, ch] -> planar [ch, n]
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=self.stream.layout.name)
            frame.sample_rate = rate
            self._encode([frame])

    def finish(self) -> None:
        """Flush the encoder into the container (inside the writer's own guarded finish)."""
        self._container.mux(self.stream.encode(None))

    def close_source(self) -> None:
        """Close the soundtrack's decoder (an aborted write)."""
        if self._blocks is not None:
            self._blocks.close()
            self._blocks = None

    def _encode(self, frames: Iterable[av.AudioFrame]) -> None:
        """Encode frames at the stream's rate, each stamped with the count of samples before it."""
        stream = self.stream
        for frame in frames:
            frame.pts = self.samples
            frame.time_base = Fraction(1, stream.rate)

            def step(frame: av.AudioFrame = frame) -> None:
                self._container.mux(stream.encode(frame))

            self._guarded(step)
            self.samples += frame.samples
