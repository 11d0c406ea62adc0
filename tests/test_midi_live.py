"""MIDI control of a running `livedream live` through a real JACK server (dummy backend), from a separate sender
process with a JACK MIDI port: CCs through the curves, notes, learn, MIDI clock, Start/Stop, unplug and replug."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import live_harness as h
import numpy as np
import pytest

from livedream.params import BY_NAME

pytest.importorskip("rtmidi")
pytestmark = [pytest.mark.gl, pytest.mark.slow]

WIN = 128
SENDER = Path(__file__).with_name("midi_sender.py")
MAP = "cc 1 21: pulse_react\ncc 1 22: speed_fpm\nnote 10 36: flash_trigger\nnote 1 60: preset rave\n"


class Sender:
    """tests/midi_sender.py in its own process, with a JACK MIDI output port CLIENT:out."""

    def __init__(self, server: str, client: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(SENDER), client],
            env=h.jack_env(server),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def __call__(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):  # warnings are errors: no pipe left to the collector
            if pipe is not None:
                pipe.close()


@dataclass
class Live:
    proc: subprocess.Popen
    stats: Path
    stderr: Path
    screen: Path
    midi_map: Path
    osc_port: int
    server: str
    client: str
    sender: Sender
    flooder: Sender  # a second controller on a second --midi port
    display: str

    def records(self) -> list[dict]:
        lines = self.stats.read_text().splitlines() if self.stats.exists() else []
        return [json.loads(line) for line in lines if line.endswith("}")]

    def wait(self, pred, timeout: float = 5.0, what: str = "") -> dict:
        seen = len(self.records())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"livedream exited:\n{self.log()}"
            recs = self.records()
            for rec in recs[seen:]:
                if pred(rec):
                    return rec
            seen = len(recs)
            time.sleep(0.03)
        raise AssertionError(f"timed out waiting for {what}; last: {self.records()[-1:]}\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.stderr.read_text()

    def window(self) -> np.ndarray:
        return h.screenshot(self.screen)[:WIN, :WIN].astype(int)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    missing = h.missing_tools(*h.TOOLS, "oscsend")
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    tmp = tmp_path_factory.mktemp("midi")
    preset = tmp / "mine.yaml"
    preset.write_text("preset_fade_s: 0\nflash_strength: 0\ncontrast_strength: 0\n")
    midi_map = tmp / "midi.yaml"
    midi_map.write_text(MAP)
    stats, stderr = tmp / "stats.jsonl", tmp / "stderr.txt"
    osc_port = h.free_udp_port()
    client = f"ldsend{uuid.uuid4().hex[:6]}"
    with contextlib.ExitStack() as stack:
        display, screen = stack.enter_context(h.xvfb())
        server = stack.enter_context(h.jackd(period=128))  # 2.7 ms JACK periods: the MIDI path's granularity
        sender = Sender(server, client)
        stack.callback(sender.quit)
        flooder = Sender(server, f"{client}fl")
        stack.callback(flooder.quit)
        err = stack.enter_context(open(stderr, "w"))
        cmd = [sys.executable, "-m", "livedream", "-v", "live", "--size", f"{WIN}x{WIN}", "--stats-file", str(stats),
               "--stats-interval", "0.1", "--preset", str(preset), "--duration", "120", "--midi", client, "--midi", f"{client}fl",
               "--midi-map", str(midi_map), "--osc-port", str(osc_port), "--tempo", "auto"]  # fmt: skip
        proc = subprocess.Popen(cmd, env={**h.jack_env(server), "DISPLAY": display}, stderr=err)
        try:
            lv = Live(proc, stats, stderr, screen, midi_map, osc_port, server, client, sender, flooder, display)
            lv.wait(lambda r: r["frames"] > 10, timeout=40, what="the first frames")
            yield lv
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def test_ccs_move_the_values_through_the_curve_and_notes_switch_preset_and_flash(live):
    assert f"MIDI: listening to {live.client}:out (jack)" in live.log()
    live.sender("cc 1 21 127")
    live.sender("cc 1 22 64")
    speed = BY_NAME["speed_fpm"].from_norm(64 / 127)  # the offset-log curve: about 7, not 121 as linear
    assert 5 < speed < 12
    rec = live.wait(
        lambda r: r["params"]["pulse_react"] == BY_NAME["pulse_react"].hi and r["params"]["speed_fpm"] == speed,
        what="CCs",
    )
    assert rec["midi"]["messages"] >= 2
    live.sender("note 1 60 100")
    live.wait(lambda r: r["preset"] == "rave", what="the preset switch")
    # A pad's flash, on a frozen picture in silence: only the flash can brighten it.
    subprocess.run(["oscsend", "127.0.0.1", str(live.osc_port), "/livedream/freeze", "i", "1"], check=True)
    live.wait(lambda r: r["freeze"], what="freeze")
    time.sleep(0.4)
    before = live.window().mean()
    live.sender("note 10 36 127")
    peak, until = before, time.monotonic() + 0.6
    while time.monotonic() < until:
        peak = max(peak, live.window().mean())
    time.sleep(0.3)
    assert peak > before + 40, (
        before,
        peak,
        [(r["t"], r["frames"], r["freeze"], r["midi"]) for r in live.records()[-14:]],
    )
    subprocess.run(["oscsend", "127.0.0.1", str(live.osc_port), "/livedream/freeze", "i", "0"], check=True)


def test_learn_binds_the_next_cc_and_writes_the_file(live):
    subprocess.run(["oscsend", "127.0.0.1", str(live.osc_port), "/livedream/learn", "s", "motion_react"], check=True)
    live.wait(lambda r: r["learning"] == "motion_react", what="learning")
    live.sender("cc 2 5 90")
    live.wait(lambda r: r["learning"] is None, what="the binding")
    assert "cc 2 5: motion_react" in live.midi_map.read_text()
    live.sender("cc 2 5 0")
    live.wait(lambda r: r["params"]["motion_react"] == 0.0, what="the learned CC to move motion_react")


def test_the_l_key_learns_the_next_target_and_esc_cancels(live):
    from livedream.control_in.midi_learn import TARGETS

    h.press_key(live.display, "l")
    live.wait(lambda r: r["learning"] == TARGETS[0], what="L: learning the first target")
    h.press_key(live.display, "l")
    live.wait(lambda r: r["learning"] == TARGETS[1], what="L again: the next target")
    h.press_key(live.display, "Escape")
    live.wait(lambda r: r["learning"] is None, what="Esc: learning cancelled")
    time.sleep(0.3)
    assert live.proc.poll() is None, "Esc while learning must not quit"
    assert f"MIDI learn of {TARGETS[1]} cancelled" in live.log()


def test_midi_clock_gives_tempo_and_phase_and_start_stop_are_honoured(live):
    t0 = float(live.sender("clock 128").split()[1])
    rec = live.wait(lambda r: r["tempo"]["monotonic"] > t0 + 2.0, timeout=6, what="2 s of clock")
    tempo = rec["tempo"]
    assert tempo["source"] == "midi" and abs(tempo["bpm"] - 128.0) <= 0.5, tempo
    expected = (tempo["monotonic"] - t0) * 128 / 60  # beats since the first tick
    assert abs(tempo["beat"] - expected) * 60 / 128 < 0.010, (tempo, expected)
    # A SysEx flood and malformed bytes from a second controller: no crash, no stalled frames, the clock's lock holds.
    flood_from = time.monotonic()
    live.flooder("sysex 3000")  # 200 kB as fast as JACK takes it: far past what a MIDI cable carries
    live.flooder("raw 33 44")  # data bytes without a status byte
    after = time.monotonic() + 0.3
    rec = live.wait(lambda r: r["tempo"]["monotonic"] > after, what="a record after the flood")
    during = [r for r in live.records() if r["tempo"]["monotonic"] > flood_from]
    assert all(abs(r["tempo"]["bpm"] - 128.0) <= 1.0 for r in during), [r["tempo"]["bpm"] for r in during]
    assert max(r["max_frame_ms"] for r in during) < 250 and rec["midi"]["refused"] >= 1, during
    live.sender("stop")
    live.wait(lambda r: r["tempo"]["source"] is None, what="Stop: no tempo (silence has no beats)")
    live.sender("spp 32")  # two bars in
    live.sender("continue")
    rec = live.wait(lambda r: r["tempo"]["source"] == "midi", what="Continue")
    assert 8.0 <= rec["tempo"]["beat"] < 10.0, rec["tempo"]


def test_a_port_unplugged_and_replugged_reconnects(live):
    frames = live.records()[-1]["frames"]
    live.sender.quit()
    deadline = time.monotonic() + 5
    while "is gone" not in live.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"MIDI: port {live.client}:out is gone" in live.log()
    assert live.wait(lambda r: r["frames"] > frames + 20, what="frames while unplugged")
    live.sender = Sender(live.server, live.client)
    live.wait(lambda r: r["midi"]["reconnects"] == 1, timeout=5, what="the reconnect")
    live.sender("cc 1 21 0")
    live.wait(lambda r: r["params"]["pulse_react"] == 0.0, what="a CC after the reconnect")
    live.sender.quit()


def test_esc_quits_when_not_learning(live):
    h.press_key(live.display, "Escape")
    assert live.proc.wait(timeout=15) == 0
