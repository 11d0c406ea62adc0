"""The MIDI mapping file: `cc CH NUM: target [curve=lin|log]` and `note CH NUM: action`, validated, hot-reloaded.

    cc 1 21: pulse_react              # a knob over the parameter's range, with the table's fader curve
    cc 1 22: flash_strength curve=log # another curve for this knob
    note 10 36: flash_trigger         # a pad: a one-shot flash at the pad's velocity
    note 1 60: preset rave            # a key: switch preset

Channels are 1-16 (as controllers print them), controller and note numbers 0-127. A note on a switch
parameter toggles it; on a number it sets it from the velocity (through the curve). An action on a CC
fires when the CC rises past 63 (a button that sends CCs).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from livedream.control_in.inbox import Command
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, Param

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("~/.config/livedream/midi.yaml")
MAX_BYTES = 256 * 1024
MAX_ENTRIES = 4096
MAX_NESTING = 8  # brackets or indentation levels: checked before YAML sees the text (its parser recurses)
# Actions a note (or a CC button) can fire, besides parameters: name -> what it does (the docs list them).
ACTIONS: dict[str, str] = {
    "preset NAME": "switch to a preset, crossfading over preset_fade_s",
    "reseed": "new random anchors and directions",
    "freeze": "hold the picture / let it go (toggles)",
    "blackout": "fade to black / back (toggles)",
    "tap": "tap tempo, one tap a beat",
    "flash_trigger": "a one-shot flash, as bright as the pad was hit",
    "pulse_trigger": "a one-shot pulse, as hard as the pad was hit",
}
_PLAIN_ACTIONS = ("reseed", "freeze", "blackout", "tap", "flash_trigger", "pulse_trigger")
_KEY = re.compile(r"^\s*(cc|note)\s+(\S+)\s+(\S+)\s*$", re.IGNORECASE)
_PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Binding:
    """One control -> one target. target is a parameter name, an action, or "preset" with preset set."""

    kind: str  # "cc" or "note"
    channel: int  # 1-16
    number: int  # 0-127
    target: str
    curve: str | None = None  # overrides the parameter's own curve
    preset: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind} {self.channel} {self.number}"

    @property
    def value_text(self) -> str:
        if self.preset is not None:
            return f"preset {self.preset}"
        return self.target + (f" curve={self.curve}" if self.curve else "")


def learnable(target: str) -> bool:
    """A parameter a fader can reach, or an action (what MIDI learn and the file accept)."""
    p = BY_NAME.get(target)
    if p is not None:
        return p.kind != "int_list"
    return target in _PLAIN_ACTIONS or target.startswith("preset ")


def parse_binding(key: Any, value: Any, source: str = "") -> Binding:
    """One entry of the file; raises LivedreamError naming what is wrong."""
    where = f"{source}: " if source else ""
    m = _KEY.match(str(key)) if isinstance(key, str) else None
    if m is None:
        raise LivedreamError(f"{where}{key!r}: expected 'cc CHANNEL NUMBER' or 'note CHANNEL NUMBER'")
    kind, ch_text, num_text = m.group(1).lower(), m.group(2), m.group(3)
    channel = _whole(ch_text)
    if channel is None or not 1 <= channel <= 16:
        raise LivedreamError(f"{where}{key!r}: channel {ch_text} is out of 1-16")
    number = _whole(num_text)
    if number is None or not 0 <= number <= 127:
        what = "controller number" if kind == "cc" else "note number"
        raise LivedreamError(f"{where}{key!r}: {what} {num_text} is out of 0-127")
    if not isinstance(value, str) or not value.split():
        raise LivedreamError(f"{where}{key!r}: expected a parameter or an action, got {value!r}")
    words = value.split()
    target, options = words[0], words[1:]
    if target == "preset":
        if len(options) != 1 or not _PRESET_NAME.fullmatch(options[0]) or ".." in options[0]:
            raise LivedreamError(f"{where}{key!r}: expected 'preset NAME' with a plain preset name, got {value!r}")
        return Binding(kind, channel, number, "preset", preset=options[0])
    if target not in BY_NAME and target not in _PLAIN_ACTIONS:
        raise LivedreamError(
            f"{where}{key!r}: unknown parameter or action {target!r}; actions: {', '.join(ACTIONS)}; "
            "parameters: see `livedream docs midi`"
        )
    if target in BY_NAME and BY_NAME[target].kind == "int_list":
        raise LivedreamError(f"{where}{key!r}: {target} is a list and cannot be set from one control")
    curve = None
    for opt in options:
        name, _, val = opt.partition("=")
        if name != "curve" or val not in ("lin", "log") or target not in BY_NAME:
            raise LivedreamError(f"{where}{key!r}: unknown option {opt!r}; a parameter takes curve=lin or curve=log")
        curve = val
    return Binding(kind, channel, number, target, curve=curve)


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,3}", text) else None


class MidiMap:
    """The bindings, by (kind, channel, number); decode() turns one incoming message into a Command."""

    def __init__(self, bindings: Mapping[tuple[str, int, int], Binding] | None = None):
        self.bindings = dict(bindings or {})
        self._cc_high: dict[tuple[int, int], bool] = {}  # CC buttons: was the last value above 63?

    @staticmethod
    def parse(data: Any, source: str = "") -> MidiMap:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise LivedreamError(f"{source}: a MIDI map must be a mapping of 'cc CH NUM' or 'note CH NUM': target")
        if len(data) > MAX_ENTRIES:
            raise LivedreamError(f"{source}: {len(data)} entries; at most {MAX_ENTRIES}")
        bindings = {}
        for key, value in data.items():
            b = parse_binding(key, value, source)
            bindings[(b.kind, b.channel, b.number)] = b
        return MidiMap(bindings)

    def with_binding(self, b: Binding) -> MidiMap:
        """A copy with b added; b replaces any binding of the same control and any other control of b's target."""
        kept = {k: v for k, v in self.bindings.items() if (v.target, v.preset) != (b.target, b.preset)}
        kept[(b.kind, b.channel, b.number)] = b
        return MidiMap(kept)

    def dump(self) -> str:
        lines = [
            "# livedream MIDI map: 'cc CHANNEL NUMBER' or 'note CHANNEL NUMBER': target (see `livedream docs midi`)"
        ]
        for b in sorted(self.bindings.values(), key=lambda b: (b.kind, b.channel, b.number)):
            lines.append(f"{b.key}: {b.value_text}")
        return "\n".join(lines) + "\n"

    def decode(self, kind: str, channel: int, number: int, value: int) -> Command | None:
        """kind "cc" (value 0-127) or "note" (a note-on, value the velocity 1-127); channel 1-16."""
        b = self.bindings.get((kind, channel, number))
        if b is None:
            return None
        if kind == "cc" and (b.target not in BY_NAME or BY_NAME[b.target].kind == "bool"):
            high = value >= 64  # a button: act on the press only
            was = self._cc_high.get((channel, number), False)
            self._cc_high[(channel, number)] = high
            if b.target in BY_NAME:
                return Command("param", b.target, high)
            if not high or was:
                return None
        x = value / 127.0
        if b.preset is not None:
            return Command("preset", b.preset)
        if b.target in BY_NAME:
            p = BY_NAME[b.target]
            if kind == "note" and p.kind == "bool":
                return Command("toggle", p.name)
            return Command("param", p.name, _with_curve(p, b.curve).from_norm(x))
        if b.target in ("freeze", "blackout"):
            return Command(b.target, value="toggle")
        if b.target in ("flash_trigger", "pulse_trigger"):
            return Command(b.target.split("_")[0], value=x if kind == "note" else 1.0)
        return Command(b.target)  # reseed, tap


