"""`livedream docs`: write the generated OSC reference and TouchOSC layout (they follow the parameter table)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livedream.errors import LivedreamError

DEFAULT_OUT = {"osc": Path("docs/osc.md"), "touchosc": Path("docs/touchosc/livedream.touchosc")}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "docs",
        help="write the OSC address list or the TouchOSC layout, generated from the parameter table",
        description="Write docs/osc.md (osc) or docs/touchosc/livedream.touchosc (touchosc); - writes to stdout.",
    )
    p.add_argument("what", choices=tuple(DEFAULT_OUT), help="osc: the OSC reference; touchosc: the tablet layout")
    p.add_argument("-o", "--out", default=None, metavar="FILE", help="where to write (default: under docs/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.control_in import osc_docs

    data = osc_docs.markdown().encode() if args.what == "osc" else osc_docs.touchosc_layout()
    if args.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    out = Path(args.out).expanduser() if args.out else DEFAULT_OUT[args.what]
    if not out.parent.is_dir():
        raise LivedreamError(f"--out {out}: directory does not exist")
    out.write_bytes(data)
    return 0
