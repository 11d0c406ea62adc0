"""The OSCQuery namespace (JSON over HTTP), generated from the parameter table and the values in force.

Follows the OSCQuery proposal (Vidvox): each node has FULL_PATH; containers CONTENTS; methods TYPE, VALUE,
RANGE, ACCESS, DESCRIPTION; `?HOST_INFO` says where to send OSC (our UDP OSC server). Every address here is
one the OSC server takes, so an OSCQuery client (TouchDesigner, Chataigne) can drive every parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from livedream.control_in.osc import COMMANDS, NORM, PREFIX
from livedream.params import PARAMS, Param

READ, WRITE, READ_WRITE = 1, 2, 3  # ACCESS values
EXTENSIONS = {
    "ACCESS": True,
    "VALUE": True,
    "RANGE": True,
    "DESCRIPTION": True,
    "TAGS": True,
    "CLIPMODE": True,
    "UNIT": False,
    "CRITICAL": False,
    "EXTENDED_TYPE": False,
    "LISTEN": False,
    "PATH_CHANGED": False,
    "PATH_RENAMED": False,
    "PATH_ADDED": False,
    "PATH_REMOVED": False,
}
ATTRIBUTES = ("FULL_PATH", "CONTENTS", "TYPE", "VALUE", "RANGE", "ACCESS", "DESCRIPTION", "TAGS", "CLIPMODE")
_TYPES = {"float": "f", "int": "i", "bool": "T", "choice": "s", "int_list": "s"}


def osc_type(p: Param) -> str:
    """The OSC type tag a parameter's method takes (a class list travels as one string, "3,7,12")."""
    return _TYPES[p.kind]


def osc_value(p: Param, value: Any) -> list[Any] | None:
    """VALUE for the value in force; None (no VALUE attribute) where it is null."""
    if p.kind == "int_list":
        return [",".join(str(v) for v in value) if value else ""]
    return None if value is None else [value]


def parameter_node(p: Param, value: Any, writable: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "FULL_PATH": f"{PREFIX}/{p.name}",
        "TYPE": osc_type(p),
        "ACCESS": READ_WRITE if writable else READ,
        "DESCRIPTION": p.help
        + (f" ({p.unit})" if p.unit else "")
        + (" Send an empty value for null." if p.nullable else ""),
        "TAGS": [p.group],
    }
    if p.kind in ("float", "int"):
        node["RANGE"] = [{"MIN": p.lo, "MAX": p.hi}]
        node["CLIPMODE"] = ["none"]  # out-of-range values are refused, not clipped
    elif p.kind == "choice":
        node["RANGE"] = [{"VALS": list(p.choices)}]
    if (v := osc_value(p, value)) is not None:
        node["VALUE"] = v
    return node


def norm_node(p: Param, value: Any, writable: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "FULL_PATH": f"{NORM}/{p.name}",
        "TYPE": "f",
        "ACCESS": READ_WRITE if writable else READ,
        "DESCRIPTION": f"{p.name} as a 0..1 fader ({p.curve} curve): {p.help}",
        "TAGS": [p.group, "norm"],
        "RANGE": [{"MIN": 0.0, "MAX": 1.0}],
        "CLIPMODE": ["none"],
    }
    norm = p.to_norm(value) if value is not None or p.kind == "bool" else None
    if norm is not None:
        node["VALUE"] = [norm]
    return node


def command_nodes(state: Mapping[str, Any], presets: Sequence[str], writable: bool) -> dict[str, dict[str, Any]]:
    """The methods that are not parameters: preset (one of the names), switches and buttons."""
    access = READ_WRITE if writable else READ
    out: dict[str, dict[str, Any]] = {
        "preset": {
            "FULL_PATH": f"{PREFIX}/preset",
            "TYPE": "s",
            "ACCESS": access,
            "DESCRIPTION": COMMANDS["preset"][1],
            "RANGE": [{"VALS": list(presets)}],
        }
    }
    if state.get("preset") is not None:
        out["preset"]["VALUE"] = [state["preset"]]
    for name in ("freeze", "blackout"):
        out[name] = {"FULL_PATH": f"{PREFIX}/{name}", "TYPE": "T", "ACCESS": access, "DESCRIPTION": COMMANDS[name][1]}
        if name in state:
            out[name]["VALUE"] = [bool(state[name])]
    for name in ("tap", "reseed", "sync"):  # buttons: 1 on press
        out[name] = {
            "FULL_PATH": f"{PREFIX}/{name}",
            "TYPE": "i",
            "ACCESS": WRITE if writable else 0,
            "DESCRIPTION": COMMANDS[name][1],
            "RANGE": [{"MIN": 0, "MAX": 1}],
        }
    return out


def namespace(
    params: Mapping[str, Any], state: Mapping[str, Any], presets: Sequence[str] = (), writable: bool = True
) -> dict[str, Any]:
    """The whole tree from "/"; writable False (no OSC server to send to) makes every method read-only."""
    contents: dict[str, Any] = {p.name: parameter_node(p, params.get(p.name), writable) for p in PARAMS}
    contents["norm"] = {
        "FULL_PATH": NORM,
        "DESCRIPTION": "Every parameter with a range as a 0..1 fader, with the same curves as MIDI and the web page.",
        "CONTENTS": {
            p.name: norm_node(p, params.get(p.name), writable) for p in PARAMS if p.kind != "int_list" and _ranged(p)
        },
    }
    contents.update(command_nodes(state, presets, writable))
    return {
        "FULL_PATH": "/",
        "DESCRIPTION": "livedream",
        "CONTENTS": {PREFIX[1:]: {"FULL_PATH": PREFIX, "DESCRIPTION": "livedream's OSC methods", "CONTENTS": contents}},
    }


def _ranged(p: Param) -> bool:
    return p.kind in ("bool", "choice") or (p.lo is not None and p.hi is not None)


def find(root: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The node at an OSC path ("/livedream/speed_fpm"; a trailing slash is allowed); None when there is none."""
    node = root
    for part in [p for p in path.split("/") if p]:
        node = node.get("CONTENTS", {}).get(part)
        if node is None:
            return None
    return node


def host_info(name: str, osc_host: str | None, osc_port: int | None) -> dict[str, Any]:
    """HOST_INFO: where OSC goes (UDP). OSC_IP is left out when OSC listens on every address (0.0.0.0):
    clients then use the address they reached this server on."""
    info: dict[str, Any] = {"NAME": name, "EXTENSIONS": dict(EXTENSIONS), "OSC_TRANSPORT": "UDP"}
    if osc_port is not None:
        info["OSC_PORT"] = osc_port
        if osc_host and osc_host not in ("0.0.0.0", "::", ""):
            info["OSC_IP"] = osc_host
    return info
