"""What the page and the server say to each other (JSON): commands in, the table and the values in force out.

A command is an OSC message written as JSON, {"address": "/livedream/norm/pulse_react", "args": [0.4]},
validated by the same decoder as OSC (control_in.osc.decode): the same addresses, ranges and 0..1 curves.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from livedream.control_in.inbox import Command
from livedream.control_in.osc import Refused, decode
from livedream.params import PARAMS

MAX_BODY = 64 * 1024  # bytes: one command is a few dozen; anything bigger is refused before it is parsed
MAX_ADDRESS = 256
MAX_ARGS = 16
MAX_STRING = 256


def _no_constants(word: str) -> Any:
    raise Refused(f"{word} is not a number livedream takes")


def parse_command(text: str | bytes) -> Command | None:
    """One JSON command -> a validated Command (None: a button's release). Raises Refused with the reason."""
    if len(text) > MAX_BODY:
        raise Refused(f"message of {len(text)} bytes refused (at most {MAX_BODY})")
    try:
        msg = json.loads(text, parse_constant=_no_constants)  # NaN and Infinity are refused here
    except Refused:
        raise
    except (ValueError, RecursionError) as exc:
        raise Refused(f"not JSON: {str(exc)[:80]}") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("address"), str):
        raise Refused('expected {"address": "/livedream/...", "args": [...]}')
    address, args = msg["address"], msg.get("args", [])
    if len(address) > MAX_ADDRESS:
        raise Refused(f"address of {len(address)} characters refused")
    if not isinstance(args, list) or len(args) > MAX_ARGS:
        raise Refused(f"{address[:80]}: args must be a list of at most {MAX_ARGS} values")
    for a in args:
        if isinstance(a, str) and len(a) > MAX_STRING:
            raise Refused(f"{address[:80]}: a string argument of {len(a)} characters refused")
        if not (a is None or isinstance(a, (str, bool, int, float))):
            raise Refused(f"{address[:80]}: arguments are numbers, strings, true/false or null")
        if isinstance(a, float) and not math.isfinite(a):  # 1e999 parses as inf
            raise Refused(f"{address[:80]}: {a!r} is not a finite number")
    return decode(address, args)


def table(presets: list[str], token_required: bool) -> dict[str, Any]:
    """The page's layout: every parameter, grouped in table order, with what a fader needs to show it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in PARAMS:
        groups.setdefault(p.group, []).append(
            {
                "name": p.name,
                "kind": p.kind,
                "help": p.help,
                "unit": p.unit,
                "lo": p.lo,
                "hi": p.hi,
                "curve": p.curve,
                "choices": list(p.choices),
                "nullable": p.nullable,
                "fader": p.kind != "int_list" and (p.kind in ("bool", "choice") or p.lo is not None),
            }
        )
    return {
        "groups": [{"name": name, "params": params} for name, params in groups.items()],
        "presets": presets,
        "token_required": token_required,
    }


def values(params: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    """The values in force and each fader's 0..1 position (the server computes the curve: one implementation)."""
    by_name = {p.name: p for p in PARAMS}
    norm = {}
    for name, value in params.items():
        p = by_name.get(name)
        if p is not None and p.kind != "int_list":
            norm[name] = None if value is None and p.kind != "bool" else p.to_norm(value)
    return {"type": "values", "params": dict(params), "norm": norm, "state": dict(state)}