def _with_curve(p: Param, curve: str | None) -> Param:
    return p if curve is None or curve == p.curve else dataclasses.replace(p, curve=curve)


def _nesting(text: str) -> int:
    """The deepest bracket nesting, or indentation in steps of two, anywhere in text (a cheap scan)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    indents = [len(line) - len(line.lstrip(" ")) for line in text.splitlines() if line.strip()]
    return max(deepest, max(indents, default=0) // 2)


def load_map(path: Path) -> MidiMap:
    """Read and validate a mapping file (one line naming the problem); a missing file is an empty map."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise LivedreamError(f"{path}: larger than {MAX_BYTES // 1024} KiB; not a MIDI map")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return MidiMap()
    except (OSError, UnicodeDecodeError) as exc:
        raise LivedreamError(f"{path}: cannot read the MIDI map: {exc}") from None
    if _nesting(text) > MAX_NESTING:
        raise LivedreamError(f"{path}: nested more than {MAX_NESTING} deep; a MIDI map is one 'control: target' a line")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LivedreamError(f"{path}: not valid YAML{f' at line {mark.line + 1}' if mark else ''}") from None
    except RecursionError:
        raise LivedreamError(f"{path}: nested too deeply; not a MIDI map") from None
    return MidiMap.parse(data, str(path))


class MidiMapFile:
    """The mapping file during a set: reloaded when it changes; a broken edit is logged once, the last good one stays.

    `map` is replaced whole (an attribute assignment), so the receiver thread can read it without a lock.
    """

    def __init__(self, path: Path):
        self.path = Path(path).expanduser()
        self.map = load_map(self.path)  # a broken file at start-up is an error
        self._seen = _signature(self.path)

    def poll(self) -> bool:
        """Reload if the file changed; True when a new map is in force."""
        sig = _signature(self.path)
        if sig == self._seen:
            return False
        self._seen = sig
        try:
            new = load_map(self.path)
        except LivedreamError as exc:
            log.error("MIDI map reload failed, keeping the last good one: %s", exc)
            return False
        self.map = new
        log.info("MIDI map %s reloaded: %d binding(s)", self.path, len(new.bindings))
        return True

    def bind(self, b: Binding) -> None:
        """Add a binding and write the file atomically (MIDI learn); the user's file is replaced whole or not at all."""
        from livedream.util.atomic import atomic_output

        new = self.map.with_binding(b)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(self.path) as tmp:
            tmp.write_text(new.dump(), encoding="utf-8")
        self.map = new
        self._seen = _signature(self.path)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
