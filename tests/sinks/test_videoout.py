"""Video out: each sink's conversion on its own, the one-frame slot (newest wins, drops counted), failures that
leave the picture going, and NDI / the virtual camera end to end where their runtimes and devices exist."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song
from livedream.sinks import videoout
from livedream.sinks.videoout import SlotSink, to_camera, to_ndi
from tests.helpers import ROOT
from tests.helpers.markers import loopback_devices, netns_prefix


def pattern(h: int = 6, w: int = 8, alpha: bool = False) -> np.ndarray:
    """Red top-left pixel, green top-right, blue bottom-left, grey elsewhere: order and orientation show."""
    px = np.full((h, w, 4 if alpha else 3), 128, np.uint8)  # [h, w, c]
    px[0, 0, :3], px[0, -1, :3], px[-1, 0, :3] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    if alpha:
        px[..., 3] = 200
    return px


def test_ndi_conversion_is_rgba_top_row_first_and_opaque_without_alpha():
    out = to_ndi(pattern())
    assert out.shape == (6, 8, 4) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert out[0, 0].tolist() == [255, 0, 0, 255] and out[0, -1].tolist() == [0, 255, 0, 255]
    assert out[-1, 0].tolist() == [0, 0, 255, 255] and (out[..., 3] == 255).all()
    kept = to_ndi(pattern(alpha=True))
    assert (kept[..., 3] == 200).all() and kept[0, 0, :3].tolist() == [255, 0, 0]
    with pytest.raises(ValueError):
        to_ndi(np.zeros((4, 4, 2), np.uint8))


def test_camera_conversion_drops_alpha_and_scales_to_the_cameras_size():
    same = to_camera(pattern(alpha=True), (8, 6))
    assert same.shape == (6, 8, 3) and same.flags.c_contiguous and same[0, 0].tolist() == [255, 0, 0]
    big = np.zeros((60, 80, 3), np.uint8)
    big[:30, :40] = (255, 0, 0)  # red top-left quarter
    small = to_camera(big, (40, 20))  # (W, H)
    assert small.shape == (20, 40, 3)
    assert small[2, 2].tolist() == [255, 0, 0] and small[17, 37].tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        to_camera(np.zeros((4, 4, 3), np.float32), (4, 4))


class Gate:
    """An output whose send waits for the test to open it: a receiver slower than the picture."""

    def __init__(self, fail_on: set[int] | None = None):
        self.sent: list[int] = []
        self.opened = 0
        self.allow = threading.Semaphore(0)
        self.fail_on = fail_on or set()

    def send(self, pixels: np.ndarray) -> None:
        self.allow.acquire(timeout=5)
        value = int(pixels[0, 0, 0])
        if value in self.fail_on:
            self.fail_on.discard(value)
            raise OSError("No such device")
        self.sent.append(value)

    def close(self) -> None: ...


class GatedSink(SlotSink):
    label = "test out"

    def __init__(self, gate: Gate):
        self.gate = gate
        super().__init__()

    def open(self, size):
        self.gate.opened += 1
        return self.gate


def frame(value: int) -> np.ndarray:
    return np.full((4, 4, 3), value, np.uint8)


def wait_for(pred, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_slow_output_gets_the_newest_frame_and_the_others_are_counted_as_dropped():
    gate = Gate()
    sink = GatedSink(gate)
    try:
        sink.put(frame(1))
        wait_for(lambda: gate.opened == 1)  # the thread took frame 1 and is stuck sending it
        t0 = time.perf_counter()
        for v in range(2, 12):
            sink.put(frame(v))  # 2..10 are overtaken in the slot; 11 waits
        assert time.perf_counter() - t0 < 0.05  # the loop never waits for the output
        gate.allow.release()
        gate.allow.release()
        wait_for(lambda: len(gate.sent) == 2)
        assert gate.sent == [1, 11] and sink.sent == 2 and sink.dropped == 9
        assert sink.counters == {"sent": 2, "dropped": 9, "failed": None}
    finally:
        for _ in range(4):
            gate.allow.release()
        sink.close()


def test_an_output_that_fails_is_one_log_line_and_is_reopened(monkeypatch, caplog):
    monkeypatch.setattr(videoout, "RETRY_S", 0.05)
    gate = Gate(fail_on={2, 3})
    sink = GatedSink(gate)
    try:
        with caplog.at_level(logging.WARNING, logger="livedream.sinks.videoout"):
            for v in range(1, 40):
                gate.allow.release()
                sink.put(frame(v))
                time.sleep(0.01)
                if sink.sent >= 5:
                    break
            wait_for(lambda: sink.sent >= 3)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "test out: sending failed: No such device; the picture goes on" in errors[0].message
        assert any("working again" in r.message for r in caplog.records)
        assert gate.opened >= 2 and sink.failed is None and gate.sent[0] == 1
    finally:
        for _ in range(4):
            gate.allow.release()
        sink.close()


def test_a_missing_library_is_one_log_line_and_the_sink_stays_idle(caplog):
    class Missing(SlotSink):
        label = "fancy out"
        module = "livedream_no_such_binding"
        extra = "fancy"

    with caplog.at_level(logging.ERROR):
        sink = Missing()
        for _ in range(100):
            sink.write(None)  # never touches the frame: no read-back is spent on an idle output
    assert [r.message for r in caplog.records] == [
        "fancy out is off: livedream_no_such_binding is not installed (pip install 'livedream[fancy]')"
    ]
    assert sink.counters == {"sent": 0, "dropped": 0, "failed": sink.failed} and sink.failed
    sink.close()


def test_video_sinks_from_settings_name_each_output():
    from livedream.sinks.video_settings import VideoOutSettings

    assert videoout.video_sinks(VideoOutSettings()) == []
    sinks = videoout.video_sinks(VideoOutSettings(ndi="stage", virtual_camera=""))
    try:
        assert [s.label for s in sinks] == ["NDI out 'stage'", "virtual camera"]
    finally:
        for s in sinks:
            s.close()


@pytest.mark.gl
def test_the_ndi_sink_takes_rgba_from_the_engines_frame(ctx):
    from livedream.modes.clock import FrameTime
    from livedream.sinks.base import OutputFrame
    from livedream.sinks.ndi import NdiSink

    tex = ctx.texture((8, 6), 4)
    fbo = ctx.framebuffer([tex])
    tex.write(pattern(alpha=True).tobytes())  # the engine's framebuffer holds rows top first
    out = OutputFrame(ctx, fbo, tex, FrameTime(0, 0.0, 0.0))
    sink = NdiSink.__new__(NdiSink)  # only take/convert: no thread, no runtime needed
    got = sink.convert(sink.take(out))
    assert got.shape == (6, 8, 4) and got[0, 0].tolist() == [255, 0, 0, 255] and got[-1, 0].tolist() == [0, 0, 255, 255]
    fbo.release()
    tex.release()


@pytest.mark.ndi
@pytest.mark.gl
@pytest.mark.slow
def test_ndi_reaches_a_receiver_in_the_same_process_and_export_can_be_watched(tmp_path):
    song = tmp_path / "song.wav"
    # Long enough that the receiver connects while the export still sends (NDI drops what nobody receives).
    write_audio(song, demo_song(8.0, 44100, seed=2), 44100)
    out = tmp_path / "watched.mp4"
    cmd = [*netns_prefix(), sys.executable, str(ROOT / "tests" / "helpers" / "ndi_loopback.py"), str(song), str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    direct, export = got["direct"], got["export"]
    assert direct["frames"] >= 1 and direct["shape"] == [48, 80, 4], got
    # NDI's codec is lossy: colours within a few levels, order and orientation exact
    assert np.allclose(direct["left"], [230, 20, 20, 255], atol=24), direct
    assert np.allclose(direct["right"], [20, 20, 230, 255], atol=24), direct
    assert np.allclose(direct["top"], [20, 230, 20, 255], atol=24), direct
    assert export["code"] == 0 and out.is_file(), (export, run.stderr[-2000:])
    # The receiver may connect only after a short render is over (NDI drops what nobody receives yet): when it
    # got frames, they are the picture at the output size.
    if export["frames"]:
        assert export["shape"] == [64, 96, 4] and export["std"] > 5  # the picture, not a blank frame


@pytest.mark.virtualcam
def test_the_virtual_camera_shows_the_picture():
    import av

    from livedream.sinks.virtualcam import VirtualCameraSink

    device = loopback_devices()[0]
    sink = VirtualCameraSink(device)
    picture = np.zeros((64, 96, 3), np.uint8)
    picture[:, :48] = (230, 20, 20)
    try:
        sink.put(picture)
        wait_for(lambda: sink.sent >= 1 or sink.failed is not None)
        assert sink.failed is None, sink.failed
        stop = threading.Event()
        feeder = threading.Thread(
            target=lambda: [sink.put(picture) or time.sleep(0.03) for _ in iter(stop.is_set, True)]
        )
        feeder.start()
        try:
            with av.open(device, format="video4linux2") as cam:
                got = next(cam.decode(video=0)).to_ndarray(format="rgb24")
        finally:
            stop.set()
            feeder.join()
        assert got.shape == (64, 96, 3)
        assert got[32, 10, 0] > 180 and got[32, 10, 2] < 60 and got[32, 80].max() < 40
    finally:
        sink.close()
