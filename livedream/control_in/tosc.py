"""The TouchOSC layout in today's format (.tosc: zlib-compressed "lexml" XML), generated from the parameter table.

Each fader sends /livedream/norm/<parameter> with its 0..1 position, so livedream applies the table's fader
curve (log for the decade-spanning ones) exactly as for MIDI CCs; buttons switch presets, tap the tempo, reseed,
and toggle freeze and blackout. Element names follow the format TouchOSC (hexler) writes: a GROUP root node
with properties, values, messages and children.
"""

from __future__ import annotations

import uuid
import zlib
from xml.sax.saxutils import escape

from livedream.control_in.osc import NORM, PREFIX
from livedream.params import BY_NAME
from livedream.presets import shipped

_NS = uuid.UUID("6b1d3c52-7a0e-4a43-9d6e-4c1f2b8a9e10")  # fixed IDs: regenerating the file changes nothing


def _prop(kind: str, key: str, value: str) -> str:
    return f"<property type='{kind}'><key>{escape(key)}</key><value>{value}</value></property>"


def _frame(x: int, y: int, w: int, h: int) -> str:
    return _prop("r", "frame", f"<x>{x}</x><y>{y}</y><w>{w}</w><h>{h}</h>")


def _color(r: float, g: float, b: float) -> str:
    return _prop("c", "color", f"<r>{r}</r><g>{g}</g><b>{b}</b><a>1</a>")


def _value(key: str, default: float | str) -> str:
    return (
        f"<value><key>{key}</key><locked>0</locked><lockedDefaultCurrent>0</lockedDefaultCurrent>"
        f"<default>{default}</default><defaultPull>0</defaultPull></value>"
    )


def _osc(address: str) -> str:
    """An OSC message: the constant address, the control's x (0..1) as a float argument, on any change."""
    partial = "<partial><type>{t}</type><conversion>{c}</conversion><value>{v}</value><scaleMin>0</scaleMin><scaleMax>1</scaleMax></partial>"  # noqa: E501
    return (
        "<osc><enabled>1</enabled><send>1</send><receive>1</receive><feedback>0</feedback>"
        "<connections>00001</connections><triggers><trigger><var>x</var><condition>ANY</condition></trigger></triggers>"
        f"<path>{partial.format(t='CONSTANT', c='STRING', v=escape(address))}</path>"
        f"<arguments>{partial.format(t='VALUE', c='FLOAT', v='x')}</arguments></osc>"
    )


def _node(kind: str, name: str, props: list[str], values: str = "", messages: str = "", children: str = "") -> str:
    node_id = uuid.uuid5(_NS, f"{kind}:{name}")
    props = [_prop("s", "name", escape(name)), *props]
    return (
        f"<node ID='{node_id}' type='{kind}'><properties>{''.join(props)}</properties><values>{values}</values>"
        f"<messages>{messages}</messages><children>{children}</children></node>"
    )


def _label(name: str, text: str, x: int, y: int, w: int, h: int) -> str:
    return _node(
        "LABEL",
        f"l_{name}",
        [_frame(x, y, w, h), _color(0.8, 0.8, 0.8), _prop("s", "text", escape(text)), _prop("b", "interactive", "0")],
    )


def tosc_xml(faders: tuple[str, ...], width: int = 768, height: int = 1024) -> str:
    """The layout's XML: a fader per parameter in faders (over /norm/), preset buttons, tap, reseed, freeze, blackout."""
    row, pad, label_w = 56, 8, 220
    nodes = []
    y = pad
    for name in faders:
        p = BY_NAME[name]
        default = p.to_norm(p.default)
        nodes.append(_label(name, name.replace("_", " "), pad, y, label_w, row - pad))
        nodes.append(
            _node(
                "FADER",
                name,
                [_frame(2 * pad + label_w, y, width - 3 * pad - label_w, row - pad), _color(1.0, 0.55, 0.0),
                 _prop("i", "orientation", "1"), _prop("i", "response", "0"), _prop("b", "interactive", "1")],
                values=_value("x", f"{0.0 if default is None else default:.6g}") + _value("touch", "0"),
                messages=_osc(f"{NORM}/{name}"),
            )
        )  # fmt: skip
        y += row
    buttons = [(f"preset_{p.stem}", p.stem, f"{PREFIX}/preset/{p.stem}", (0.2, 0.4, 1.0), 0) for p in shipped()]
    buttons += [
        ("tap", "tap", f"{PREFIX}/tap", (1.0, 0.85, 0.0), 0),
        ("reseed", "reseed", f"{PREFIX}/reseed", (0.6, 0.2, 0.9), 0),
        ("freeze", "freeze", f"{PREFIX}/freeze", (1.0, 0.2, 0.2), 1),
        ("blackout", "blackout", f"{PREFIX}/blackout", (1.0, 0.2, 0.2), 1),
    ]
    per_row = 4
    bw = (width - pad) // per_row
    for i, (name, text, address, color, toggle) in enumerate(buttons):
        bx, by = pad + (i % per_row) * bw, y + (i // per_row) * 2 * row
        size = 2 * row - 2 * pad if name == "tap" else row  # the tap pad is the big one
        nodes.append(
            _node(
                "BUTTON",
                name,
                [_frame(bx, by, bw - pad, size), _color(*color), _prop("i", "buttonType", str(toggle)),
                 _prop("b", "press", "1"), _prop("b", "release", "1" if toggle else "0"),
                 _prop("b", "interactive", "1")],
                values=_value("x", "0") + _value("touch", "0"),
                messages=_osc(address),
            )
        )  # fmt: skip
        if name != "tap":
            nodes.append(_label(name, text, bx, by + row, bw - pad, row - 2 * pad))
    root = _node(
        "GROUP",
        "livedream",
        [_frame(0, 0, width, height), _color(0.0, 0.0, 0.0), _prop("b", "background", "1")],
        children="".join(nodes),
    )
    return f"<?xml version='1.0' encoding='UTF-8'?><lexml version='3'>{root}</lexml>"


def tosc_layout(faders: tuple[str, ...]) -> bytes:
    """The .tosc file: the XML, zlib-compressed (deterministic: the same table gives the same bytes)."""
    return zlib.compress(tosc_xml(faders).encode("utf-8"), 9)
