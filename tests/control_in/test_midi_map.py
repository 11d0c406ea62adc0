"""The MIDI mapping file (parse, validate, decode through the curves, hot reload), MIDI learn, and OSC learn."""

from __future__ import annotations

import os

import pytest

from livedream.control_in.inbox import Command, ControlInbox
from livedream.control_in.midi_learn import TARGETS, Learner
from livedream.control_in.midi_map import MidiMap, MidiMapFile, load_map
from livedream.control_in.osc import Refused, decode
from livedream.errors import LivedreamError
from livedream.params import BY_NAME
from tests.helpers import ROOT

GOOD = """\
cc 1 21: pulse_react
cc 1 22: flash_strength curve=log
cc 1 23: speed_fpm
cc 2 64: freeze
cc 1 24: strobe_on_beat
note 10 36: flash_trigger
note 10 37: pulse_trigger
note 1 60: preset rave
note 1 61: pulse_percussive
note 1 62: tap
"""


def test_a_map_decodes_ccs_through_the_curves_and_notes_to_actions(tmp_path):
    path = tmp_path / "midi.yaml"
    path.write_text(GOOD)
    m = load_map(path)
    assert m.decode("cc", 1, 21, 127) == Command("param", "pulse_react", BY_NAME["pulse_react"].hi)
    assert m.decode("cc", 1, 21, 0) == Command("param", "pulse_react", 0.0)
    lo, hi = BY_NAME["flash_strength"].lo, BY_NAME["flash_strength"].hi
    half = m.decode("cc", 1, 22, 64).value  # curve=log on a range from 0: the offset log, well below linear
    assert lo < half < 0.1 * (hi - lo)
    assert m.decode("cc", 1, 23, 0).value == 0.0 and m.decode("cc", 1, 23, 127).value == pytest.approx(240.0)
    assert m.decode("cc", 1, 23, 64).value == pytest.approx(BY_NAME["speed_fpm"].from_norm(64 / 127))
    assert m.decode("cc", 1, 24, 100) == Command("param", "strobe_on_beat", True)
    assert m.decode("note", 10, 36, 127) == Command("flash", value=1.0)
    assert m.decode("note", 10, 37, 64) == Command("pulse", value=64 / 127)
    assert m.decode("note", 1, 60, 90) == Command("preset", "rave")
    assert m.decode("note", 1, 61, 90) == Command("toggle", "pulse_percussive")
    assert m.decode("note", 1, 62, 1) == Command("tap")
    assert m.decode("note", 1, 99, 1) is None and m.decode("cc", 3, 21, 5) is None
    # A CC button fires on the rise past 63 only.
    assert [m.decode("cc", 2, 64, v) for v in (0, 127, 127, 0, 100)] == [
        None, Command("freeze", value="toggle"), None, None, Command("freeze", value="toggle"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text,error",
    [("cc 1 21: no_such_thing\n", "unknown parameter or action 'no_such_thing'"),
     ("cc 17 21: pulse_react\n", "channel 17 is out of 1-16"), ("cc 0 21: pulse_react\n", "channel 0 is out of 1-16"),
     ("cc 1 128: pulse_react\n", "controller number 128 is out of 0-127"),
     ("note 1 200: tap\n", "note number 200 is out of 0-127"), ("knob 1 2: tap\n", "expected 'cc CHANNEL NUMBER'"),
     ("cc 1 2: pulse_react curve=cubic\n", "curve=lin or curve=log"), ("cc 1 2: classes\n", "is a list"),
     ("note 1 2: preset ../etc\n", "plain preset name"), ("- a\n- b\n", "must be a mapping"),
     ("cc 1 2: [1\n", "not valid YAML at line")],
)  # fmt: skip
def test_a_bad_entry_is_one_line_naming_it(tmp_path, text, error):
    path = tmp_path / "midi.yaml"
    path.write_text(text)
    with pytest.raises(LivedreamError, match=error.replace("[", r"\[").replace(".", r"\.")) as exc:
        load_map(path)
    assert "\n" not in str(exc.value) and str(path) in str(exc.value)


def test_hot_reload_keeps_the_last_good_map_and_learn_writes_the_file_atomically(tmp_path, caplog):
    path = tmp_path / "conf" / "midi.yaml"
    f = MidiMapFile(path)  # no file yet: an empty map
    assert f.map.bindings == {} and not f.poll()
    path.parent.mkdir()
    path.write_text("cc 1 21: pulse_react\n")
    assert f.poll() and f.map.decode("cc", 1, 21, 127).name == "pulse_react"
    path.write_text("cc 1 21: pulse_reactt\n")
    os.utime(path, ns=(1, 1))
    assert not f.poll() and f.map.decode("cc", 1, 21, 127).name == "pulse_react"
    assert "keeping the last good one" in caplog.text and "pulse_reactt" in caplog.text
    path.write_text("cc 1 21: pulse_react\n")

    learner = Learner(f)
    assert not learner.offer("cc", 1, 30)  # not learning: the control is not taken
    learner.start("motion_react")
    assert learner.target == "motion_react"
    assert learner.offer("cc", 3, 30) and learner.target is None
    assert load_map(path).decode("cc", 3, 30, 127) == Command("param", "motion_react", BY_NAME["motion_react"].hi)
    learner.start("pulse_react")  # learning a bound target again moves it to the new control
    learner.offer("note", 10, 40)
    again = load_map(path)
    assert again.decode("cc", 1, 21, 127) is None and again.decode("note", 10, 40, 127).name == "pulse_react"
    assert [p.name for p in tmp_path.joinpath("conf").iterdir()] == ["midi.yaml"]  # no temporary left behind
    assert not f.poll()  # our own write is not a reload
    learner.start("preset rave")
    learner.offer("note", 1, 70)
    assert load_map(path).decode("note", 1, 70, 1) == Command("preset", "rave")
    learner.start("nope")  # refused: learning stays off
    assert learner.target is None
    learner.start(TARGETS[0])
    assert learner.step() == TARGETS[1]
    learner.cancel()
    assert learner.target is None


def test_osc_learn_and_one_shots():
    assert decode("/livedream/learn", ["speed_beats"]) == Command("learn", "speed_beats")
    assert decode("/livedream/learn", ["preset  rave"]) == Command("learn", "preset rave")
    assert decode("/livedream/learn", ["cancel"]) == Command("learn", "") == decode("/livedream/learn", [])
    assert decode("/livedream/flash", []) == Command("flash", value=1.0)
    assert decode("/livedream/pulse", [0.5]) == Command("pulse", value=0.5)
    for address, args in (("/livedream/learn", ["classes"]), ("/livedream/learn", [3]), ("/livedream/flash", [2.0])):
        with pytest.raises(Refused):
            decode(address, args)
    box = ControlInbox()
    for cmd in (Command("learn", "tap"), Command("flash", value=0.3), Command("flash", value=0.9),
                Command("toggle", "pulse_percussive"), Command("freeze", value="toggle")):  # fmt: skip
        box.put(cmd, 0.0)
    got = box.drain()
    assert got.learn == "tap" and got.shots == {"flash": 0.9} and got.toggles == ["pulse_percussive"]
    assert got.freeze == "toggle" and not box.drain()


def test_a_map_file_that_is_too_big_or_too_deep_is_refused(tmp_path):
    path = tmp_path / "midi.yaml"
    path.write_text("#" * (300 * 1024))
    with pytest.raises(LivedreamError, match="larger than"):
        load_map(path)
    for deep in (
        "[" * 5000,
        "cc 1 2: " + "{a: " * 40 + "b" + "}" * 40,
        "a:\n" + "".join(" " * 2 * k + f"k{k}:\n" for k in range(1, 30)),
    ):
        path.write_text(deep)
        with pytest.raises(LivedreamError, match="nested more than 8 deep"):
            load_map(path)
    assert MidiMap.parse(None).bindings == {}


def test_port_names_match_by_name_part_or_number_and_a_replugged_port_is_the_same_one():
    from livedream.control_in.midi_ports import match_port
    from livedream.control_in.midi_ports import same_port as _same_port

    names = ["ab:out", "abfl:out", "nanoKONTROL2:nanoKONTROL2 MIDI 1 24:0", "Launch Control XL:LCXL MIDI 1 20:0"]
    assert [match_port(s, names) for s in ("ab", "abfl", "AB:out", "nano", "launch", "2", "out", "zzz")] == [
        "ab:out", "abfl:out", "ab:out", names[2], names[3], names[2], None, None,
    ]  # fmt: skip
    assert _same_port("ab:out", ["abfl:out"]) is None  # gone: not the other controller whose name contains it
    assert _same_port(names[2], ["nanoKONTROL2:nanoKONTROL2 MIDI 1 28:0"]) == "nanoKONTROL2:nanoKONTROL2 MIDI 1 28:0"


def test_generated_midi_docs_and_tosc_layout_are_in_step_with_the_table():
    import zlib
    from xml.etree import ElementTree

    from livedream.cli.docs import generate
    from livedream.control_in import osc_docs
    from livedream.params import PARAMS
    from livedream.presets import shipped

    assert (ROOT / "docs/midi.md").read_bytes() == generate("midi"), "run `livedream docs midi`"
    assert (ROOT / "docs/touchosc/livedream.tosc").read_bytes() == generate("tosc"), "run `livedream docs tosc`"
    text = generate("midi").decode()
    for p in PARAMS:
        assert (f"| `{p.name}` |" in text) == (p.kind != "int_list")
    xml = ElementTree.fromstring(zlib.decompress(generate("tosc")))
    assert xml.tag == "lexml" and xml.get("version") == "3"
    nodes = {}
    for node in xml.iter("node"):
        props = {p.findtext("key"): p.find("value") for p in node.find("properties")}
        osc = node.find("messages/osc")
        address = osc.findtext("path/partial/value") if osc is not None else None
        nodes[props["name"].text] = (node.get("type"), address, node)
    for name in osc_docs.FADERS:  # faders send 0..1 to /norm/: livedream applies the parameter's curve
        kind, address, node = nodes[name]
        assert (kind, address) == ("FADER", f"/livedream/norm/{name}")
        assert node.findtext("messages/osc/arguments/partial/type") == "VALUE"
        default = float(node.find("values/value").findtext("default"))
        assert default == pytest.approx(BY_NAME[name].to_norm(BY_NAME[name].default) or 0.0, abs=1e-5)
    for p in shipped():
        assert nodes[f"preset_{p.stem}"][:2] == ("BUTTON", f"/livedream/preset/{p.stem}")
    assert nodes["tap"][:2] == ("BUTTON", "/livedream/tap")
    for _kind, address, _ in nodes.values():  # every address on the tablet is one livedream acts on
        if address is not None:
            assert decode(address, [1.0]) is not None


def test_arrival_times_come_from_the_midi_deltas_not_the_polling():
    import numpy as np

    from livedream.control_in.midi import _Port

    port, rng = _Port("x"), np.random.default_rng(1)
    true = 100.0 + np.cumsum(np.full(200, 0.0195))  # a tick every 19.5 ms (128 BPM)
    got = []
    for k, t in enumerate(true):
        delta = 0.0 if k == 0 else t - true[k - 1]
        got.append(port.arrived(delta, t + rng.uniform(0.0, 0.002)))  # polled up to 2 ms late
    err = np.abs(np.array(got) - true)[20:]
    assert err.max() < 0.0003, err.max()  # polling jitter gone: the clock sees the arrival times
