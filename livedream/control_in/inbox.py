"""The one queue of control changes: OSC, MIDI and the web page put validated Commands; the main thread drains it."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_TAPS = 16


@dataclass(frozen=True)
class Command:
    """One valid message: kind is "param", "preset", "tap", "freeze", "blackout", "reseed", "sync", "learn"
    (name: the parameter or action to learn; "" cancels), "toggle" (name: a switch parameter to flip), or
    "flash" / "pulse" (a one-shot, value 0..1)."""

    kind: str
    name: str = ""  # the parameter or preset name
    value: Any = None


@dataclass
class Drained:
    """What arrived since the last drain: at most one value per parameter, the newest."""

    preset: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    before_preset: dict[str, Any] = field(default_factory=dict)  # params sent before the preset: kept if it fails
    freeze: bool | Literal["toggle"] | None = None  # "toggle" flips it (a MIDI pad)
    blackout: bool | Literal["toggle"] | None = None
    taps: list[float] = field(default_factory=list)  # time.monotonic() of each tap, as received
    reseed: bool = False
    sync: bool = False
    learn: str | None = None  # a target to learn ("" cancels learning)
    shots: dict[str, float] = field(default_factory=dict)  # "flash" / "pulse" -> the strongest hit
    toggles: list[str] = field(default_factory=list)  # switch parameters to flip (a MIDI pad), in order

    def __bool__(self) -> bool:
        return (
            bool(self.preset or self.params or self.taps or self.reseed or self.sync or self.shots or self.toggles)
            or self.freeze is not None
            or self.blackout is not None
            or self.learn is not None
        )


class ControlInbox:
    """Bounded and coalescing: the newest value per parameter wins, so a flood cannot grow it or slow the drain.

    A preset switch sets aside the parameter changes queued before it (the preset overrides them; they
    apply only if the switch fails); those sent after it are applied after it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = Drained()
        self._taps: collections.deque[float] = collections.deque(maxlen=MAX_TAPS)

    def put(self, cmd: Command, at: float) -> None:
        with self._lock:
            d = self._pending
            if cmd.kind == "param":
                d.params[cmd.name] = cmd.value
            elif cmd.kind == "preset":
                d.before_preset.update(d.params)
                d.preset, d.params = cmd.name, {}
            elif cmd.kind in ("freeze", "blackout"):
                setattr(d, cmd.kind, cmd.value)
            elif cmd.kind == "tap":
                self._taps.append(at)
            elif cmd.kind == "reseed":
                d.reseed = True
            elif cmd.kind == "sync":
                d.sync = True
            elif cmd.kind == "toggle" and len(d.toggles) < MAX_TAPS:
                d.toggles.append(cmd.name)
            elif cmd.kind == "learn":
                d.learn = cmd.name
            elif cmd.kind in ("flash", "pulse"):
                d.shots[cmd.kind] = max(d.shots.get(cmd.kind, 0.0), float(cmd.value))

    def drain(self) -> Drained:
        with self._lock:
            out, self._pending = self._pending, Drained()
            out.taps = list(self._taps)
            self._taps.clear()
        return out
