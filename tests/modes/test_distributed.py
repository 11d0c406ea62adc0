"""Chunked export on a local Ray with 2 CPU workers (and in this process): equal to export(), resumable, refusing.

Lossless H.264 (--crf 0) makes the decoded frames of a chunked render comparable byte for byte with a
single-process export(). One Ray session serves the whole module (Ray takes seconds to start); it is a
local one whose processes listen on 127.0.0.1 only (distributed.LOCAL_RAY_ENV).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song
from livedream.cli.main import EXIT_ERROR, main
from livedream.errors import LivedreamError
from livedream.modes.chunked import export_chunked
from livedream.modes.chunks import WorkFolder
from livedream.modes.export import export
from livedream.modes.settings import ChunkSettings, ExportSettings
from livedream.params import defaults
from livedream.render.cpu_effects import EffectsGenerator
from tests.helpers import ROOT
from tests.helpers.video import read_video

pytestmark = [
    pytest.mark.gl,
    pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray (pip install 'livedream[ray]')"),
]

SECONDS, FPS = 3.0, 15
CHUNK_S = 0.5  # 8 frames (two batches of 4): 6 chunks
ARGS = ["--fps", FPS, "--size", "128x128", "--model-resolution", "64", "--device", "cpu", "--crf", "0", "--seed", 3]
ARGS += ["--chunk-seconds", CHUNK_S, "-q"]


@pytest.fixture(scope="module")
def session():
    """A local Ray with 2 one-core CPU workers, shared by every test here; its GCS address for subprocesses."""
    from livedream.modes.distributed import LOCAL_RAY_ENV

    env = {**LOCAL_RAY_ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # read by Ray at import; inherited by its processes (this checkout's livedream)
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the effects below, sent to workers
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
    for k, v in saved.items():
        os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "demo.wav"
    write_audio(path, demo_song(SECONDS, 44100, seed=1), 44100)
    return path


@pytest.fixture(scope="module")
def reference(song, tmp_path_factory):
    """The single-process export of the CLI arguments above."""
    out = tmp_path_factory.mktemp("ref") / "ref.mp4"
    assert cli([song, "-o", out, *ARGS]) == 0
    return read(out)


def cli(args: list) -> int:
    return main(["export", *(str(a) for a in args)])


def read(path: Path) -> dict:
    video = read_video(path)
    info = dict(frames=video.frames, rate=video.fps, video_s=video.video_s, audio_s=video.audio_s)
    with av.open(str(path)) as c:
        info["audio"] = [bytes(p) for p in c.demux(audio=0) if p.size]
    with av.open(str(path)) as c:
        info["keyframes"] = [p.pts for p in c.demux(video=0) if p.is_keyframe]
    return info


def assert_same(got: dict, want: dict) -> None:
    assert len(got["frames"]) == len(want["frames"]) == round(SECONDS * FPS)
    for j, (a, b) in enumerate(zip(got["frames"], want["frames"], strict=True)):
        assert np.array_equal(a, b), f"frame {j} differs"
    assert (got["rate"], got["video_s"], got["audio_s"]) == (want["rate"], want["video_s"], want["audio_s"])
    assert got["audio"] == want["audio"]  # the soundtrack encoded once, as export() does


def test_ray_chunked_export_equals_export(session, song, reference, tmp_path):
    assert session.startswith("127.0.0.1:")  # a Ray of this machine only
    out = tmp_path / "out.mp4"
    assert cli([song, "-o", out, *ARGS, "--ray", "--workers", 2]) == 0
    got = read(out)
    assert_same(got, reference)
    assert (
        len(got["keyframes"]) >= 6 and got["keyframes"][0] == 0
    )  # each chunk opens a closed GOP (x264 may add scene cuts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # work folder gone, nothing half-written


def test_interrupted_ray_render_resumes_in_process_to_the_same_file(session, song, reference, tmp_path, caplog):
    out = tmp_path / "out.mp4"
    work = WorkFolder(out)
    cmd = [sys.executable, "-m", "livedream", "export", song, "-o", out, *ARGS, "--ray", session, "--workers", 2]
    proc = subprocess.Popen([str(a) for a in cmd], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(work.path.glob("[0-9]*.mp4")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "kept in" in err.splitlines()[-1] and "resume" in err.splitlines()[-1]
    kept = sorted(p.name for p in work.path.glob("[0-9]*.mp4"))
    assert 1 <= len(kept) < 6 and not out.exists()
    mtimes = {p: p.stat().st_mtime_ns for p in work.path.glob("[0-9]*.mp4")}

    caplog.set_level("WARNING")
    assert cli([song, "-o", out, *ARGS, "--resume"]) == 0  # no Ray: this process
    assert f"{len(kept)} of 6 chunks already done" in caplog.text
    assert all(not p.exists() for p in mtimes)  # kept chunks were used, then the work folder removed
    assert_same(read(out), reference)


def stop_at_second_chunk(array, strength, amplitude):
    """A numpy effect (identity) that interrupts the render once the first chunk is written, like a Ctrl-C."""
    if list(Path(os.environ["STOP_DIR"]).glob(".*.chunks/[0-9]*.mp4")):
        raise KeyboardInterrupt
    return array


def test_resume_with_changed_settings_is_refused_then_restart_renders(song, tmp_path, monkeypatch):
    monkeypatch.setenv("STOP_DIR", str(tmp_path))
    s = ExportSettings(
        song=song,
        output=tmp_path / "out.mp4",
        params=defaults(),
        fps=Fraction(FPS),
        size=(64, 64),
        model_resolution=32,
        device="cpu",
        cpu_effects=[EffectsGenerator(stop_at_second_chunk)],
    )
    c = ChunkSettings(chunk_seconds=CHUNK_S)
    with pytest.raises(KeyboardInterrupt):
        export_chunked(s, c)
    work = WorkFolder(s.output)
    before = {p.name: p.read_bytes() for p in work.path.iterdir()}
    assert "000000.mp4" in before and not s.output.exists()

    changed = ExportSettings(**{**s.__dict__, "seed": 5, "crf": 20, "cpu_effects": []})
    with pytest.raises(LivedreamError) as e:
        export_chunked(changed, c)
    assert "cpu_effects, crf, seed" in str(e.value) and "--restart" in str(e.value) and "\n" not in str(e.value)
    assert {p.name: p.read_bytes() for p in work.path.iterdir()} == before  # nothing mixed, nothing lost

    export_chunked(changed, ChunkSettings(chunk_seconds=CHUNK_S, restart=True))
    assert not work.path.exists()
    with av.open(str(s.output)) as f:
        assert f.streams.video[0].frames == round(SECONDS * FPS)


def kill_once(array, strength, amplitude, marker):
    """A numpy effect (identity) whose first call anywhere kills its worker process, as a crash would."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return array
    os.kill(os.getpid(), signal.SIGKILL)


