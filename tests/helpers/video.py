"""One way to reopen an MP4 in the tests: its frames, rate, size and codecs, and its soundtrack when asked."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


@dataclass
class Video:
    frames: list[np.ndarray]  # each [h, w, 3] uint8, in display order
    fps: Fraction  # the stream's average rate
    size: tuple[int, int]  # (width, height)
    codec: str
    video_s: Fraction | None  # the video stream's duration, from its header
    audio_codec: str | None  # None: no audio stream
    audio_s: float | None
    audio_rate: int | None
    audio: np.ndarray | None  # [n] float, the first channel (read_video(..., audio=True)), else None


def read_video(path: Path | str, audio: bool = False) -> Video:
    """Decode every frame of the file's first video stream (and, with audio=True, its first audio stream)."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
        assert v.average_rate is not None, f"{path}: no frame rate"
        video = Video(
            frames=frames,
            fps=v.average_rate,
            size=(v.width, v.height),
            codec=v.codec_context.name,
            video_s=Fraction(v.duration) * v.time_base if v.duration and v.time_base else None,
            audio_codec=a.codec_context.name if a else None,
            audio_s=float(a.duration * a.time_base) if a and a.duration and a.time_base else None,
            audio_rate=a.rate if a else None,
            audio=None,
        )
    if audio and video.audio_codec:
        with av.open(str(path)) as c:
            parts = [f.to_ndarray()[0] for f in c.decode(c.streams.audio[0])]  # planar float [ch, n]: channel 0
        video.audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return video
