"""`livedream live` end to end: a real window under Xvfb, a real JACK server, jack_metro playing into the input."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from livedream.params import PARAMS
from tests.helpers import live_harness as h
from tests.helpers.markers import LIVE_TOOLS
from tests.helpers.video import read_video

pytestmark = [pytest.mark.gl, pytest.mark.slow, pytest.mark.needs(*LIVE_TOOLS)]


def start_live(display: str, server: str, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "livedream", "-v", "live", "--size", "256x256", *args]
    return subprocess.Popen(
        cmd, env={**h.jack_env(server), "DISPLAY": display}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen, timeout: float = 40.0) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"livedream live did not exit by itself; stderr:\n{err}")
    return proc.returncode, err


def read_stats(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_live_window_metronome_stats_and_record(tmp_path):
    stats, out = tmp_path / "stats.jsonl", tmp_path / "rec.mp4"
    with h.xvfb() as (display, screen_file), h.jackd() as server, h.metronome(server, bpm=120) as metro:
        proc = start_live(
            display,
            server,
            "--duration",
            "8",
            "--stats-file",
            str(stats),
            "--record",
            str(out),
            "--flash-strength",
            "1",
        )
        try:
            inputs = h.wait_for_ports(server, "livedream:in")
            for port in inputs:
                h.connect(server, metro, port)
            time.sleep(2.0)
            shots = []
            for _ in range(3):  # half a beat apart: at full flash strength a shot on the click is white
                shots.append(h.screenshot(screen_file))
                time.sleep(0.25)
        finally:
            rc, err = finish(proc)
    for i, shot in enumerate(shots):
        Image.fromarray(shot).save(tmp_path / f"screen{i}.png")
    assert rc == 0, err

    # The window shows moving pictures: a colourful 256x256 area that changed in half a second.
    window = [s[:256, :256].astype(int) for s in shots]
    calm = min(window, key=lambda w: w.mean())  # the shot furthest from a flash
    assert calm.std() > 20 and len(np.unique(calm.reshape(-1, 3), axis=0)) > 500, "no picture on screen"
    assert np.abs(window[0] - window[2]).mean() > 2, "the picture did not move"

    # One line a second, every parameter in force; the metronome's 2 clicks a second are counted.
    lines = read_stats(stats)
    assert 6 <= len(lines) <= 9, lines
    assert set(lines[-1]["params"]) == {p.name for p in PARAMS}
    assert {"t", "fps", "frames", "dropped", "gen_ms", "rms", "onsets", "latency_ms"} <= set(lines[-1])
    # The seconds after the one with the first onset: the metronome played through all of them.
    first = next(i for i, line in enumerate(lines) if line["onsets"])
    steady = [line["onsets"] for line in lines[first + 1 : -1]]
    assert len(steady) >= 3, lines
    assert all(1 <= n <= 3 for n in steady) and 1.6 <= np.mean(steady) <= 2.4, steady
    assert all(line["rms"] > 0.01 for line in lines[first + 1 : -1]), lines  # the second's loudest hop, not the newest
    assert np.median([line["fps"] for line in lines[1:]]) >= 20

    # The recording: the window's pictures at 30 fps with the input audio (the clicks) muxed in.
    recording = read_video(out, audio=True)
    assert recording.size == (256, 256)
    sound, pictures = recording.audio, recording.frames  # the first channel; every frame
    seconds = len(sound) / recording.audio_rate
    assert 7.5 <= seconds <= 8.5, seconds  # the audio covers the video's 8 s, not more
    assert np.abs(sound).max() > 0.1, "the clicks are not in the recording"
    # Never frozen: the longest run of identical frames while the show moved stays under 0.2 s (6 frames at 30).
    same = [np.array_equal(a, b) for a, b in zip(pictures[30:-1], pictures[31:], strict=True)]  # after the first second
    longest = max((len(run) for run in "".join("s" if x else "." for x in same).split(".")), default=0)
    assert longest < 6, f"the recording froze for {longest + 1} frames"


def test_killing_jack_does_not_stop_the_picture(tmp_path):
    stats = tmp_path / "stats.jsonl"
    with h.xvfb() as (display, _), h.jackd() as server:
        proc = start_live(display, server, "--duration", "6", "--stats-file", str(stats))
        try:
            h.wait_for_ports(server, "livedream:in")
            time.sleep(1.0)
            h.kill_server(server)
            time.sleep(1.5)
            alive = proc.poll() is None
        finally:
            rc, err = finish(proc)
    assert alive, err
    assert rc == 0, err
    assert err.count("audio input lost") == 1, err
    lines = read_stats(stats)
    assert len(lines) >= 5, lines
    assert lines[-1]["frames"] - lines[-3]["frames"] >= 20, "frames stopped after the server went away"


RED_EFFECT = """#version 330
// A user's effect for the test: paints the picture red by u_amount.
in vec2 v_uv;
uniform sampler2D u_image;
uniform float u_amount;
out vec4 f_color;
void main() { f_color = vec4(mix(texture(u_image, v_uv).rgb, vec3(1.0, 0.0, 0.0), u_amount), 1.0); }
"""


def test_user_effect_and_input_channel_stems_act_live(tmp_path):
    """Clicks on input 3 only: the flash stem on 3 drives the user's red effect; the pulse stem on silent 4 rests."""
    effect, stats = tmp_path / "red.frag", tmp_path / "stats.jsonl"
    effect.write_text(RED_EFFECT)
    with h.xvfb() as (display, screen_file), h.jackd(inputs=4) as server, h.metronome(server, bpm=120) as metro:
        proc = start_live(
            display,
            server,
            "--duration",
            "7",
            "--stats-file",
            str(stats),
            "--channels",
            "1,2",
            "--flash-channels",
            "3",
            "--pulse-channels",
            "4",
            "--effect",
            f"{effect}:1",
            "--flash-strength",
            "0",
            "--contrast-strength",
            "0",
        )
        try:
            inputs = sorted(h.wait_for_ports(server, "livedream:in"))
            assert len(inputs) == 4, inputs
            h.connect(server, metro, inputs[2])  # the clicks reach input 3 alone
            time.sleep(2.5)
            shots = []
            for _ in range(10):
                shots.append(h.screenshot(screen_file)[:256, :256].astype(int))
                time.sleep(0.1)
        finally:
            rc, err = finish(proc)
    assert rc == 0, err
    redness = [float((s[..., 0] - (s[..., 1] + s[..., 2]) / 2).mean()) for s in shots]
    assert max(redness) - min(redness) > 40, redness  # the user's effect lights up on the clicks and rests between
    lines = read_stats(stats)[2:-1]  # the seconds with the metronome playing
    assert all(line["amounts"]["red"] > 0.5 for line in lines), lines  # strength 1 x the flash stem's hits
    assert all(line["amounts"]["flash"] == 0 for line in lines)  # flash_strength 0: only the user's effect
    assert all(line["onsets"] == 0 for line in lines), "the mix (inputs 1-2) is silent"
    assert all(line["envelopes"]["flash"] > 0.5 for line in lines)  # the stem with the clicks
    assert all(line["envelopes"]["pulse"] < 0.05 for line in lines)  # the silent stem does not pulse
