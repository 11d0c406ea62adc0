"""Encode frames and the song into an MP4 (H.264 + AAC) with PyAV, streaming, renamed into place only when complete."""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from livedream.errors import LivedreamError
from livedream.modes.settings import X264_PRESETS
from livedream.sinks.mp4_audio import AacTrack, AudioTrack, PushedAudio, aac_layout
from livedream.sources.file import probe
from livedream.util.atomic import temporary_sibling

log = logging.getLogger(__name__)


# BT.709 matrix, limited range: what players assume for HD, tagged explicitly so that none has to guess.
_COLOR_TAG = 1  # AVCOL_SPC_BT709 = AVCOL_PRI_BT709 = AVCOL_TRC_BT709
_MPEG_RANGE = 1  # AVCOL_RANGE_MPEG


def exact_rate(fps: float | Fraction) -> Fraction:
    """fps as an exact fraction: 30 -> 30, 29.97 -> 2997/100, 30000/1001 as a float -> 30000/1001."""
    rate = fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)
    if rate <= 0:
        raise LivedreamError(f"fps must be positive, got {fps}")
    return rate


class Mp4Writer:
    """An MP4 being written: frames in with write(), out as a complete file at `path` on close().

    The file is built under util.atomic's hidden temporary name beside `path` and renamed on success, so `path`
    only ever holds a finished video; abort() (or an exception inside `with`) removes the partial file.
    The soundtrack is decoded and encoded as the frames arrive, so memory stays flat for any length.
    Odd sizes are padded to even ones (libx264's 4:2:0 needs even sides) by repeating the last
    row/column: the file is then one pixel wider/taller than `size`.

    Chunks (a distributed export): each chunk is a video-only writer (audio=None), so a new encoder and
    a closed GOP that starts on an IDR frame. A writer opened with `video_from=<a chunk>` encodes no
    video itself: append_encoded() remuxes each chunk's packets after the frames already there, and the
    soundtrack is encoded once, interleaved, exactly as a single-process export does.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        size: tuple[int, int],
        fps: float | Fraction,
        audio: AudioTrack | PushedAudio | None = None,
        crf: int = 18,
        preset: str = "veryfast",
        video_from: str | os.PathLike | None = None,
    ) -> None:
        self.path = Path(path)
        self.size = (int(size[0]), int(size[1]))
        self.fps = exact_rate(fps)
        _check_args(self.path, self.size, crf, preset)
        self.frames_written = 0
        self._done = False
        self._audio: AacTrack | None = None
        self._copy_from = None if video_from is None else Path(video_from)
        self._extradata = b""  # copy mode: the codec parameters every appended chunk must share
        audio_plan = None
        if isinstance(audio, PushedAudio):
            audio_plan = aac_layout(int(audio.sample_rate), int(audio.channels))
        elif audio is not None:  # probe first: a bad soundtrack fails before any file exists
            info = probe(audio.path)
            if audio.start >= info.duration_s > 0:
                raise LivedreamError(f"{audio.path}: start {audio.start:g} s is past its end ({info.duration_s:g} s)")
            audio_plan = aac_layout(info.sample_rate, info.channels)
        # Hidden, beside the target (so the rename is atomic), created with the user's usual permissions.
        self._tmp = temporary_sibling(self.path, ".mp4")
        try:
            self._guarded(lambda: self._open(crf, preset, audio, audio_plan))
        except BaseException:
            self.abort()
            raise
        log.info("writing %s: %dx%d at %s fps%s", self.path, *self.size, self.fps, " with audio" if audio else "")

    def _open(
        self, crf: int, preset: str, audio: AudioTrack | PushedAudio | None, audio_plan: tuple[int, int] | None
    ) -> None:
        self._container = av.open(str(self._tmp), "w", format="mp4", container_options={"movflags": "+faststart"})
        self._video = self._add_video(crf, preset) if self._copy_from is None else self._copied_video()
        if audio is not None:
            assert audio_plan is not None  # __init__ plans the layout of every soundtrack
            self._audio = AacTrack(self._container, audio, *audio_plan, guarded=self._guarded)

    def _add_video(self, crf: int, preset: str) -> av.video.stream.VideoStream:
        stream = self._container.add_stream("libx264", rate=self.fps)
        stream.width = self.size[0] + self.size[0] % 2  # pad odd sizes to even (see the class docstring)
        stream.height = self.size[1] + self.size[1] % 2
        stream.pix_fmt = "yuv420p"
        stream.time_base = 1 / self.fps  # one tick per frame (PyAV derives the same from rate): exact rates
        stream.options = {"crf": str(crf), "preset": preset}
        ctx = stream.codec_context
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = _COLOR_TAG
        ctx.color_range = _MPEG_RANGE
        return stream

    def _copied_video(self) -> av.video.stream.VideoStream:
        """Copy mode: a video stream with the codec parameters of an encoded file (the first chunk)."""
        with av.open(str(self._copy_from)) as src:
            template = src.streams.video[0]
            if (template.width, template.height) != (self.size[0] + self.size[0] % 2, self.size[1] + self.size[1] % 2):
                raise LivedreamError(
                    f"{self._copy_from}: {template.width}x{template.height}, not {self.size[0]}x{self.size[1]}"
                )
            self._extradata = bytes(template.codec_context.extradata or b"")
            return self._container.add_stream_from_template(template)

    def append_encoded(self, path: str | os.PathLike) -> int:
        """Copy mode: the video packets of an encoded chunk after the frames written so far; returns its frames.

        No re-encoding: the chunk must start on a keyframe and share the codec parameters (same size and
        encoder settings), else it is refused. Timestamps move by the frames already written, so decode
        order stays increasing across the join (a chunk's first B-frame delay sits after the last chunk's).
        """
        if self._done or self._copy_from is None:
            raise RuntimeError("append_encoded needs an open writer made with video_from=...")
        path = Path(path)
        with av.open(str(path)) as src:
            stream = src.streams.video[0]
            if bytes(stream.codec_context.extradata or b"") != self._extradata:
                raise LivedreamError(f"{path}: encoded with other settings than the first chunk; cannot join it")
            assert stream.time_base is not None  # a demuxed file's stream always has one
            offset = Fraction(self.frames_written) / self.fps / stream.time_base
            if offset.denominator != 1:
                raise LivedreamError(f"{path}: its time base {stream.time_base} does not hold the frame rate")
            count = 0
            for packet in src.demux(stream):
                if packet.pts is None:  # the demuxer's empty end-of-stream packet
                    continue
                if count == 0 and not packet.is_keyframe:
                    raise LivedreamError(f"{path}: does not start on a keyframe; cannot join it")
                assert packet.dts is not None  # set whenever pts is, in an MP4
                packet.pts += int(offset)
                packet.dts += int(offset)
                packet.stream = self._video
                self._guarded(lambda packet=packet: self._container.mux(packet))
                count += 1
                self._pump_audio((self.frames_written + count) / self.fps)
        self.frames_written += count
        return count

    def write_audio(self, samples: np.ndarray, sample_rate: int) -> None:
        """Append samples [n, ch] float32 at sample_rate to a PushedAudio soundtrack, encoded at once.

        Any channel count (mixed to the stream's mono or stereo) and any rate (resampled; a change of
        rate is allowed between calls). Nothing is kept but the resampler's and encoder's few frames.
        """
        if self._done:
            raise RuntimeError("Mp4Writer is closed")
        if self._audio is None or not self._audio.pushed:
            raise RuntimeError("write_audio needs a writer opened with audio=PushedAudio(...)")
        self._audio.push(samples, sample_rate)

    @property
    def audio_seconds(self) -> float:
        """Seconds of soundtrack encoded so far: it keeps pace with the frames written."""
        return self._audio.seconds if self._audio is not None else 0.0

    def write(self, frame: np.ndarray) -> None:
        """Encode one frame [h, w, 3] uint8 (h, w = size) and the soundtrack up to its end time."""
        if self._done or self._copy_from is not None:
            raise RuntimeError("Mp4Writer is closed" if self._done else "a copy-mode Mp4Writer takes append_encoded()")
        width, height = self.size
        if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"expected a [{height}, {width}, 3] uint8 frame, got {frame.shape} {frame.dtype}")
        if width % 2 or height % 2:
            frame = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        video = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        self._encode(video.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG"))

    def write_fitted(self, image: np.ndarray, rect: tuple[int, int, int, int]) -> None:
        """Encode a small picture [sh, sw, 3] uint8 scaled into `rect` (x0, y0, w, h) of a black frame.

        The scaling and the RGB -> YUV conversion are one pass of FFmpeg's converter (bicubic), at the
        output size only once: for large outputs this is far cheaper than fitting on the GPU and reading
        back every output pixel. rect may overhang the frame (fill: cropped) or leave bars (contain).
        """
        if self._done:
            raise RuntimeError("Mp4Writer is closed")
        from livedream.sinks.yuv import fit_yuv420

        self._encode(fit_yuv420(image, rect, (self._video.width, self._video.height)))

    def _encode(self, video: av.VideoFrame) -> None:
        video.pts = self.frames_written
        self._guarded(lambda: self._container.mux(self._video.encode(video)))
        self.frames_written += 1
        self._pump_audio(self.frames_written / self.fps)

    def close(self) -> None:
        """Encode the rest of the soundtrack, flush both encoders, finish the file and rename it into place."""
        if self._done:
            return
        try:
            self._pump_audio(None)
            if self._audio is not None:
                self._audio.flush_pushed()
            self._guarded(self._finish)
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self._done = True
        log.info("wrote %s: %d frames", self.path, self.frames_written)

    def abort(self) -> None:
        """Stop and delete the partial file; whatever was at `path` before is left as it was."""
        if self._done:
            return
        self._done = True
        if self._audio is not None:
            self._audio.close_source()
        container = getattr(self, "_container", None)
        if container is not None:
            try:
                container.close()
            except (av.error.FFmpegError, OSError) as exc:  # a broken half-file: only removal matters now
                log.debug("closing the aborted %s: %s", self._tmp, exc)
        self._tmp.unlink(missing_ok=True)
        log.info("aborted %s; removed the partial file", self.path)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # KeyboardInterrupt included: never leave a half-written video
            self.abort()

    def _finish(self) -> None:
        if self._audio is not None:
            self._audio.finish()
        if self._copy_from is None:
            self._container.mux(self._video.encode(None))
        self._container.close()

    def _pump_audio(self, until: Fraction | None) -> None:
        """Encode the soundtrack file up to `until` seconds (None: all): the audio keeps pace with the frames."""
        if self._audio is not None:
            self._audio.pump(until)

    def _guarded(self, step) -> None:
        """Run an encoding step; FFmpeg's failures (disk full, bad options) become one line for the user."""
        try:
            step()
        except av.error.FFmpegError as exc:
            raise LivedreamError(f"writing {self.path} failed: {exc}") from exc


def _check_args(path: Path, size: tuple[int, int], crf: int, preset: str) -> None:
    """Every argument error, raised before a file is created or any work is done."""
    if not path.parent.is_dir():
        raise LivedreamError(f"output directory does not exist: {path.parent}")
    if path.is_dir():
        raise LivedreamError(f"output path is a directory: {path}")
    if min(size) < 1:
        raise LivedreamError(f"video size must be positive, got {size[0]}x{size[1]}")
    if not 0 <= crf <= 51:
        raise LivedreamError(f"crf must be in 0..51 (lower is better quality), got {crf}")
    if preset not in X264_PRESETS:
        raise LivedreamError(f"unknown x264 preset {preset!r}; choose one of {', '.join(X264_PRESETS)}")
