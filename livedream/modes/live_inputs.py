"""Live mode's control inputs, started for a run: OSC, the web page and OSCQuery, MIDI and the tempo source.

Each puts validated Commands on the run's one ControlInbox; each is stopped by the run's ExitStack.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from livedream.errors import LivedreamError
from livedream.modes.settings import LiveSettings

log = logging.getLogger(__name__)


def start_osc(s: LiveSettings, stack: contextlib.ExitStack, inbox, preset_check=None):
    """The OSC server, started; None when off, or when the default port is taken (a warning says so)."""
    from livedream.control_in.osc_server import OscServer

    if s.osc_port is None:
        return None
    server = OscServer(s.osc_host, s.osc_port, inbox, preset_check)
    try:
        server.start()
    except LivedreamError as exc:
        if s.osc_port_given:
            raise
        log.warning("OSC is off: %s", exc)
        return None
    stack.callback(server.stop)
    return server


def start_web(s: LiveSettings, stack: contextlib.ExitStack, inbox, library, osc):
    """The control page and OSCQuery server, started (a taken port raises here); None when off."""
    if s.web_port is None:
        return None
    from livedream.control_in.inbox import ControlInbox
    from livedream.control_in.web.server import WebServer

    server = WebServer(
        s.web_host,
        s.web_port,
        inbox or ControlInbox(),
        presets=library.names,
        osc_host=s.osc_host,
        osc_port=osc.port if osc is not None else None,
        advertise=s.advertise,
    )
    server.start()
    stack.callback(server.stop)
    return server


def meter(session) -> dict[str, Any]:
    """What the page's meter shows; read on the web server's thread (each value is replaced whole, never mutated)."""
    latest, last = session.feed.latest, session.stats.last
    return {
        "level": round(float(session.feed.level), 5),
        "tempo_bpm": round(float(latest.tempo_bpm), 1),
        "beat_phase": round(float(latest.beat_phase), 3),
        "fps": last.get("fps") or 0.0,
    }


def start_midi(s: LiveSettings, stack: contextlib.ExitStack, inbox):
    """(the TempoSelector, the MidiInput or None, the Learner or None): MIDI ports open, the clock listening."""
    from livedream.control.midi_clock import MidiClock
    from livedream.control.tempo import BeatsTempo, TapTempo, TempoSelector

    if s.tempo == "midi" and not s.midi:
        raise LivedreamError("--tempo midi needs a MIDI input sending clock: add --midi PORT")
    clock = MidiClock() if s.midi else None
    tempo = TempoSelector(s.tempo, midi=clock, tap=TapTempo(), beats=BeatsTempo())
    if not s.midi:
        return tempo, None, None
    from livedream.control_in.midi import MidiInput
    from livedream.control_in.midi_learn import Learner
    from livedream.control_in.midi_map import DEFAULT_PATH, MidiMapFile

    mapfile = MidiMapFile(s.midi_map or DEFAULT_PATH)
    learner = Learner(mapfile)
    midi = MidiInput(s.midi, inbox, mapfile, clock, learner)
    stack.callback(midi.stop)  # before start(): a port that fails to open closes those opened before it
    midi.start()
    return tempo, midi, learner
