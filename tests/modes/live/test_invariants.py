"""The live machinery's invariants, each on its own: ring buffer, inference worker, recorder pacing, stats, tap tempo."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from livedream.control.latent import LatentFrame
from livedream.control_in.live_control import TapTempo
from livedream.models.builtin import BuiltinStyle
from livedream.models.inference import InferenceWorker
from livedream.modes.stats import LiveStats
from livedream.sinks.recorder import LiveRecorder
from livedream.sources.ring import RingBuffer
from tests.helpers.video import read_video


def frame(t: float, z_dim: int = 8, c_dim: int = 0) -> LatentFrame:
    return LatentFrame(t, np.full(z_dim, t, np.float32), np.zeros(c_dim, np.float32))


# -- ring buffer ----------------------------------------------------------------------------------------------


def test_ring_buffer_wraps_and_reports_overruns():
    ring = RingBuffer.in_memory(10, 2)
    ramp = np.arange(7, dtype=np.float32).repeat(2).reshape(7, 2)  # [7, 2]
    ring.write(ramp)
    got, pos, lost = ring.read_from(0)
    np.testing.assert_array_equal(got, ramp)
    assert (pos, lost) == (7, 0)
    ring.write(ramp + 100)  # wraps: 7 + 7 > 10
    got, pos, lost = ring.read_from(pos)
    np.testing.assert_array_equal(got, ramp + 100)
    assert (pos, lost) == (14, 0)
    for k in range(3):  # 24 frames since the reader's position, more than the capacity: an overrun
        ring.write(np.full((8, 2), k, np.float32))
    got, pos, lost = ring.read_from(pos)
    assert lost == 14 and pos == 38  # the newest `capacity` frames survive
    np.testing.assert_array_equal(got[:, 0], [1, 1, 2, 2, 2, 2, 2, 2, 2, 2])
    assert ring.stamp > 0


# -- inference worker -----------------------------------------------------------------------------------------


class SlowStyle(BuiltinStyle):
    """The built-in style, held for `delay` seconds per call, so requests pile up behind it."""

    def __init__(self, delay: float, **kw):
        super().__init__(**kw)
        self.delay, self.calls = delay, 0

    def __call__(self, z, c, truncation=1.0):
        self.calls += 1
        time.sleep(self.delay)
        return super().__call__(z, c, truncation)


def test_inference_worker_newest_request_wins_and_counts_drops():
    gen = SlowStyle(0.2, resolution=32, seed=0)
    worker = InferenceWorker(gen).start()
    try:
        worker.submit(1, frame(0.1, gen.z_dim, gen.c_dim))
        time.sleep(0.05)  # 1 is being generated
        for seq in range(2, 6):  # 2..4 are overtaken while waiting; 5 is the newest
            worker.submit(seq, frame(seq / 10, gen.z_dim, gen.c_dim))
        done = worker.wait_for(5, timeout=5.0)
    finally:
        worker.stop()
    assert done is not None and done.seq == 5 and done.frame.time == 0.5
    assert worker.dropped == 3 and gen.calls == 2
    assert done.image.shape == (32, 32, 3) and done.gen_ms >= 200


class FailingStyle(BuiltinStyle):
    """Fails on every call after the first: a generator that breaks mid-show."""

    def __init__(self, error: type[BaseException], **kw):
        super().__init__(**kw)
        self.error, self.calls = error, 0

    def __call__(self, z, c, truncation=1.0):
        self.calls += 1
        if self.calls > 1:
            raise self.error("out of memory" if self.error is torch.cuda.OutOfMemoryError else "broken")
        return super().__call__(z, c, truncation)


def test_a_raising_generator_keeps_the_last_good_frame(caplog):
    gen = FailingStyle(RuntimeError, resolution=32, seed=0)
    worker = InferenceWorker(gen).start()
    try:
        good = worker.wait_for(_submit(worker, 1, gen))
        assert good is not None
        for seq in (2, 3):
            assert worker.wait_for(_submit(worker, seq, gen)) is good
    finally:
        worker.stop()
    assert worker.errors == 2 and worker.finished == 3
    assert sum("generator failed" in r.message for r in caplog.records) == 1  # logged once, not per frame


def test_out_of_memory_lowers_the_resolution():
    gen = FailingStyle(torch.cuda.OutOfMemoryError, resolution=64, seed=0)
    asked = []

    def shrink(current):
        asked.append(current.resolution)
        return BuiltinStyle(resolution=current.resolution // 2, seed=0)

    worker = InferenceWorker(gen, shrink).start()
    try:
        first = worker.wait_for(_submit(worker, 1, gen))
        worker.wait_for(_submit(worker, 2, gen))  # out of memory: the worker moves to 32 px
        after = worker.wait_for(_submit(worker, 3, gen))
    finally:
        worker.stop()
    assert first.image.shape == (64, 64, 3) and after.image.shape == (32, 32, 3)
    assert asked == [64] and worker.gen.resolution == 32


def _submit(worker: InferenceWorker, seq: int, gen) -> int:
    worker.submit(seq, frame(seq / 30, gen.z_dim, gen.c_dim))
    return seq


# -- recorder pacing --------------------------------------------------------------------------------------------


def test_recorder_writes_steady_frames_from_the_newest_picture(tmp_path):
    out = tmp_path / "rec.mp4"
    start = time.monotonic()
    rec = LiveRecorder(out, (64, 48), 48000, 1, start, fps=30)
    shown = []
    while time.monotonic() - start < 1.0:  # a 90 Hz display with a picture that changes every frame
        due = rec.due(time.monotonic())
        if due:
            level = (len(shown) * 7) % 256
            shown.append(level)
            rec.add_frame(np.full((48, 64, 3), level, np.uint8), due)
        rec.add_audio(np.zeros((533, 1), np.float32), 48000)
        time.sleep(1 / 90)
    rec.close()
    frames = read_video(out).frames
    assert 29 <= len(frames) <= 32  # 30 frames a second of wall time, whatever the display's rate
    levels = [int(np.median(f)) for f in frames]
    repeats = sum(a == b for a, b in zip(levels, levels[1:], strict=False))
    assert repeats <= 3, levels  # each frame shows a newer picture: the recording does not freeze


# -- stats ------------------------------------------------------------------------------------------------------


def test_stats_lines_count_frames_and_onsets(tmp_path):
    path = tmp_path / "stats.jsonl"
    stats = LiveStats(path, start=100.0, period_s=1.0)
    for k in range(30):
        stats.frame(latency_ms=40.0, gen_ms=5.0 if k % 2 else None, at=100.0 + k / 30)
    assert not stats.due(100.5) and stats.due(101.0)
    stats.flush(101.0, rms=0.25, onsets_total=3, dropped_total=2, params={"pulse_react": 0.5}, state={"preset": "x"})
    stats.frame(at=101.2)
    stats.flush(102.0, rms=0.0, onsets_total=5, dropped_total=2, params={"pulse_react": 0.7})
    stats.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["fps"] == 30.0 and first["frames"] == 30 and first["onsets"] == 3 and first["gen_ms"] == 5.0
    assert first["rms"] == 0.25 and first["latency_ms"] == 40.0 and first["preset"] == "x"
    assert second["onsets"] == 2 and second["frames"] == 31 and second["params"] == {"pulse_react": 0.7}
    assert second["max_frame_ms"] == pytest.approx(1000 * (101.2 - (100.0 + 29 / 30)), abs=0.2)


# -- tap tempo --------------------------------------------------------------------------------------------------


def test_tap_tempo_averages_taps_and_restarts_after_a_pause():
    tap = TapTempo()
    beats = [tap.tap(t) for t in (10.0, 10.5, 11.0, 11.5)]
    assert beats[0] is None and beats[-1] == pytest.approx(0.5) and tap.bpm == 120.0
    assert tap.tap(11.55) is None  # a double hit, not a tempo
    assert tap.tap(20.0) is None  # after a long pause: a new count
    assert tap.tap(20.4) == pytest.approx(0.4) and tap.bpm == 150.0


def test_every_request_is_either_generated_or_counted_as_dropped():
    gen = SlowStyle(0.0, resolution=16, seed=0)
    worker = InferenceWorker(gen).start()
    try:
        seq = 0
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:  # a flood from the main thread while the worker generates
            seq += 1
            worker.submit(seq, frame(seq / 1000, gen.z_dim, gen.c_dim))
        last = worker.wait_for(seq, timeout=5.0)
    finally:
        worker.stop()
    assert last is not None and last.seq == seq
    assert worker.dropped > 0 and gen.calls + worker.dropped == seq
