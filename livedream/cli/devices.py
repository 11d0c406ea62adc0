"""`livedream devices`: the sound-card inputs `livedream live --device` can use."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices",
        help="list the audio input devices",
        description="List the audio inputs (index, name, host API, channels, rate); * marks the "
        "default. Give the index or a part of the name to `livedream live --device`.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.sources.devices import describe, input_devices

    found = input_devices()
    if not found:
        print("no audio input devices found")
        return 1
    for line in describe(found):
        print(line)
    return 0
