"""MIDI in: ports over JACK (when a JACK server runs) or ALSA; CCs and notes -> the control inbox, clock -> MidiClock.

python-rtmidi delivers each message on its own thread; here it is decoded (mido), checked and turned into a
Command for the same ControlInbox as OSC, or a tick/start/stop for the MidiClock. SysEx and active sensing
are dropped by rtmidi itself, so a flood of them costs nothing here. A watcher thread checks the ports
twice a second: a port that vanished is logged and closed, and reopened when it comes back; it also
reloads the mapping file when it changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from livedream.control.midi_clock import MidiClock
from livedream.control_in.inbox import ControlInbox
from livedream.control_in.midi_map import MidiMapFile
from livedream.control_in.ratelimit import RateLimitedLog
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

WATCH_S = 0.5  # how often ports and the mapping file are checked
CLIENT_NAME = "livedream"
INSTALL_HINT = "MIDI needs python-rtmidi and mido: pip install 'livedream[midi]'"


def _rtmidi():
    try:
        import rtmidi
    except ImportError:
        raise LivedreamError(INSTALL_HINT) from None
    return rtmidi


def open_api() -> tuple[int, str]:
    """(rtmidi API, its name): JACK when a JACK server runs, else ALSA (else the platform's default)."""
    rtmidi = _rtmidi()
    compiled = rtmidi.get_compiled_api()
    for api in (rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA):
        if api not in compiled:
            continue
        try:
            probe = rtmidi.MidiIn(api, name=f"{CLIENT_NAME}-probe")
        except rtmidi.SystemError:
            continue
        probe.delete()
        return api, rtmidi.get_api_name(api)
    others = [a for a in compiled if a not in (rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA)]
    if others:  # macOS CoreMIDI, Windows MM
        return others[0], rtmidi.get_api_name(others[0])
    raise LivedreamError("no MIDI system: no JACK server runs and ALSA's sequencer (/dev/snd/seq) cannot be opened")


def port_names(api: int | None = None) -> list[str]:
    """The MIDI ports livedream can listen to now."""
    rtmidi = _rtmidi()
    api = open_api()[0] if api is None else api
    try:
        probe = rtmidi.MidiIn(api, name=f"{CLIENT_NAME}-list")
    except rtmidi.SystemError as exc:
        raise LivedreamError(f"cannot list MIDI ports: {exc}") from None
    try:
        return [str(n) for n in probe.get_ports()]
    finally:
        probe.delete()


def match_port(spec: str, names: Sequence[str]) -> str | None:
    """The port a --midi argument means: an exact name, an index into the list, or a unique part of a name."""
    if spec in names:
        return spec
    if spec.isdigit() and int(spec) < len(names):
        return names[int(spec)]
    hits = [n for n in names if spec.lower() in n.lower()]
    return hits[0] if len(hits) == 1 or (hits and all(h.startswith(hits[0]) for h in hits)) else None


class _Port:
    """One --midi argument: the rtmidi input while its port exists."""

    def __init__(self, spec: str):
        self.spec = spec
        self.name: str | None = None
        self.midi_in: Any = None


class MidiInput:
    """Listens to some ports; decoded CCs and notes go to the inbox (through the map, or to the learner)."""

    def __init__(
        self,
        specs: Sequence[str],
        inbox: ControlInbox,
        mapfile: MidiMapFile,
        clock: MidiClock | None = None,
        learner: Any = None,  # control_in.midi_learn.Learner
    ):
        self.inbox, self.mapfile, self.clock, self.learner = inbox, mapfile, clock, learner
        self.ports = [_Port(s) for s in specs]
        self.counters = {"messages": 0, "refused": 0, "reconnects": 0}
        self._warn = RateLimitedLog("MIDI: ")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.api: int | None = None
        self.api_name = ""
        self._probe: Any = None  # one client kept for listing ports (opening one per check would churn JACK)

    def start(self) -> MidiInput:
        """Open every port now; a port that does not exist is an error listing the ports there are."""
        self.api, self.api_name = open_api()
        self._probe = _rtmidi().MidiIn(self.api, name=f"{CLIENT_NAME}-watch")
        names = self._names()
        for port in self.ports:
            name = match_port(port.spec, names)
            if name is None:
                listed = ", ".join(repr(n) for n in names) or "none"
                raise LivedreamError(f"--midi {port.spec}: no such MIDI port ({self.api_name}); ports: {listed}")
            self._open(port, name)
        self._thread = threading.Thread(target=self._watch, name="midi-watch", daemon=True)
        self._thread.start()
        return self

    def _names(self) -> list[str]:
        return [str(n) for n in self._probe.get_ports()]

    def _open(self, port: _Port, name: str) -> None:
        rtmidi = _rtmidi()
        midi_in = rtmidi.MidiIn(self.api, name=CLIENT_NAME)
        midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
        midi_in.set_callback(self._on_message)
        try:
            midi_in.open_port(list(midi_in.get_ports()).index(name), name="in")
        except (ValueError, rtmidi.SystemError, rtmidi.InvalidPortError) as exc:
            midi_in.delete()
            raise LivedreamError(f"--midi {port.spec}: cannot open {name!r}: {exc}") from None
        port.name, port.midi_in = name, midi_in
        log.info("MIDI: listening to %s (%s)", name, self.api_name)

    def _close(self, port: _Port) -> None:
        if port.midi_in is not None:
            port.midi_in.cancel_callback()
            port.midi_in.close_port()
            port.midi_in.delete()
        port.midi_in = None

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_S):
            try:
                self._check()
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive anything a MIDI system does
                self._warn.warn("watch", f"checking the ports failed: {exc}")

    def _check(self) -> None:
        self.mapfile.poll()
        names = self._names()
        for port in self.ports:
            if port.midi_in is not None and port.name not in names:
                log.warning("MIDI: port %s is gone; the picture goes on, reconnecting when it returns", port.name)
                self._close(port)
            if port.midi_in is None:
                name = match_port(port.spec, names)
                if name is not None:
                    try:
                        self._open(port, name)
                    except LivedreamError as exc:
                        self._warn.warn(port.spec, str(exc))
                        continue
                    self.counters["reconnects"] += 1
                    log.warning("MIDI: port %s is back", name)

    def _on_message(self, event: tuple[list[int], float], data: Any = None) -> None:
        """rtmidi's thread: one message. Never raises (an exception here would end rtmidi's thread)."""
        at = time.monotonic()
        try:
            self._handle(event[0], at)
        except Exception as exc:  # noqa: BLE001 - a malformed message is logged, never fatal
            self.counters["refused"] += 1
            self._warn.warn("bad", f"message {event[0][:8]!r} refused: {exc}")

    def _handle(self, raw: list[int], at: float) -> None:
        self.counters["messages"] += 1
        status = raw[0] if raw else 0
        clock = self.clock
        if status >= 0xF0:  # system messages: clock and transport
            if clock is None:
                return
            if status == 0xF8:
                clock.tick(at)
            elif status == 0xFA:
                clock.start(at)
            elif status == 0xFB:
                clock.continue_(at)
            elif status == 0xFC:
                clock.stop(at)
            elif status == 0xF2 and len(raw) == 3:
                clock.song_position(raw[1] | (raw[2] << 7), at)
            return
        import mido

        msg = mido.Message.from_bytes(raw)  # checks lengths and data bytes (ValueError)
        if msg.type == "control_change":
            kind, number, value = "cc", msg.control, msg.value
        elif msg.type == "note_on" and msg.velocity > 0:
            kind, number, value = "note", msg.note, msg.velocity
        else:
            return  # note-offs, pitch bend, aftertouch: nothing to do
        channel = msg.channel + 1
        if self.learner is not None and self.learner.offer(kind, channel, number):
            return
        cmd = self.mapfile.map.decode(kind, channel, number, value)
        if cmd is not None:
            self.inbox.put(cmd, at)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for port in self.ports:
            self._close(port)
        if self._probe is not None:
            self._probe.delete()
            self._probe = None
