"""MIDI in: ports over JACK (when a JACK server runs) or ALSA; CCs and notes -> the control inbox, clock -> MidiClock.

rtmidi queues what arrives (in C++, on JACK's or ALSA's own thread: no Python runs there, so the real-time
thread never waits for the GIL); one thread here drains the queues every POLL_S, decodes each message
(mido), checks it and turns it into a Command for the same ControlInbox as OSC, or a tick/start/stop for the
MidiClock. Arrival times come from rtmidi's own delta times, anchored to time.monotonic() by the smallest
lag seen, so polling adds no jitter to the clock. SysEx and active sensing are dropped by rtmidi itself, so a
flood of them costs nothing here. Twice a second the same thread checks the ports: a port that vanished is
logged and closed, and reopened when it comes back; and it reloads the mapping file when it changes.
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
from livedream.control_in.midi_ports import CLIENT_NAME, match_port, open_api, same_port
from livedream.control_in.midi_ports import rtmidi_module as _rtmidi
from livedream.control_in.ratelimit import RateLimitedLog
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

WATCH_S = 0.5  # how often ports and the mapping file are checked
POLL_S = 0.002  # how often rtmidi's queues are drained
START_WAIT_S = 2.0  # how long an empty port list is asked again at start-up
QUEUE_SIZE = 4096
DRIFT = 1e-4  # s/s: the most the MIDI system's clock may run slow against time.monotonic() (100 ppm)  # messages rtmidi holds per port between two drains (a flood beyond it is dropped there)


class _Port:
    """One --midi argument: the rtmidi input while its port exists."""

    def __init__(self, spec: str):
        self.spec = spec
        self.name: str | None = None
        self.midi_in: Any = None
        self.clock_s = 0.0  # the sum of rtmidi's delta times: arrival times on the MIDI system's clock
        self.offset: float | None = None  # time.monotonic() - clock_s, the smallest seen (the least polling lag)
        self._polled_at = 0.0

    def arrived(self, delta: float, polled_at: float) -> float:
        """The time.monotonic() at which a message arrived, from its delta time and when it was polled.

        The offset between the two clocks is the smallest lag seen, let up by DRIFT a second so that it
        follows a MIDI clock that runs slightly slow as well as one that runs fast."""
        self.clock_s += max(0.0, float(delta))
        lag = polled_at - self.clock_s
        if self.offset is None:
            self.offset = lag
        else:
            self.offset = min(self.offset + DRIFT * max(0.0, polled_at - self._polled_at), lag)
        self._polled_at = polled_at
        return self.clock_s + self.offset


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
        self._mido: Any = None
        self._probe: Any = None  # one client kept for listing ports (opening one per check would churn JACK)

    def start(self) -> MidiInput:
        """Open every port now; a port that does not exist is an error listing the ports there are."""
        import mido  # here, not on the first message: an import holds the GIL long enough to drop frames

        self._mido = mido
        self.api, self.api_name = open_api()
        self._probe = _rtmidi().MidiIn(self.api, name=f"{CLIENT_NAME}-watch")
        names = self._names()
        deadline = time.monotonic() + START_WAIT_S
        while not names and time.monotonic() < deadline:
            time.sleep(0.25)  # a busy JACK server may answer a new client's first query with nothing
            names = self._fresh_names()
        for port in self.ports:
            name = match_port(port.spec, names)
            if name is None:
                listed = ", ".join(repr(n) for n in names) or "none"
                several = sum(port.spec.lower() in n.lower() for n in names) > 1
                what = "names more than one MIDI port; give more of the name" if several else "no such MIDI port"
                raise LivedreamError(f"--midi {port.spec}: {what} ({self.api_name}); ports: {listed}")
            self._open(port, name)
        self._thread = threading.Thread(target=self._run, name="midi", daemon=True)
        self._thread.start()
        return self

    def _names(self) -> list[str]:
        return [str(n) for n in self._probe.get_ports()]

    def _fresh_names(self) -> list[str]:
        """The port list from a new listing client: a JACK client the server found too slow lists nothing."""
        if self._probe is not None:
            self._probe.delete()
        self._probe = _rtmidi().MidiIn(self.api, name=f"{CLIENT_NAME}-watch")
        return self._names()

    def _open(self, port: _Port, name: str) -> None:
        rtmidi = _rtmidi()
        midi_in = rtmidi.MidiIn(self.api, name=CLIENT_NAME, queue_size_limit=QUEUE_SIZE)
        midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
        try:
            midi_in.open_port(list(midi_in.get_ports()).index(name), name="in")
        except (ValueError, rtmidi.SystemError, rtmidi.InvalidPortError) as exc:
            midi_in.delete()
            raise LivedreamError(f"--midi {port.spec}: cannot open {name!r}: {exc}") from None
        port.name, port.midi_in = name, midi_in
        port.clock_s, port.offset = 0.0, None
        log.info("MIDI: listening to %s (%s)", name, self.api_name)

    def _close(self, port: _Port) -> None:
        if port.midi_in is not None:
            port.midi_in.close_port()
            port.midi_in.delete()
        port.midi_in = None

    def _run(self) -> None:
        next_check = time.monotonic() + WATCH_S
        while not self._stop.wait(POLL_S):
            for port in self.ports:
                self._drain(port)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + WATCH_S
                try:
                    self._check()
                except Exception as exc:  # noqa: BLE001 - the thread must outlive anything a MIDI system does
                    self._warn.warn("watch", f"checking the ports failed: {exc}")

    def _drain(self, port: _Port) -> None:
        midi_in = port.midi_in
        while midi_in is not None:
            got = midi_in.get_message()
            if got is None:
                return
            raw, delta = got
            self._on_message(raw, port.arrived(delta, time.monotonic()))

    def _check(self) -> None:
        self.mapfile.poll()
        names = self._names()
        if any(p.midi_in is not None and p.name not in names for p in self.ports):
            names = self._fresh_names()  # ask again before calling a port gone
        for port in self.ports:
            if port.midi_in is not None and port.name not in names:
                log.warning("MIDI: port %s is gone; the picture goes on, reconnecting when it returns", port.name)
                self._close(port)
            if port.midi_in is None:
                taken = {p.name for p in self.ports if p.midi_in is not None}
                name = same_port(port.name, [n for n in names if n not in taken])
                if name is not None:
                    try:
                        self._open(port, name)
                    except LivedreamError as exc:
                        self._warn.warn(port.spec, str(exc))
                        continue
                    self.counters["reconnects"] += 1
                    log.warning("MIDI: port %s is back", name)

    def _on_message(self, raw: list[int], at: float) -> None:
        """One message, arrived at time.monotonic() `at`. Never raises: a malformed message is logged, never fatal."""
        try:
            self._handle(raw, at)
        except Exception as exc:  # noqa: BLE001 - whatever a sender puts on the wire
            self.counters["refused"] += 1
            self._warn.warn("bad", f"message {raw[:8]!r} refused: {exc}")

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
        msg = self._mido.Message.from_bytes(raw)  # checks lengths and data bytes (ValueError)
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
