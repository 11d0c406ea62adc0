"""`livedream midi-ports` and the start-up errors of `livedream live --midi`, against a real JACK server."""

from __future__ import annotations

import uuid

import pytest

from livedream.cli.main import main
from tests.helpers import live_harness as h

pytest.importorskip("rtmidi")


@pytest.fixture(scope="module")
def jack_with_a_port(tmp_path_factory):
    client = f"cli{uuid.uuid4().hex[:6]}"
    with h.jackd(period=256) as server:
        sender = h.MidiSender(server, client)
        try:
            yield server, f"{client}:out"
        finally:
            sender.quit()


NEEDS_JACK = pytest.mark.needs("jackd", "jack_lsp")


@NEEDS_JACK
def test_midi_ports_lists_the_jack_ports(jack_with_a_port, monkeypatch, capsys):
    server, port = jack_with_a_port
    monkeypatch.setenv("JACK_DEFAULT_SERVER", server)
    assert main(["midi-ports"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MIDI ports (jack):") and f": {port}\n" in out


@NEEDS_JACK
def test_a_port_that_is_not_there_is_one_line_listing_the_ports(jack_with_a_port, monkeypatch, capsys, tmp_path):
    server, port = jack_with_a_port
    monkeypatch.setenv("JACK_DEFAULT_SERVER", server)
    code = main(["live", "--midi", "no-such-controller", "--no-osc", "--midi-map", str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert f"--midi no-such-controller: no such MIDI port (jack); ports: '{port}'" in err


def test_tempo_midi_needs_a_port_and_a_bad_map_stops_the_start(tmp_path, capsys):
    assert main(["live", "--tempo", "midi", "--no-osc"]) == 2
    assert "--tempo midi needs a MIDI input" in capsys.readouterr().err
    bad = tmp_path / "midi.yaml"
    bad.write_text("cc 1 300: pulse_react\n")
    assert main(["live", "--midi", "x", "--midi-map", str(bad), "--no-osc"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(bad) in err and "controller number 300 is out of 0-127" in err
