"""OSC without a window: the address space, the server thread on a real socket, crossfades, preset reloads, docs."""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys
import time
import zipfile
from xml.etree import ElementTree

import pytest
from pythonosc.udp_client import SimpleUDPClient

from livedream.control_in import osc_docs
from livedream.control_in.inbox import ControlInbox
from livedream.control_in.osc import Refused, decode
from livedream.control_in.osc_server import OscServer
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, PARAMS
from livedream.presets import Crossfade, PresetLibrary
from tests.helpers import ROOT


def test_every_parameter_has_an_address_and_values_are_validated():
    for p in PARAMS:
        value = p.default if p.default is not None else None
        args = [] if value is None else (list(value) if isinstance(value, list) else [value])
        cmd = decode(f"/livedream/{p.name}", args)
        assert (cmd.kind, cmd.name, cmd.value) == ("param", p.name, p.default)
    assert decode("/livedream/norm/truncation", [0.5]).value == pytest.approx(1.025)  # lin
    # speed_fpm's fader is an offset log: the bottom still stands still, the top is the maximum, 12/min mid-way up
    assert decode("/livedream/norm/speed_fpm", [0.0]).value == 0.0
    assert decode("/livedream/norm/speed_fpm", [1.0]).value == pytest.approx(240.0)
    assert 0.5 < BY_NAME["speed_fpm"].to_norm(12.0) < 0.65
    assert decode("/livedream/norm/pulse_percussive", [0.2]).value is False
    assert decode("/livedream/classes", [1, 2, 3]).value == [1, 2, 3]
    assert decode("/livedream/class_shuffle_seconds", [None]).value is None
    assert decode("/livedream/flash_percussive", [False]).value is False


@pytest.mark.parametrize(
    "address,args",
    [("/livedream/speed_fpm", ["fast"]), ("/livedream/speed_fpm", [float("nan")]), ("/livedream/speed_fpm", [1e30]),
     ("/livedream/speed_fpm", [float("inf")]), ("/livedream/speed_fpm", [b"blob"]), ("/livedream/speed_fpm", []),
     ("/livedream/speed_fpm", [True]), ("/livedream/norm/speed_fpm", [1.01]), ("/livedream/norm/classes", [0.5]),
     ("/livedream/classes", list(range(13))), ("/livedream/classes", [1.5]), ("/livedream/freeze", [2]),
     ("/livedream/preset", [3]), ("/livedream/nope", [1]), ("/other", [1]), ("/livedream/tap", ["x"])],
)  # fmt: skip
def test_bad_messages_are_refused(address, args):
    with pytest.raises(Refused):
        decode(address, args)


def test_buttons_act_on_press_only():
    assert decode("/livedream/tap", []).kind == "tap" and decode("/livedream/tap", [1.0]).kind == "tap"
    assert decode("/livedream/tap", [0.0]) is None
    assert decode("/livedream/preset/rave", [1.0]) == decode("/livedream/preset", ["rave"])
    assert decode("/livedream/preset/rave", [0]) is None


@pytest.fixture
def server():
    srv = OscServer("127.0.0.1", 0, ControlInbox()).start()
    try:
        yield srv
    finally:
        srv.stop()


def wait_received(srv: OscServer, n: int) -> None:
    deadline = time.monotonic() + 5
    while srv.received + srv.junk < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_server_coalesces_survives_junk_and_keeps_order_of_preset_and_params(server):
    client = SimpleUDPClient("127.0.0.1", server.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\xff\x00junk", ("127.0.0.1", server.port))
    client.send_message("/livedream/flash_strength", 0.9)  # before the preset: forgotten
    client.send_message("/livedream/preset", "rave")
    for i in range(100):
        client.send_message("/livedream/speed_fpm", float(i))
    client.send_message("/livedream/speed_fpm", float("nan"))
    client.send_message("/livedream/tap", [])
    client.send_message("/livedream/tap", [])
    client.close()
    wait_received(server, 106)
    got = server.inbox.drain()
    assert server.junk == 1 and server.received == 105 and server.refused == 1
    assert got.preset == "rave" and got.params == {"speed_fpm": 99.0} and len(got.taps) == 2
    assert not server.inbox.drain()


def test_a_taken_port_is_one_clear_error(server):
    with pytest.raises(LivedreamError, match=f"--osc-port {server.port}: cannot listen for OSC on 127.0.0.1"):
        OscServer("127.0.0.1", server.port, ControlInbox()).start()
    out = subprocess.run(
        [sys.executable, "-m", "livedream", "live", "--osc-port", str(server.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "cannot listen for OSC" in out.stderr, out.stderr


def test_crossfade_glides_numbers_and_switches_the_rest_at_the_midpoint():
    start = {"speed_fpm": 10.0, "pulse_percussive": True, "classes": None, "class_shuffle_seconds": None}
    end = {"speed_fpm": 30.0, "pulse_percussive": False, "classes": [1, 2], "class_shuffle_seconds": 8.0}
    fade = Crossfade(start, end, 2.0, now=100.0)
    assert fade.values(100.5) == {**start, "speed_fpm": 15.0}
    assert fade.values(101.0) == {**end, "speed_fpm": 20.0}
    fade.drop(["speed_fpm"])
    assert fade.values(102.0) == {k: v for k, v in end.items() if k != "speed_fpm"} and fade.done(102.0)
    assert Crossfade(start, end, 0.0, now=0.0).values(0.0) == end


def test_preset_library_reloads_edits_and_keeps_the_last_good(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("speed_fpm: 20\n")
    lib = PresetLibrary()
    assert lib.add(str(mine)).values == {"speed_fpm": 20}
    assert lib.get("mine").values == {"speed_fpm": 20} and lib.get("rave").name == "rave"
    mine.write_text("speed_fpm: 25\n")
    assert [p.values for p in lib.poll()] == [{"speed_fpm": 25}] and lib.poll() == []
    mine.write_text("speed_fpm: [25\n")
    assert lib.poll() == [] and lib.get("mine").values == {"speed_fpm": 25}
    for bad in ("../mine", "/etc/passwd", "a/b", "nope"):
        with pytest.raises(LivedreamError):
            lib.get(bad)


def test_generated_docs_and_layout_are_in_step_with_the_table():
    assert (ROOT / "docs/osc.md").read_text() == osc_docs.markdown(), "run `livedream docs osc -o docs/osc.md`"
    layout = (ROOT / "docs/touchosc/livedream.touchosc").read_bytes()
    assert layout == osc_docs.touchosc_layout(), "run `livedream docs touchosc`"
    for p in PARAMS:
        assert f"`/livedream/{p.name}`" in osc_docs.markdown()
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(layout)).read("index.xml"))
    controls = {base64.b64decode(c.get("osc_cs")).decode(): c for c in root.iter("control") if c.get("osc_cs")}
    for name in osc_docs.FADERS:
        p = BY_NAME[name]
        if p.curve == "log":  # mk1 faders are linear: the log ones send 0..1 to /norm/
            c, scale = controls[f"/livedream/norm/{name}"], (0.0, 1.0)
        else:
            c, scale = controls[f"/livedream/{name}"], (p.lo, p.hi)
        assert (c.get("type"), float(c.get("scalef")), float(c.get("scalet"))) == ("faderh", *scale)
    for address in ("/livedream/preset/rave", "/livedream/tap", "/livedream/freeze", "/livedream/blackout"):
        assert address in controls
    for address in controls:  # every address on the tablet is one livedream acts on
        assert decode(address, [1.0]) is not None
