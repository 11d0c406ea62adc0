"""`livedream demo`: synthesise a short song with drums and chords and render it, to see livedream work offline."""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

from livedream.cli import options
from livedream.cli.export import output_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="render a demo video of a song livedream composes itself",
        description="Synthesise a short piece (drums, bass, chords) and export it with the "
        "built-in style: no music files and no model weights needed.",
    )
    p.add_argument("-o", "--output", default="livedream-demo.mp4", metavar="PATH", help="default: livedream-demo.mp4")
    p.add_argument("--seconds", type=float, default=24.0, help="length of the demo song (default 24)")
    p.add_argument("--size", default="512x512", metavar="WxH", help="default 512x512")
    p.add_argument(
        "--fps", default="30", help="frames per second, exactly, e.g. 30, 29.97 or 30000/1001 (default %(default)s)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    options.add_look_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from livedream.audio.encode import write_audio
    from livedream.audio.synth import demo_song
    from livedream.errors import LivedreamError
    from livedream.modes.export import ExportSettings, export
    from livedream.util.progress import with_progress

    if not 2 <= args.seconds <= 600:
        raise LivedreamError("--seconds must be between 2 and 600")
    from livedream import presets
    from livedream.util.outputs import check_output

    out = check_output(output_path(Path("livedream-demo"), args.output), "-o", [presets.find(args.preset)])
    song = check_output(out.with_suffix(".flac"), "-o", [presets.find(args.preset)])  # the demo's own song
    rate = 44100
    write_audio(song, demo_song(args.seconds, rate, seed=args.seed), rate)
    fps: Fraction = options.parse_fps(args.fps)
    settings = ExportSettings(
        song=song,
        output=out,
        params=options.resolve_params(args),
        seed=args.seed,
        fps=fps,
        size=options.parse_size(args.size),
    )
    with_progress(lambda progress: export(settings, progress), out.name, args.quiet)
    if not args.quiet:
        print(f"wrote {out} (the song is {song})")
    return 0
