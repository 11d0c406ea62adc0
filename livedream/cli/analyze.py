"""`livedream analyze SONG --json OUT [--plot OUT.png]`: what the analyzer heard, as data and as a picture."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from livedream.cli import options
from livedream.util.atomic import atomic_output
from livedream.util.outputs import check_output, check_outputs_differ


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="write what the analyzer hears in a song (JSON, plot)",
        description="Analyse a song as export and live mode do, and write onsets, chroma, RMS, "
        "tempo and beats as JSON, and optionally a plot with the controller's curves.",
    )
    p.add_argument("song")
    p.add_argument("--json", default=None, metavar="OUT", help="write the analysis here (default: standard output)")
    p.add_argument(
        "--plot",
        default=None,
        metavar="OUT.png",
        help="draw waveform, onsets, chroma and the pulse/motion/class curves to a PNG",
    )
    options.add_audio_window(p, what="analyse")
    options.add_analysis_options(p)
    options.add_look_options(p)
    p.set_defaults(run=run)


def write_atomically(path: Path, write) -> None:
    """write(tmp_path) then rename, so a failure leaves nothing under path."""
    with atomic_output(path) as tmp:
        write(tmp)


def run(args: argparse.Namespace) -> int:
    from livedream import presets
    from livedream.audio.report import analyze_file

    song = Path(args.song).expanduser()
    params = options.resolve_params(args)
    inputs = [song, presets.find(args.preset)]
    json_out = check_output(args.json, "--json", inputs) if args.json else None
    plot_out = check_output(args.plot, "--plot", inputs) if args.plot else None
    check_outputs_differ(("--json", json_out), ("--plot", plot_out))
    kwargs = {} if args.onset_method is None else {"onset_method": args.onset_method}
    report, features = analyze_file(song, start=args.start, duration=args.duration, normalize=args.normalize, **kwargs)
    text = json.dumps(report, indent=1)
    if json_out is not None:
        write_atomically(json_out, lambda tmp: tmp.write_text(text + "\n"))
        print(f"wrote {json_out}")
    elif plot_out is None:
        sys.stdout.write(text + "\n")
    if plot_out is not None:
        from livedream.cli.analyze_plot import plot_analysis

        write_atomically(
            plot_out, lambda tmp: plot_analysis(song, args.start, report, features, params, args.seed, tmp)
        )
        print(f"wrote {plot_out}")
    return 0
