"""`livedream docs`: write the generated OSC and MIDI references and the TouchOSC layouts (they follow the table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livedream.errors import LivedreamError

DEFAULT_OUT = {
    "osc": Path("docs/osc.md"),
    "midi": Path("docs/midi.md"),
    "tosc": Path("docs/touchosc/livedream.tosc"),
    "touchosc": Path("docs/touchosc/livedream.touchosc"),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "docs",
        help="write the OSC or MIDI reference or a TouchOSC layout, generated from the parameter table",
        description="Write docs/osc.md (osc), docs/midi.md (midi), docs/touchosc/livedream.tosc (tosc: today's "
        "TouchOSC) or docs/touchosc/livedream.touchosc (touchosc: TouchOSC mk1); - writes to stdout.",
    )
    p.add_argument("what", choices=tuple(DEFAULT_OUT), help="which document or layout")
    p.add_argument("-o", "--out", default=None, metavar="FILE", help="where to write (default: under docs/)")
    p.set_defaults(run=run)


def generate(what: str) -> bytes:
    from livedream.control_in import midi_docs, osc_docs

    if what == "osc":
        return osc_docs.markdown().encode()
    if what == "midi":
        return midi_docs.markdown().encode()
    if what == "tosc":
        return osc_docs.tosc_layout()
    return osc_docs.touchosc_layout()


def run(args: argparse.Namespace) -> int:
    data = generate(args.what)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    out = Path(args.out).expanduser() if args.out else DEFAULT_OUT[args.what]
    if not out.parent.is_dir():
        raise LivedreamError(f"--out {out}: directory does not exist")
    out.write_bytes(data)
    return 0
