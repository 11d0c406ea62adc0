"""Write float samples to an audio file whose container and codec follow the extension."""

from __future__ import annotations

import logging
import os

import av
import numpy as np

from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output

log = logging.getLogger(__name__)

# extension -> (container format, codec candidates in order of preference)
_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    ".wav": ("wav", ("pcm_s16le",)),
    ".flac": ("flac", ("flac",)),
    ".mp3": ("mp3", ("libmp3lame", "mp3")),
    ".ogg": ("ogg", ("vorbis", "libopus")),
    ".m4a": ("ipod", ("aac",)),
    ".mp4": ("mp4", ("aac",)),
}
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _pick_codec(ext: str, sample_rate: int, channels: int) -> tuple[str, str]:
    """The first codec for this extension that can take the rate and channel count: (format, codec)."""
    fmt, candidates = _FORMATS[ext]
    for name in candidates:
        try:
            codec = av.codec.Codec(name, "w")
        except (av.error.FFmpegError, ValueError):  # encoder not built into this FFmpeg
            continue
        if codec.audio_rates and sample_rate not in codec.audio_rates:
            continue
        if name == "vorbis" and channels > 2:  # FFmpeg's own vorbis encoder takes 1 (upmixed) or 2
            continue
        if name in ("libmp3lame", "mp3") and channels > 2:
            continue
        return fmt, name
    raise LivedreamError(f"cannot write {ext} audio at {sample_rate} Hz with {channels} channels; try .wav or .flac")


def write_audio(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> None:
    """Encode `samples` ([n, ch] or [n], float in -1..1) to `path`, atomically.

    The file is written under a temporary name next to the target and renamed at the end, so a
    failure never leaves a half-written file where the caller expects a good one.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise LivedreamError(f"{path}: unknown audio extension {ext!r}; use one of {', '.join(_FORMATS)}")
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]  # [n, 1]
    if x.ndim != 2 or x.shape[1] < 1 or x.shape[1] > 8:
        raise LivedreamError(f"{path}: samples must be [n] or [n, channels<=8], got shape {x.shape}")
    sample_rate = int(sample_rate)
    n, ch = x.shape
    fmt, codec_name = _pick_codec(ext, sample_rate, ch)
    if codec_name == "vorbis" and ch == 1:
        x = np.repeat(x, 2, axis=1)  # FFmpeg's vorbis encoder only takes stereo; a mono mix-down gets it back
        ch = 2
    x = np.ascontiguousarray(np.clip(x, -1.0, 1.0))  # [n, ch]

    try:
        with atomic_output(path, suffix=ext) as tmp, av.open(str(tmp), "w", format=fmt) as out:
            stream = out.add_stream(codec_name, rate=sample_rate)
            assert isinstance(stream, av.AudioStream)  # _pick_codec names audio codecs only
            stream.layout = _LAYOUTS[ch]
            if codec_name == "vorbis":
                stream.codec_context.options = {"strict": "experimental"}
            if codec_name == "libmp3lame":
                stream.codec_context.bit_rate = 192_000 if ch > 1 else 128_000
            block = 8192
            for i in range(0, n, block):
                part = x[i : i + block]  # [m, ch]
                frame = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="flt", layout=_LAYOUTS[ch])
                frame.sample_rate = sample_rate
                frame.pts = i
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    except av.error.FFmpegError as e:
        raise LivedreamError(f"{path}: could not encode audio ({e})") from e
    log.debug("wrote %s: %d frames, %d Hz, %d ch, codec %s", path, n, sample_rate, ch, codec_name)
