"""Decode any audio file (or a video's audio) into float32 blocks with PyAV, streaming and sample-accurate."""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import av
import numpy as np

from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

# Containers whose header states the length exactly; a shorter stream in one of them is a truncated file.
# (MP3 and ADTS durations are estimates from the bit rate, so they cannot tell.)
_EXACT_LENGTH_FORMATS = ("wav", "flac", "mov", "mp4", "m4a", "aiff", "w64", "caf")
# Containers whose timestamps after a seek are not sample-exact (Ogg pages): decode from the start and count.
_NO_SEEK_FORMATS = ("ogg",)
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds: its first audio stream's rate, channels, length and codec."""

    path: str
    sample_rate: int
    channels: int
    duration_s: float
    codec: str


@dataclass(frozen=True)
class AudioBlock:
    """A run of decoded samples and where it starts."""

    samples: np.ndarray  # [n, channels] float32
    t0: float  # seconds from the `start` the caller asked for
    sample_rate: int


def _open(path: str) -> tuple[av.container.InputContainer, av.audio.stream.AudioStream]:
    """Open `path` and pick its audio stream, turning every way this can fail into one clear line."""
    if not os.path.exists(path):
        raise LivedreamError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LivedreamError(f"{path}: is a directory, not an audio file")
    if os.path.getsize(path) == 0:
        raise LivedreamError(f"{path}: file is empty")
    try:
        container = av.open(path, "r")
    except av.error.FFmpegError as e:
        raise LivedreamError(f"{path}: not a readable audio or video file ({e.strerror or e})") from e
    if not container.streams.audio:
        empty = len(container.streams) == 0
        container.close()
        if empty:
            raise LivedreamError(f"{path}: no streams found (damaged or truncated file?)")
        raise LivedreamError(f"{path}: has no audio stream")
    return container, container.streams.audio[0]


def _stream_origin(stream: av.audio.stream.AudioStream) -> float:
    """Time (s) of the stream's first sample: encoder priming makes this non-zero for MP3."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def probe(path: str | os.PathLike) -> AudioInfo:
    """Check that `path` is decodable audio and describe it.

    Decodes the first packets and the last second, so that garbage, a text file with an audio
    extension or a file cut short fails here with one line rather than halfway through an export.
    """
    path = os.fspath(path)
    container, stream = _open(path)
    try:
        ctx = stream.codec_context
        duration = _duration(container, stream)
        origin = _stream_origin(stream)
        got_frame = False
        try:
            for frame in container.decode(stream):
                got_frame = frame.samples > 0
                if got_frame:
                    break
        except av.error.FFmpegError as e:
            raise LivedreamError(f"{path}: audio data cannot be decoded ({e.strerror or e})") from e
        if not got_frame:
            raise LivedreamError(f"{path}: audio stream holds no decodable samples")
        fmt_names = container.format.name.split(",")
        if "wav" in fmt_names:
            _check_wav_size(path)
        if duration > 1.0 and any(f in _EXACT_LENGTH_FORMATS for f in fmt_names):
            _check_not_truncated(path, container, stream, duration, origin)
        return AudioInfo(
            path=path, sample_rate=int(ctx.sample_rate), channels=int(ctx.channels), duration_s=duration, codec=ctx.name
        )
    finally:
        container.close()


def _check_wav_size(path: str) -> None:
    """FFmpeg takes a WAV's length from the file size; the RIFF data chunk states how long it should be."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return  # RF64/W64 and friends: no 32-bit size to check
    pos = 12
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if cid == b"data":
            if size in (0, 0xFFFFFFFF):  # written by a streaming writer that could not seek back
                return
            have = os.path.getsize(path) - (pos + 8)
            if have < size:
                raise LivedreamError(f"{path}: file is truncated ({have} of {size} audio bytes present)")
            return
        pos += 8 + size + (size & 1)


