"""Mp4Writer: real MP4s written with a real soundtrack, reopened and decoded with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from livedream.errors import LivedreamError
from livedream.sinks.mp4 import Mp4Writer, exact_rate
from livedream.sinks.mp4_audio import AudioTrack, PushedAudio

STEP_AT = 1.0  # the test soundtrack's amplitude steps from 0.2 to 0.6 here (seconds)


def write_tone(path: Path, sample_rate: int, channels: int, seconds: float) -> Path:
    """A 440 Hz WAV whose amplitude steps up at STEP_AT, so that trimming is visible in the output."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    wave = np.where(t < STEP_AT, 0.2, 0.6) * np.sin(2 * np.pi * 440 * t)
    pcm = (wave * 32767).astype(np.int16)  # [n]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=sample_rate)
        stream.layout = "mono" if channels == 1 else "stereo"
        packed = np.repeat(pcm[:, None], channels, axis=1).reshape(1, -1)  # interleaved [1, n * ch]
        frame = av.AudioFrame.from_ndarray(packed, format="s16", layout=stream.layout.name)
        frame.sample_rate = sample_rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    return write_tone(tmp_path_factory.mktemp("audio") / "tone.wav", 44100, 2, 3.0)


def pattern(k: int, width: int, height: int) -> np.ndarray:
    """Frame k: four flat colour blocks, the grey one brightening with k (so that order shows)."""
    frame = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    frame[:h2, :w2] = (200, 40, 40)
    frame[:h2, w2:] = (40, 180, 90)
    frame[h2:, :w2] = (30, 60, 210)
    frame[h2:, w2:] = 20 + 2 * k
    return frame


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples placed by their timestamps, and the rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        parts = []
        for frame in container.decode(stream):
            parts.append((frame.pts, frame.to_ndarray().mean(axis=0)))  # fltp [ch, n] -> [n]
        rate = stream.rate
    start = parts[0][0]
    out = np.zeros(parts[-1][0] - start + len(parts[-1][1]))
    for pts, samples in parts:
        out[pts - start : pts - start + len(samples)] = samples
    return out, rate


