"""SIGTERM to a real `livedream live --record` (Xvfb, JACK, a metronome), with its stats file on a full disk.

One run: the stats file sits on a 16 KiB tmpfs (a private mount namespace, so nothing outside sees it), which
fills within two seconds; the show must carry on, and SIGTERM must close the recording into a playable MP4.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.helpers import ROOT
from tests.helpers import live_harness as h
from tests.helpers.markers import LIVE_TOOLS
from tests.helpers.video import read_video

pytestmark = [pytest.mark.gl, pytest.mark.slow, pytest.mark.needs(*LIVE_TOOLS)]


def _can_mount_tmpfs() -> bool:
    """A private mount namespace with a tmpfs in it (root, or user namespaces allowed), or not."""
    if shutil.which("unshare") is None:
        return False
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=16k tmpfs $d && umount $d; rc=$?; rmdir $d; exit $rc"
    for prefix in (["unshare", "--mount"], ["unshare", "--user", "--map-root-user", "--mount"]):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if subprocess.run([*prefix, "sh", "-c", probe], capture_output=True, timeout=10).returncode == 0:
                _prefix.extend(prefix)
                return True
    return False


_prefix: list[str] = []


@pytest.fixture(scope="module")
def terminated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sigterm")
    full, rec_dir = tmp / "full", tmp / "rec"
    full.mkdir()
    rec_dir.mkdir()
    rec = rec_dir / "show.mp4"
    cmd = [sys.executable, "-m", "livedream", "-v", "live", "--size", "128x128", "--no-osc", "--record", str(rec),
           "--stats-file", str(full / "stats.jsonl"), "--stats-interval", "0.1", "--duration", "60"]  # fmt: skip
    tmpfs = _can_mount_tmpfs()
    if tmpfs:  # mount, then exec livedream in the same process: SIGTERM goes straight to it
        cmd = [*_prefix, "sh", "-c", 'mount -t tmpfs -o size=16k tmpfs "$0" && exec "$@"', str(full), *cmd]
    with h.xvfb() as (display, _), h.jackd() as server, h.metronome(server, bpm=120) as metro:
        proc = subprocess.Popen(
            cmd, env={**h.jack_env(server), "DISPLAY": display}, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        try:
            for port in h.wait_for_ports(server, "livedream:in", timeout=40):
                h.connect(server, metro, port)
            deadline = time.monotonic() + 40
            while not [p for p in rec_dir.iterdir() if p.name.startswith(".show.mp4")]:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.1)
            time.sleep(5.0)  # the disk fills after about two seconds; the show goes on
            alive = proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert alive, err
    return proc.returncode, err, rec, tmpfs


def test_sigterm_closes_the_recording_into_a_playable_file(terminated):
    rc, err, rec, _ = terminated
    assert rc == 143 and "Traceback" not in err, err[-3000:]
    assert "livedream: stopped by SIGTERM" in err and "recorded" in err
    assert [p.name for p in rec.parent.iterdir()] == ["show.mp4"]  # no hidden .show.mp4.part-... left
    video = read_video(rec, audio=True)
    frames, sound = video.frames, video.audio
    assert video.size == (128, 128) and len(frames) >= 5 * 30, len(frames)
    assert np.std(frames[-1]) > 5 and np.abs(frames[-1].astype(int) - frames[30].astype(int)).mean() > 1
    assert np.abs(sound).max() > 0.1  # the metronome's clicks


def test_a_full_disk_under_the_stats_file_does_not_end_the_show(terminated):
    rc, err, _, tmpfs = terminated
    if not tmpfs:
        pytest.skip("cannot mount a tmpfs here (needs root or user namespaces)")
    assert rc == 143, err[-3000:]  # stopped by the signal, 5 s after the disk filled; not exit 2
    assert err.count("--stats-file") == 1 and "No space left on device" in err, err[-3000:]
    assert "the show goes on" in err
