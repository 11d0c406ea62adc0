"""`livedream presets`: the shipped looks, one line each."""

from __future__ import annotations

import argparse

from livedream import presets


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the shipped presets", description="List the shipped presets.")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    found = [presets.load(str(path)) for path in presets.shipped()]
    width = max(len(p.name) for p in found)
    for p in found:
        print(f"{p.name:<{width}}  {p.description}")
    return 0
