"""Reconnection: the JACK server dies and comes back under the same name; livedream hears the input again."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.helpers import live_harness as h
from tests.helpers.markers import LIVE_TOOLS

pytestmark = [pytest.mark.gl, pytest.mark.slow, pytest.mark.needs(*LIVE_TOOLS)]


def connect_inputs(server: str, metro: str) -> None:
    for port in h.wait_for_ports(server, "livedream:in"):
        h.connect(server, metro, port)


def onsets_in(stats, since: float) -> int:
    lines = [json.loads(line) for line in stats.read_text().splitlines()]
    return sum(line["onsets"] for line in lines if line["t"] > since)


def test_jack_server_restart_is_heard_again(tmp_path):
    stats = tmp_path / "stats.jsonl"
    cmd = [sys.executable, "-m", "livedream", "-v", "live", "--size", "128x128", "--duration", "14"]
    with h.xvfb() as (display, _), h.jackd() as server:
        env = {**h.jack_env(server), "DISPLAY": display}
        proc = subprocess.Popen(
            [*cmd, "--stats-file", str(stats)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            with h.metronome(server, bpm=120) as metro:
                connect_inputs(server, metro)
                time.sleep(2.5)
                heard_first = onsets_in(stats, 0.0)
                h.kill_server(server)  # SIGTERM: the input dies under livedream's feet
            t_killed = json.loads(stats.read_text().splitlines()[-1])["t"]
            time.sleep(2.0)
            with h.jackd(name=server), h.metronome(server, bpm=120) as metro:
                restarted = time.monotonic()
                connect_inputs(server, metro)  # waits for livedream's new capture client to appear
                back_after = time.monotonic() - restarted
                time.sleep(3.5)
                _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.communicate()
    (tmp_path / "stderr.txt").write_text(err)
    assert proc.returncode == 0, err
    assert heard_first >= 2, err  # the metronome was heard before the server died
    assert err.count("audio input lost") == 1 and "audio input back" in err, err
    assert back_after < 6.0, back_after  # a reconnection attempt every 2 s
    lines = [json.loads(line) for line in stats.read_text().splitlines()]
    at_kill = next(line["frames"] for line in lines if line["t"] >= t_killed)
    later = next(line["frames"] for line in lines if line["t"] >= t_killed + 2.0)
    assert later - at_kill >= 20, lines  # frames kept counting while there was no server (cumulative count)
    assert onsets_in(stats, t_killed + 2.0) >= 3, lines  # and the new server's clicks are counted again
