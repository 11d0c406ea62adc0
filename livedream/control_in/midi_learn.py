"""MIDI learn: the next CC or note that moves is bound to the parameter (or action) being learned, and saved."""

from __future__ import annotations

import logging
import threading

from livedream.control_in.midi_map import Binding, MidiMapFile, learnable
from livedream.errors import LivedreamError
from livedream.params import PARAMS

log = logging.getLogger(__name__)

# What `L` in the window steps through: the faders a VJ rides first, then every other parameter, then the actions.
FIRST = ("pulse_react", "motion_react", "speed_fpm", "speed_beats", "truncation", "flash_strength", "contrast_strength")
TARGETS: tuple[str, ...] = (
    *FIRST,
    *(p.name for p in PARAMS if p.name not in FIRST and learnable(p.name)),
    "flash_trigger",
    "pulse_trigger",
    "tap",
    "reseed",
    "freeze",
    "blackout",
)


class Learner:
    """Waits for one control, on the MIDI thread; started and cancelled from the main thread (a lock between)."""

    def __init__(self, mapfile: MidiMapFile):
        self.mapfile = mapfile
        self._lock = threading.Lock()
        self._target: str | None = None
        self.last: str | None = None  # the binding learned last, as written in the file

    @property
    def target(self) -> str | None:
        return self._target

    def start(self, target: str) -> None:
        if not learnable(target):
            log.error("MIDI learn: %r is not a parameter a control can set, nor an action", target)
            return
        with self._lock:
            self._target = target
        log.info("MIDI learn: move a control to bind it to %s (Esc cancels)", target)

    def step(self) -> str:
        """The next target after the one being learned (the window's L key); starts learning it."""
        now = self._target
        i = TARGETS.index(now) + 1 if now in TARGETS else 0
        self.start(TARGETS[i % len(TARGETS)])
        return TARGETS[i % len(TARGETS)]

    def cancel(self) -> None:
        with self._lock:
            was, self._target = self._target, None
        if was is not None:
            log.info("MIDI learn of %s cancelled", was)

    def offer(self, kind: str, channel: int, number: int) -> bool:
        """A CC or note-on arrived (MIDI thread): bind it if learning; True when it was taken for that."""
        with self._lock:
            target, self._target = self._target, None
        if target is None:
            return False
        if target.startswith("preset "):
            b = Binding(kind, channel, number, "preset", preset=target.split(None, 1)[1])
        else:
            b = Binding(kind, channel, number, target)
        try:
            self.mapfile.bind(b)
        except (OSError, LivedreamError) as exc:
            log.error("MIDI learn: cannot write %s: %s", self.mapfile.path, exc)
            return True
        self.last = f"{b.key}: {b.value_text}"
        log.info("MIDI learn: %s (saved in %s)", self.last, self.mapfile.path)
        return True
