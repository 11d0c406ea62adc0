"""Decoding real files written by write_audio: formats, rates, channels, trimming, and bad inputs."""

from __future__ import annotations

import os

import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.errors import LivedreamError
from livedream.sources.file import iter_blocks, probe, read_audio


def clicks(sr: int, ch: int, seconds: float = 2.0, at=(0.25, 1.0, 1.5)) -> np.ndarray:
    """[n, ch]: quiet noise with short loud clicks at known times, each channel a little different."""
    rng = np.random.default_rng(1)
    x = 0.01 * rng.standard_normal((int(seconds * sr), ch)).astype(np.float32)
    for t in at:
        i = int(round(t * sr))
        x[i : i + max(4, sr // 2000)] = 0.8
    return x * np.linspace(1.0, 0.6, ch, dtype=np.float32)[None, :]


def first_click(y: np.ndarray) -> int:
    return int(np.argmax(np.abs(y[:, 0]) > 0.3))


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "ogg", "m4a", "mp4"])
def test_formats_roundtrip(tmp_path, ext):
    sr = 44100
    x = clicks(sr, 2)
    p = tmp_path / f"a.{ext}"
    write_audio(p, x, sr)
    info = probe(p)
    assert info.sample_rate == sr and info.channels == 2 and abs(info.duration_s - 2.0) < 0.05
    y, r = read_audio(p)
    assert r == sr and y.dtype == np.float32 and y.shape[1] == 2
    assert abs(len(y) - len(x)) <= 1152  # at most an encoder frame of padding
    assert abs(first_click(y) - int(0.25 * sr)) <= 2  # encoder priming is compensated
    # trimmed and mixed to mono: the 1.0 s click lands 0.3 s into a read starting at 0.7 s
    m, _ = read_audio(p, start=0.7, duration=0.5, channels=1)
    assert m.shape == (int(0.5 * sr), 1)
    assert abs(first_click(m) - int(0.3 * sr)) <= 2


@pytest.mark.parametrize("sr", [8000, 22050, 48000, 96000, 192000])
@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_sample_rates(tmp_path, sr, ext):
    x = clicks(sr, 1, seconds=1.2, at=(0.5,))
    p = tmp_path / f"r.{ext}"
    write_audio(p, x, sr)
    assert probe(p).sample_rate == sr
    y, r = read_audio(p)
    assert r == sr and len(y) == len(x) and first_click(y) == int(round(0.5 * sr))
    z, r2 = read_audio(p, start=0.2, sample_rate=22050, channels=1)  # resampled: click 0.3 s in
    assert r2 == 22050 and abs(len(z) - round(1.0 * 22050)) <= 2
    assert abs(first_click(z) - int(0.3 * 22050)) <= 3


def test_six_channels_and_downmix(tmp_path):
    sr = 48000
    x = clicks(sr, 6, seconds=1.0, at=(0.5,))
    for ext in ("wav", "flac", "m4a"):
        p = tmp_path / f"s.{ext}"
        write_audio(p, x, sr)
        assert probe(p).channels == 6
        y, _ = read_audio(p)
        assert y.shape[1] == 6
        m, _ = read_audio(p, channels=1)
        s, _ = read_audio(p, channels=2)
        assert m.shape[1] == 1 and s.shape[1] == 2
        assert abs(first_click(m) - int(0.5 * sr)) <= 2


def test_blocks_are_contiguous_and_sample_exact(tmp_path):
    sr = 16000
    x = clicks(sr, 2, seconds=3.0)
    p = tmp_path / "b.flac"
    write_audio(p, x, sr)
    blocks = list(iter_blocks(p, start=0.5, duration=2.0, block_frames=1000))
    assert [b.t0 for b in blocks] == [i * 1000 / sr for i in range(len(blocks))]
    assert all(len(b.samples) == 1000 for b in blocks[:-1])
    y = np.concatenate([b.samples for b in blocks])
    ref = np.round(x[int(0.5 * sr) : int(2.5 * sr)] * 32767) / 32767  # 16-bit FLAC
    assert y.shape == ref.shape and np.max(np.abs(y - ref)) < 1e-4
    assert list(iter_blocks(p, start=10.0)) == []  # past the end: nothing
    assert read_audio(p, duration=0.0)[0].shape == (0, 2)


def test_mp3_seek_accuracy(tmp_path):
    sr = 44100
    x = clicks(sr, 1, seconds=4.0, at=(0.1, 2.5, 3.2))
    p = tmp_path / "s.mp3"
    write_audio(p, x, sr)
    for start in (1.0, 2.0, 2.45, 3.0):
        y, _ = read_audio(p, start=start)
        nxt = min(t for t in (2.5, 3.2) if t > start)
        assert abs(first_click(y) - round((nxt - start) * sr)) <= 2, start


def test_bad_inputs(tmp_path):
    good = tmp_path / "good.wav"
    write_audio(good, clicks(8000, 1, seconds=3.0), 8000)
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "text.mp3").write_text("this is not audio at all\n" * 50)
    (tmp_path / "junk.flac").write_bytes(os.urandom(4000))
    data = good.read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 3])
    (tmp_path / "header.wav").write_bytes(data[:30])
    m4a = tmp_path / "good.m4a"
    write_audio(m4a, clicks(44100, 2, seconds=3.0), 44100)
    (tmp_path / "cut.m4a").write_bytes(m4a.read_bytes()[: m4a.stat().st_size // 2])
    bad = ["missing.wav", "", "empty.mp3", "text.mp3", "junk.flac", "cut.wav", "header.wav", "cut.m4a"]
    for name in bad:
        path = tmp_path / name if name else tmp_path  # "" -> the directory itself
        with pytest.raises(LivedreamError) as e:
            probe(path)
        msg = str(e.value)
        assert "\n" not in msg and str(path) in msg, msg
    assert probe(good).duration_s == pytest.approx(3.0)


def test_video_without_audio_has_no_audio_stream(tmp_path):
    import av

    p = tmp_path / "v.mp4"
    with av.open(str(p), "w") as out:
        s = out.add_stream("mpeg4", rate=10)
        s.width = s.height = 32
        for i in range(5):
            f = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 40, np.uint8), format="rgb24")
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode(None):
            out.mux(pkt)
    with pytest.raises(LivedreamError, match="no audio stream"):
        probe(p)


def test_negative_start_is_an_error(tmp_path):
    p = tmp_path / "a.wav"
    write_audio(p, clicks(8000, 1, seconds=0.5), 8000)
    with pytest.raises(LivedreamError):
        read_audio(p, start=-1.0)