@pytest.mark.parametrize("fps", [30, 43, Fraction(30000, 1001)])
def test_video_and_audio_read_back(tmp_path, tone, fps):
    out = tmp_path / "clip.mp4"
    duration = 2.0
    n = round(duration * fps)
    with Mp4Writer(out, (64, 48), fps, audio=AudioTrack(str(tone), start=0.5, duration=duration)) as writer:
        for k in range(n):
            writer.write(pattern(k, 64, 48))
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert (video.width, video.height) == (64, 48)
        assert video.average_rate == fps  # exactly: 43, not 43.07
        assert video.duration * video.time_base == Fraction(n) / Fraction(fps)
        assert audio.codec_context.name == "aac"
        assert (audio.rate, audio.channels) == (44100, 2)
        assert abs(float(audio.duration * audio.time_base) - duration) < 1 / float(fps)
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video)]
    assert len(frames) == n
    for k in (0, n // 2, n - 1):
        expected = pattern(k, 64, 48).astype(int)
        for y, x in ((12, 16), (12, 48), (36, 16), (36, 48)):  # block centres, away from chroma edges
            assert np.abs(frames[k][y, x] - expected[y, x]).max() <= 4, (k, y, x)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_soundtrack_is_the_requested_slice(tmp_path, tone):
    out = tmp_path / "slice.mp4"
    with Mp4Writer(out, (32, 32), 30, audio=AudioTrack(str(tone), start=0.5, duration=1.5)) as writer:
        for k in range(45):
            writer.write(pattern(k, 32, 32))
    samples, rate = decode_audio(out)
    assert abs(len(samples) / rate - 1.5) < 0.03  # AAC frames are 1024 samples: the decoder pads the last
    envelope = np.abs(samples[: int(1.5 * rate)]).reshape(-1, rate // 100).max(axis=1)  # 10 ms peaks
    step = np.argmax(envelope > 0.4) / 100  # the source steps at 1.0 s; we started at 0.5 s
    assert abs(step - (STEP_AT - 0.5)) <= 0.02
    assert 0.15 < envelope[10:40].mean() < 0.25 and 0.5 < envelope[60:140].mean() < 0.7
    spectrum = np.abs(np.fft.rfft(samples[: rate // 2]))
    assert abs(np.argmax(spectrum) * 2 - 440) <= 4  # half a second: bins are 2 Hz apart


def test_mono_stays_mono_and_odd_rates_become_48k(tmp_path):
    source = write_tone(tmp_path / "mono.wav", 37800, 1, 1.0)
    out = tmp_path / "mono.mp4"
    with Mp4Writer(out, (32, 32), 25, audio=AudioTrack(str(source))) as writer:
        for k in range(25):
            writer.write(pattern(k, 32, 32))
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert (audio.rate, audio.channels) == (48000, 1)
        assert abs(float(audio.duration * audio.time_base) - 1.0) < 1 / 25


def test_audio_is_encoded_as_frames_arrive(tmp_path, tone):
    with Mp4Writer(tmp_path / "pace.mp4", (32, 32), 30, audio=AudioTrack(str(tone))) as writer:
        for k in range(30):
            writer.write(pattern(k, 32, 32))
            video_time = (k + 1) / 30
            assert video_time <= writer.audio_seconds < video_time + 0.1  # one decoded block ahead at most
    assert writer.audio_seconds == pytest.approx(3.0, abs=1e-4)  # close() writes the rest of the soundtrack


def test_odd_size_is_padded_by_repeating_the_edge(tmp_path):
    out = tmp_path / "odd.mp4"
    frame = np.zeros((47, 65, 3), np.uint8)
    frame[:, -9:] = (220, 220, 220)  # a bright band at the right, a dark rest
    frame[-9:, :] = (220, 220, 220)
    with Mp4Writer(out, (65, 47), 24) as writer:
        writer.write(frame)
    with av.open(str(out)) as container:
        assert not container.streams.audio
        (decoded,) = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    assert decoded.shape == (48, 66, 3)
    assert np.abs(decoded[20, 65] - 220).max() <= 4 and np.abs(decoded[47, 20] - 220).max() <= 4
    assert decoded[20, 20].max() <= 4


def test_exception_leaves_nothing_and_keeps_the_old_file(tmp_path, tone):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous render")
    with pytest.raises(RuntimeError, match="generator died"):
        with Mp4Writer(out, (32, 32), 30, audio=AudioTrack(str(tone))) as writer:
            for k in range(10):
                writer.write(pattern(k, 32, 32))
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep.mp4.") and ".part" in p.name]
            raise RuntimeError("generator died")
    assert out.read_bytes() == b"previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


def test_interrupt_leaves_nothing(tmp_path):
    out = tmp_path / "ctrl_c.mp4"
    with pytest.raises(KeyboardInterrupt):
        with Mp4Writer(out, (32, 32), 30) as writer:
            writer.write(pattern(0, 32, 32))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_fail_before_any_file(tmp_path, tone):
    with pytest.raises(LivedreamError, match="output directory does not exist"):
        Mp4Writer(tmp_path / "missing" / "out.mp4", (32, 32), 30)
    with pytest.raises(LivedreamError, match="preset"):
        Mp4Writer(tmp_path / "out.mp4", (32, 32), 30, preset="warp")
    with pytest.raises(LivedreamError, match="crf"):
        Mp4Writer(tmp_path / "out.mp4", (32, 32), 30, crf=60)
    with pytest.raises(LivedreamError, match="past its end"):
        Mp4Writer(tmp_path / "out.mp4", (32, 32), 30, audio=AudioTrack(str(tone), start=5.0))
    with pytest.raises(LivedreamError, match="no such file"):
        Mp4Writer(tmp_path / "out.mp4", (32, 32), 30, audio=AudioTrack(str(tmp_path / "nope.wav")))
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_is_refused(tmp_path):
    writer = Mp4Writer(tmp_path / "shape.mp4", (32, 32), 30)
    with pytest.raises(ValueError, match=r"\[32, 32, 3\] uint8"):
        writer.write(np.zeros((32, 33, 3), np.uint8))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_exact_rate():
    assert exact_rate(30) == 30 and exact_rate(43.0) == 43
    assert exact_rate(30000 / 1001) == Fraction(30000, 1001)
    assert exact_rate(Fraction(24000, 1001)) == Fraction(24000, 1001)
    with pytest.raises(LivedreamError):
        exact_rate(0)


@pytest.mark.parametrize(
    ("rate", "channels", "aac"), [(44100, 2, (44100, 2)), (22050, 1, (22050, 1)), (47000, 3, (48000, 2))]
)
def test_pushed_audio_is_encoded_where_it_was_pushed(tmp_path, rate, channels, aac):
    out, fps, seconds, click_at = tmp_path / "live.mp4", 30, 2.0, 1.25
    sound = np.zeros((int(seconds * rate), channels), np.float32)  # [n, ch]
    i = int(click_at * rate)
    sound[i : i + rate // 100] = 0.8  # a 10 ms click
    with Mp4Writer(out, (32, 32), fps, audio=PushedAudio(rate, channels)) as writer:
        block = rate // fps  # pushed in frame-sized pieces, interleaved with the video, as live does
        for k in range(int(seconds * fps)):
            writer.write(pattern(k, 32, 32))
            writer.write_audio(sound[k * block : (k + 1) * block], rate)
        writer.write_audio(sound[int(seconds * fps) * block :], rate)
        assert writer.audio_seconds > seconds - 0.1  # encoded as pushed, not held back to the end
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert (audio.rate, audio.channels) == aac
    got, got_rate = decode_audio(out)
    assert len(got) / got_rate == pytest.approx(seconds, abs=0.05)
    loud = np.flatnonzero(np.abs(got) > 0.3)
    assert len(loud) and abs(loud[0] / got_rate - click_at) < 0.03  # the click is where it was pushed
    assert np.abs(got[: int((click_at - 0.05) * got_rate)]).max() < 0.05  # silence before it stays silence


def test_write_audio_needs_pushed_audio(tmp_path, tone):
    with Mp4Writer(tmp_path / "a.mp4", (32, 32), 30, audio=AudioTrack(str(tone))) as writer:
        with pytest.raises(RuntimeError, match="PushedAudio"):
            writer.write_audio(np.zeros((10, 2), np.float32), 44100)