def _check_not_truncated(path, container, stream, duration: float, origin: float) -> None:
    """Decode the stated last second; a file that ends well before its header says is truncated."""
    target = max(0.0, duration - 1.0)
    end = 0.0
    try:
        container.seek(int((target + origin) / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.pts is not None:
                end = max(end, float(frame.pts * stream.time_base) - origin + frame.samples / frame.sample_rate)
    except av.error.FFmpegError as e:
        raise LivedreamError(f"{path}: audio data is damaged near the end ({e.strerror or e})") from e
    if end < duration - max(0.25, 0.01 * duration):
        raise LivedreamError(f"{path}: file is truncated (audio ends at {end:.2f} s of a stated {duration:.2f} s)")


def iter_blocks(
    path: str | os.PathLike,
    start: float = 0.0,
    duration: float | None = None,
    sample_rate: int | None = None,
    channels: int | None = None,
    block_frames: int = 4096,
) -> Generator[AudioBlock, None, None]:
    """Stream `duration` seconds (or to the end) from `start` as float32 blocks of `block_frames` frames.

    Memory stays flat for any file length. `sample_rate`/`channels` resample and remix
    (channels=1 mixes down to mono). Seeks to the packet before `start`, then trims decoded
    samples so the first sample returned is the one at `start` (to an output sample).
    """
    path = os.fspath(path)
    if start < 0:
        raise LivedreamError(f"start must be >= 0 seconds, got {start}")
    if duration is not None and duration < 0:
        raise LivedreamError(f"duration must be >= 0 seconds, got {duration}")
    if block_frames < 1:
        raise ValueError(f"block_frames must be >= 1, got {block_frames}")
    container, stream = _open(path)
    try:
        yield from _blocks(path, container, stream, start, duration, sample_rate, channels, block_frames)
    finally:
        container.close()


def _blocks(path, container, stream, start, duration, sample_rate, channels, block_frames) -> Iterator[AudioBlock]:
    ctx = stream.codec_context
    out_rate = int(sample_rate or ctx.sample_rate)
    out_ch = int(channels or ctx.channels)
    if out_ch not in _LAYOUTS:
        raise LivedreamError(f"{path}: cannot mix to {out_ch} channels (1 to 8)")
    resampler = av.AudioResampler(format="flt", layout=_LAYOUTS[out_ch], rate=out_rate)
    origin = _stream_origin(stream)
    total = None if duration is None else int(round(duration * out_rate))  # frames to return
    fmt_names = container.format.name.split(",")
    stated = _duration(container, stream)
    if any(f in _EXACT_LENGTH_FORMATS for f in fmt_names) and stated > 0:
        # AAC's end padding is not always trimmed; the container's stated length is the truth.
        left = int(round(max(0.0, stated - start) * out_rate))
        total = left if total is None else min(total, left)
    if total == 0:
        return
    seekable = not any(f in _NO_SEEK_FORMATS for f in fmt_names)
    if start > 0 and seekable:
        container.seek(int((start + origin) / stream.time_base), stream=stream, backward=True)

    pending: list[np.ndarray] = []  # parts of the next block, each [m, out_ch]
    pending_n = 0
    emitted = 0
    skip: int | None = None  # output frames still to drop before `start`; known at the first decoded frame

    def convert(frames) -> Iterator[np.ndarray]:
        for f in frames:
            if f.samples:
                yield f.to_ndarray().reshape(-1, out_ch)  # packed flt: [1, m*ch] -> [m, ch]

    def decoded() -> Iterator[np.ndarray]:
        """Every converted part, the resampler's tail included; fixes `skip` at the first frame."""
        nonlocal skip
        for frame in container.decode(stream):
            if skip is None:
                has_pts = frame.pts is not None and start > 0 and seekable
                t_first = float(frame.pts * stream.time_base) - origin if has_pts else 0.0
                skip = max(0, int(round((start - t_first) * out_rate)))
            frame.pts = None  # let the resampler count samples; trimming is done here
            yield from convert(resampler.resample(frame))
        yield from convert(resampler.resample(None))

    try:
        for part in decoded():
            if skip:
                drop = min(skip, len(part))
                part, skip = part[drop:], skip - drop
            if total is not None:
                part = part[: total - emitted - pending_n]
            if len(part):
                pending.append(part)
                pending_n += len(part)
            while pending_n >= block_frames:
                block, pending, pending_n = _take(pending, block_frames)
                yield AudioBlock(samples=block, t0=emitted / out_rate, sample_rate=out_rate)
                emitted += block_frames
            if total is not None and emitted + pending_n >= total:
                break
    except av.error.FFmpegError as e:
        raise LivedreamError(f"{path}: audio data is damaged ({e.strerror or e})") from e
    while pending_n:
        block, pending, pending_n = _take(pending, min(block_frames, pending_n))
        yield AudioBlock(samples=block, t0=emitted / out_rate, sample_rate=out_rate)
        emitted += len(block)


def _take(parts: list[np.ndarray], n: int) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Split the first `n` frames off a list of [m, ch] arrays: (block [n, ch], rest, frames left)."""
    joined = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
    block = np.ascontiguousarray(joined[:n], dtype=np.float32)
    rest = joined[n:]
    return block, ([rest] if len(rest) else []), len(rest)


def read_audio(
    path: str | os.PathLike,
    start: float = 0.0,
    duration: float | None = None,
    sample_rate: int | None = None,
    channels: int | None = None,
) -> tuple[np.ndarray, int]:
    """The whole (trimmed) stream in memory: (samples [n, ch] float32, sample rate). For short files and tests."""
    blocks = list(iter_blocks(path, start, duration, sample_rate, channels, block_frames=1 << 16))
    if blocks:
        return np.concatenate([b.samples for b in blocks], axis=0), blocks[0].sample_rate
    info = probe(path)
    return np.zeros((0, channels or info.channels), np.float32), int(sample_rate or info.sample_rate)