def kill_always(array, strength, amplitude):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_is_retried_and_when_retries_run_out_the_chunk_is_named(session, song, tmp_path):
    marker = tmp_path / "killed"
    s = ExportSettings(
        song=song,
        output=tmp_path / "out.mp4",
        params=defaults(),
        fps=Fraction(FPS),
        size=(64, 64),
        model_resolution=32,
        device="cpu",
        crf=0,
        cpu_effects=[EffectsGenerator(functools.partial(kill_once, marker=str(marker)))],
    )
    export_chunked(s, ChunkSettings(chunk_seconds=CHUNK_S, ray=True, workers=2, retries=2))
    assert marker.exists()  # a worker was killed ...
    clean = tmp_path / "clean.mp4"
    export(ExportSettings(**{**s.__dict__, "output": clean}))  # ... and its chunk drawn again: same frames
    assert_same(read(s.output), read(clean))

    dead = ExportSettings(**{**s.__dict__, "cpu_effects": [EffectsGenerator(kill_always)]})
    with pytest.raises(LivedreamError) as e:
        export_chunked(dead, ChunkSettings(chunk_seconds=CHUNK_S, ray=True, workers=2, retries=0, restart=True))
    msg = str(e.value)
    assert msg.startswith("chunk ") and "died" in msg and "resume" in msg and "\n" not in msg
    assert WorkFolder(s.output).path.is_dir()  # kept for a rerun


def test_unreachable_cluster_and_missing_ray_are_one_line(song, tmp_path, capsys, monkeypatch):
    assert cli([song, "-o", tmp_path / "o.mp4", *ARGS, "--ray", "127.0.0.1:9"]) == EXIT_ERROR
    err = capsys.readouterr().err.strip()
    assert err.startswith("livedream: error: --ray 127.0.0.1:9: no Ray cluster answers") and "\n" not in err
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert cli([song, "-o", tmp_path / "o.mp4", *ARGS, "--ray"]) == EXIT_ERROR
    assert "pip install 'livedream[ray]'" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
