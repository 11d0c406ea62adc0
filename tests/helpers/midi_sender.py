"""A MIDI sender for the live tests: a separate process with a JACK MIDI output port (python-rtmidi's JACK API).

Usage: python midi_sender.py CLIENT_NAME; then one command a line on stdin, each answered with a line on stdout:
  cc CH NUM VALUE | note CH NUM VELOCITY | raw BYTE BYTE ...     one message (channels from 1)
  clock BPM                                                       Start, then 24 ticks a beat until `stop`
  stop | continue | spp SIXTEENTHS                                transport (the ticks go on while stopped)
  sysex N                                                         N SysEx messages of 64 bytes, back to back
  quit
`clock` answers "t0 <time.monotonic() of the first tick>".
"""

from __future__ import annotations

import sys
import threading
import time

import rtmidi


class Clock(threading.Thread):
    def __init__(self, out, bpm: float, lock: threading.Lock):
        super().__init__(daemon=True)
        self.out, self.period, self.lock = out, 60.0 / (bpm * 24), lock
        self.halt = threading.Event()
        self.t0 = time.monotonic() + 0.05

    def run(self) -> None:
        with self.lock:
            self.out.send_message([0xFA])  # Start: the next tick is beat 0
        i = 0
        while not self.halt.is_set():
            due = self.t0 + i * self.period
            while (now := time.monotonic()) < due:
                time.sleep(min(0.0005, due - now))
            with self.lock:
                self.out.send_message([0xF8])
            i += 1


def main() -> None:
    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=sys.argv[1])
    out.open_virtual_port("out")
    lock = threading.Lock()
    clock = None
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], [int(float(w)) for w in words[1:]] if words[0] != "clock" else []
        reply = "ok"
        with lock:
            if cmd == "cc":
                out.send_message([0xB0 | (args[0] - 1), args[1], args[2]])
            elif cmd == "note":
                out.send_message([0x90 | (args[0] - 1), args[1], args[2]])
            elif cmd == "raw":
                out.send_message(args)
            elif cmd == "stop":
                out.send_message([0xFC])
            elif cmd == "continue":
                out.send_message([0xFB])
            elif cmd == "spp":
                out.send_message([0xF2, args[0] & 0x7F, args[0] >> 7])
            elif cmd == "sysex":
                pass  # below, without holding the lock for long: the clock goes on meanwhile
        if cmd == "sysex":
            for i in range(args[0]):
                with lock:
                    out.send_message([0xF0, 0x7D, *([i % 128] * 62), 0xF7])
                if i % 20 == 19:
                    time.sleep(0.001)  # JACK's ring buffer between this process and the server is 16 KiB
        if cmd == "clock":
            clock = Clock(out, float(words[1]), lock)
            clock.start()
            reply = f"t0 {clock.t0:.6f}"
        elif cmd == "quit":
            break
        print(reply, flush=True)
    if clock is not None:
        clock.halt.set()
        clock.join()
    time.sleep(0.2)  # let JACK deliver what is queued
    out.close_port()


if __name__ == "__main__":
    main()
