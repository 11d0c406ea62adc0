"""The OSC address space, derived from the parameter table: an incoming message -> one validated Command."""

from __future__ import annotations

import math
from typing import Any

from livedream.control_in.inbox import Command
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, PARAMS, Param

PREFIX = "/livedream"
NORM = f"{PREFIX}/norm"
# Commands that are not parameters: address tail -> (arguments, what it does). The docs are generated from this.
COMMANDS: dict[str, tuple[str, str]] = {
    "preset": (
        "NAME",
        "Switch to a preset (shipped, or in the startup preset's folder), crossfading over preset_fade_s.",
    ),
    "preset/<NAME>": ("[1]", "The same, for a button: acts on press (a non-zero argument, or none)."),
    "tap": ("[1]", "Tap tempo, one tap a beat: after two or more taps class_shuffle_seconds snaps to whole bars."),
    "freeze": ("0|1", "1 holds the picture (the controller stops; flash and contrast still follow the audio)."),
    "blackout": ("0|1", "1 fades the window to black in a quarter of a second; 0 fades back."),
    "reseed": ("[1]", "New random anchors and directions (a new seed): the picture jumps to a new place."),
    "sync": ("[1]", "Send every value in force to --osc-reply now (a tablet that just connected)."),
    "learn": (
        "NAME",
        "MIDI learn: the next MIDI CC or note that moves is bound to this parameter or action and saved in the "
        "mapping file; an empty name or `cancel` cancels (see docs/midi.md).",
    ),
    "flash": ("[x]", "A one-shot flash of x in [0, 1] (default 1), whatever flash_strength is."),
    "pulse": ("[x]", "A one-shot pulse of x in [0, 1] (default 1), times pulse_react."),
}
_NULL_WORDS = ("null", "none", "off", "")


class Refused(LivedreamError):
    """A message livedream will not act on; the text says why, for the (rate-limited) log."""


def decode(address: str, args: list[Any]) -> Command | None:
    """The command a message asks for; None for a button's release (nothing to do). Raises Refused."""
    if not address.startswith(PREFIX + "/"):
        raise Refused(f"unknown address {address!r} (livedream listens under {PREFIX}/)")
    tail = address[len(PREFIX) + 1 :]
    if tail in BY_NAME:
        return Command("param", tail, _param_value(BY_NAME[tail], args))
    if tail.startswith("norm/") and tail[5:] in BY_NAME:
        p = BY_NAME[tail[5:]]
        x = _one(address, args)
        return Command("param", p.name, _refusing(p.from_norm, _number(address, x)))
    if tail == "preset":
        name = _one(address, args)
        if not isinstance(name, str):
            raise Refused(f"{address}: expected a preset name (a string), got {name!r}")
        return Command("preset", name)
    if tail.startswith("preset/") and len(tail) > 7:
        return Command("preset", tail[7:]) if _pressed(address, args) else None
    if tail in ("freeze", "blackout"):
        return Command(tail, value=_switch(address, _one(address, args)))
    if tail in ("tap", "reseed", "sync"):
        return Command(tail) if _pressed(address, args) else None
    if tail == "learn":
        return _learn(address, args)
    if tail in ("flash", "pulse"):
        x = 1.0 if not args else _number(address, _one(address, args))
        if not 0.0 <= x <= 1.0:
            raise Refused(f"{address}: {x!r} is out of [0, 1]")
        return Command(tail, value=float(x)) if x > 0 else None
    raise Refused(f"unknown address {address!r}; see `livedream docs osc`")


def _learn(address: str, args: list[Any]) -> Command:
    from livedream.control_in.midi_map import learnable

    name = _one(address, args) if args else ""
    if not isinstance(name, str):
        raise Refused(f"{address}: expected a parameter or action name (a string), got {name!r}")
    name = " ".join(name.split())
    if name.lower() in ("", "cancel", "off", "none"):
        return Command("learn", "")
    if not learnable(name):
        raise Refused(f"{address}: {name!r} is neither a parameter a control can set nor an action")
    return Command("learn", name)


def _param_value(p: Param, args: list[Any]) -> Any:
    if p.kind == "int_list":
        if not args or (len(args) == 1 and (args[0] is None or _is_null_word(args[0]))):
            return _refusing(p.validate, None)
        if len(args) == 1 and isinstance(args[0], str):
            return _refusing(p.validate, args[0])
        return _refusing(p.validate, [_number(f"{PREFIX}/{p.name}", a) for a in args])
    if p.nullable and (not args or (len(args) == 1 and (args[0] is None or _is_null_word(args[0])))):
        return None
    value = _one(f"{PREFIX}/{p.name}", args)
    if p.kind not in ("bool", "choice") and not isinstance(value, str):
        value = _number(f"{PREFIX}/{p.name}", value)
    return _refusing(p.validate, value)


def _refusing(fn, value: Any) -> Any:
    try:
        return fn(value)
    except Refused:
        raise
    except LivedreamError as exc:
        raise Refused(str(exc)) from None


def _one(address: str, args: list[Any]) -> Any:
    if len(args) != 1:
        raise Refused(f"{address}: expected one argument, got {len(args)}")
    return args[0]


def _number(address: str, x: Any) -> Any:
    """OSC ints, floats and doubles pass; anything else is refused here with the address in the message."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Refused(f"{address}: expected a number, got {x!r}")
    if not math.isfinite(x):
        raise Refused(f"{address}: {x!r} is not a finite number")
    return x


def _switch(address: str, x: Any) -> bool:
    if isinstance(x, bool):
        return x
    if isinstance(x, (int, float)) and x in (0, 1):
        return bool(x)
    raise Refused(f"{address}: expected 0 or 1, got {x!r}")


def _pressed(address: str, args: list[Any]) -> bool:
    """A command button: no argument, or a non-zero number / true (TouchOSC sends 1 on press, 0 on release)."""
    if not args:
        return True
    x = args[0]
    if isinstance(x, (bool, int, float)) and not (isinstance(x, float) and math.isnan(x)):
        return bool(x)
    raise Refused(f"{address}: expected no argument or a number, got {x!r}")


def _is_null_word(x: Any) -> bool:
    return isinstance(x, str) and x.strip().lower() in _NULL_WORDS


def parameter_addresses() -> list[tuple[str, Param]]:
    """(address, parameter) for every parameter, in table order: what the docs and the layout list."""
    return [(f"{PREFIX}/{p.name}", p) for p in PARAMS]


def reply_messages(values: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """The feedback for some values in force: each parameter's value, and its 0..1 position where it has one."""
    out: list[tuple[str, list[Any]]] = []
    for name, value in values.items():
        p = BY_NAME.get(name)
        if p is None:
            continue
        if p.kind == "int_list":
            out.append((f"{PREFIX}/{name}", list(value) if value else [None]))
        else:  # switches as 1.0 / 0.0: what a TouchOSC toggle sends and shows
            out.append((f"{PREFIX}/{name}", [float(value) if p.kind == "bool" else value]))
        norm = p.to_norm(value)
        if norm is not None:
            out.append((f"{NORM}/{name}", [float(norm)]))
    return out
