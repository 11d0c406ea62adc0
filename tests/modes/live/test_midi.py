"""MIDI control of a running `livedream live` through a real JACK server (dummy backend), from a separate sender
process with a JACK MIDI port: CCs through the curves, notes, learn, MIDI clock, Start/Stop, unplug and replug."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from livedream.params import BY_NAME
from tests.helpers import live_harness as h
from tests.helpers.live_run import LiveRun, live_process
from tests.helpers.markers import LIVE_TOOLS

pytest.importorskip("rtmidi")
pytestmark = [pytest.mark.gl, pytest.mark.slow, pytest.mark.needs(*LIVE_TOOLS, "oscsend")]

WIN = 128
MAP = "cc 1 21: pulse_react\ncc 1 22: speed_fpm\nnote 10 36: flash_trigger\nnote 1 60: preset rave\n"


@dataclass(kw_only=True)
class MidiLive(LiveRun):
    midi_map: Path
    osc_port: int
    server: str
    client: str
    sender: h.MidiSender
    flooder: h.MidiSender  # a second controller on a second --midi port
    display: str


@pytest.fixture(scope="module")
def live(tmp_path_factory):
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
        # 2.7 ms JACK periods: the MIDI path's granularity; synchronous, so a busy machine delays events, never drops them
        server = stack.enter_context(h.jackd(period=128, sync=True))
        sender = h.MidiSender(server, client)
        stack.callback(sender.quit)
        flooder = h.MidiSender(server, f"{client}fl")
        stack.callback(flooder.quit)
        args = ["--size", f"{WIN}x{WIN}", "--stats-file", str(stats), "--stats-interval", "0.1", "--preset", str(preset),
                "--duration", "120", "--midi", client, "--midi", f"{client}fl", "--midi-map", str(midi_map),
                "--osc-port", str(osc_port), "--tempo", "auto"]  # fmt: skip
        proc = stack.enter_context(live_process(args, {**h.jack_env(server), "DISPLAY": display}, stderr))
        lv = MidiLive(proc=proc, stats=stats, stderr=stderr, screen=screen, window_size=WIN, midi_map=midi_map,
                      osc_port=osc_port, server=server, client=client, sender=sender, flooder=flooder, display=display)  # fmt: skip
        lv.wait(lambda r: r["frames"] > 10, timeout=40, what="the first frames")
        yield lv


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
    h.oscsend(live.osc_port, "/livedream/freeze", "i", "1")
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
    h.oscsend(live.osc_port, "/livedream/freeze", "i", "0")


def test_learn_binds_the_next_cc_and_writes_the_file(live):
    h.oscsend(live.osc_port, "/livedream/learn", "s", "motion_react")
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
    live.sender = h.MidiSender(live.server, live.client)
    live.wait(lambda r: r["midi"]["reconnects"] == 1, timeout=5, what="the reconnect")
    live.sender("cc 1 21 0")
    live.wait(lambda r: r["params"]["pulse_react"] == 0.0, what="a CC after the reconnect")
    live.sender.quit()


def test_esc_quits_when_not_learning(live):
    h.press_key(live.display, "Escape")
    assert live.proc.wait(timeout=15) == 0
