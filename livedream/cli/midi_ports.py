"""`livedream midi-ports`: the MIDI inputs `livedream live --midi` can listen to (JACK when it runs, else ALSA)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "midi-ports",
        help="list the MIDI input ports (for live --midi)",
        description="List the MIDI ports livedream can listen to: over JACK when a JACK server runs, else ALSA.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.control_in.midi_ports import open_api, port_names

    api, name = open_api()
    names = port_names(api)
    out = sys.stdout
    out.write(f"MIDI ports ({name}):\n")
    for i, port in enumerate(names):
        out.write(f"  {i}: {port}\n")
    if not names:
        out.write("  (none)\n")
    return 0
