"""The chunk bookkeeping without Ray: the split, and the remux join refusing a chunk it cannot copy."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from livedream.errors import LivedreamError
from livedream.modes.chunks import split
from livedream.sinks.mp4 import Mp4Writer
from tests.helpers.video import read_video


def test_chunks_cover_every_frame_once_and_start_on_whole_batches():
    chunks = split(45, Fraction(15), 0.5, 4)
    assert [c.count for c in chunks] == [8, 8, 8, 8, 8, 5]
    assert [c.first for c in chunks] == [0, 8, 16, 24, 32, 40]
    assert all(c.first % 4 == 0 for c in chunks)
    assert split(3, Fraction(30), 10.0, 4) == split(3, Fraction(30), 0.01, 4)  # one chunk, whatever the length
    assert [c.count for c in split(10, Fraction(30), 0.1, 4)] == [4, 4, 2]
    with pytest.raises(LivedreamError):
        split(45, Fraction(15), 0, 4)


def write_chunk(path, frames, preset="veryfast"):
    with Mp4Writer(path, (32, 32), Fraction(30), crf=0, preset=preset) as w:
        for f in frames:
            w.write(f)


def test_join_copies_packets_and_refuses_a_chunk_encoded_otherwise(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(6)]
    write_chunk(tmp_path / "a.mp4", frames[:4])
    write_chunk(tmp_path / "b.mp4", frames[4:])
    write_chunk(tmp_path / "c.mp4", frames[4:], preset="ultrafast")  # no CABAC: other codec parameters
    whole = tmp_path / "whole.mp4"
    write_chunk(whole, frames)

    joined = tmp_path / "joined.mp4"
    with Mp4Writer(joined, (32, 32), Fraction(30), crf=0, video_from=tmp_path / "a.mp4") as w:
        assert w.append_encoded(tmp_path / "a.mp4") == 4
        assert w.append_encoded(tmp_path / "b.mp4") == 2
    got, want = read_video(joined).frames, read_video(whole).frames
    assert len(got) == 6 and all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))

    bad = tmp_path / "bad.mp4"
    with pytest.raises(LivedreamError, match="other settings"):
        with Mp4Writer(bad, (32, 32), Fraction(30), crf=0, video_from=tmp_path / "a.mp4") as w:
            w.append_encoded(tmp_path / "a.mp4")
            w.append_encoded(tmp_path / "c.mp4")
    assert not bad.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
