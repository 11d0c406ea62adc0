"""`livedream docs`: the generated OSC and MIDI references and the TouchOSC layouts (they follow the parameter table)."""

from __future__ import annotations

import argparse
import sys

from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output
from livedream.util.outputs import check_output

WHAT = {
    "osc": "the OSC reference (Markdown)",
    "midi": "the MIDI reference (Markdown)",
    "tosc": "today's TouchOSC layout (a .tosc file)",
    "touchosc": "the TouchOSC mk1 layout (a .touchosc file)",
}
BINARY = ("tosc", "touchosc")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "docs",
        help="print or write the OSC or MIDI reference or a TouchOSC layout, generated from the parameter table",
        description="Write the OSC reference (osc), the MIDI reference (midi) or a TouchOSC layout (tosc, touchosc) "
        "to -o FILE, or to standard output without -o (or with -o -).",
    )
    p.add_argument("what", choices=tuple(WHAT), help="; ".join(f"{k}: {v}" for k, v in WHAT.items()))
    p.add_argument("-o", "--out", default=None, metavar="FILE", help="where to write (default: standard output)")
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
    if args.out in (None, "-"):
        if args.what in BINARY and sys.stdout.isatty():
            raise LivedreamError(f"docs {args.what}: the layout is a binary file; give -o FILE.{args.what}")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = check_output(args.out, "-o")
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    print(f"wrote {out}")
    return 0
