"""`livedream docs`: the generated OSC reference and TouchOSC layout (they follow the parameter table)."""

from __future__ import annotations

import argparse
import sys

from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output
from livedream.util.outputs import check_output

WHAT = {"osc": "the OSC reference (Markdown)", "touchosc": "the TouchOSC tablet layout (a .touchosc file)"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "docs",
        help="print or write the OSC address list or the TouchOSC layout, generated from the parameter table",
        description="Write the OSC reference (osc) or the TouchOSC layout (touchosc) to -o FILE, "
        "or to standard output without -o (or with -o -).",
    )
    p.add_argument("what", choices=tuple(WHAT), help="; ".join(f"{k}: {v}" for k, v in WHAT.items()))
    p.add_argument("-o", "--out", default=None, metavar="FILE", help="where to write (default: standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.control_in import osc_docs

    data = osc_docs.markdown().encode() if args.what == "osc" else osc_docs.touchosc_layout()
    if args.out in (None, "-"):
        if args.what == "touchosc" and sys.stdout.isatty():
            raise LivedreamError("docs touchosc: the layout is a binary file; give -o FILE.touchosc")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = check_output(args.out, "-o")
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    print(f"wrote {out}")
    return 0
