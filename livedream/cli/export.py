"""`livedream export SONG`: render a song to an MP4 with the song muxed in."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from livedream.cli import options, rig
from livedream.errors import LivedreamError
from livedream.modes.settings import (
    LARGE_OUTPUT_PRESET,
    SMALL_OUTPUT_PRESET,
    X264_PRESETS,
    ChunkSettings,
    ExportSettings,
)
from livedream.render.fit import FIT_MODES

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="render a song to an MP4",
        description="Render a song to an MP4 (H.264 + AAC) whose pictures move with the music.",
    )
    p.add_argument("song", help="any audio or video file with sound (mp3, wav, flac, ogg, m4a, mp4, ...)")
    p.add_argument("-o", "--output", default=None, metavar="PATH", help="output file (default: <song name>.mp4 here)")
    p.add_argument("--fps", default="30", help="frames per second, exactly (default 30)")
    p.add_argument("--size", default=None, metavar="WxH", help="output size, e.g. 1920x1080 (default: square)")
    p.add_argument(
        "--fit",
        choices=FIT_MODES,
        default=ExportSettings.fit,
        help=f"how a square picture fits another shape: contain (bars), fill (crop), mirror (reflections); "
        f"default {ExportSettings.fit}",
    )
    p.add_argument("--audio", default=None, metavar="FILE", help="mux this soundtrack instead of the song")
    p.add_argument(
        "--style",
        default=None,
        metavar="PATH|NAME",
        help="builtin:NAME (marbling, crystal, filament, tunnel), a StyleGAN2 model file or catalogue name "
        "(see `livedream styles`); default: builtin:marbling",
    )
    p.add_argument(
        "--model-resolution",
        type=int,
        default=None,
        metavar="N",
        help="stop StyleGAN2 synthesis at this resolution (faster); the built-in style's render size "
        "(default: the output's short side)",
    )
    options.add_torch_device_option(p)
    p.add_argument(
        "--batch-size",
        type=int,
        default=ExportSettings.batch_size,
        metavar="N",
        help=f"frames generated per generator call (default {ExportSettings.batch_size})",
    )
    options.add_effect_option(p)
    p.add_argument(
        "--encoder-preset",
        default=ExportSettings.encoder_preset,
        choices=("auto", *X264_PRESETS),
        help=f"x264 speed/size trade-off; auto (the default) is {SMALL_OUTPUT_PRESET}, {LARGE_OUTPUT_PRESET} above "
        "1 megapixel so that 1080p keeps up with real time on a small machine",
    )
    p.add_argument(
        "--crf",
        type=int,
        default=ExportSettings.crf,
        help=f"H.264 quality, 0 (lossless) to 51 (worst); default {ExportSettings.crf}",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--bpm",
        default=None,
        metavar="BPM[@FIRST_BEAT_S]",
        help="the song's tempo and its first downbeat (seconds) for speed_beats, class_shuffle_bars and the strobe "
        "(default: the analyzer's beats)",
    )
    add_chunk_options(p)
    options.add_audio_window(p)
    options.add_analysis_options(p)
    options.add_stem_options(p)
    options.add_look_options(p)
    rig.add_video_out_options(p)
    p.set_defaults(run=run)


def add_chunk_options(p: argparse.ArgumentParser) -> None:
    """Chunked export: resumable, and on Ray workers with --ray (docs/distributed.md)."""
    g = p.add_argument_group("chunks, resume and Ray (docs/distributed.md)")
    g.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="draw chunks on Ray workers: a local Ray (one worker per GPU, or per "
        f"{ChunkSettings.cpus_per_worker} CPU cores) or the cluster at ADDRESS (HOST:PORT); needs livedream[ray]",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="render in chunks in this process, kept beside the output, so that a rerun draws only the missing ones",
    )
    g.add_argument("--restart", action="store_true", help="throw away the finished chunks of an earlier render first")
    g.add_argument(
        "--chunk-seconds",
        type=float,
        default=ChunkSettings.chunk_seconds,
        metavar="S",
        help=f"seconds of video per chunk (default {ChunkSettings.chunk_seconds:g})",
    )
    g.add_argument("--workers", type=int, default=None, metavar="N", help="Ray workers to use (default: all)")


def chunk_settings(args: argparse.Namespace) -> ChunkSettings | None:
    """The chunk settings asked for, or None for a plain single-process export."""
    if args.ray is None and not args.resume and not args.restart:
        return None
    if args.workers is not None and args.workers < 1:
        raise LivedreamError("--workers must be >= 1")
    return ChunkSettings(
        chunk_seconds=args.chunk_seconds,
        restart=args.restart,
        ray=args.ray is not None,
        ray_address=args.ray or None,
        workers=args.workers,
    )


def output_path(song: Path, output: str | None) -> Path:
    """-o as given (".mp4" added when it has no suffix), else <song stem>.mp4 in the current directory."""
    path = Path(output).expanduser() if output else Path.cwd() / f"{song.stem}.mp4"
    if path.suffix == "":
        path = path.with_name(path.name + ".mp4")
    if path.suffix.lower() != ".mp4":
        raise LivedreamError(f"{path}: livedream writes MP4 files; use a name ending in .mp4")
    return path


def parse_bpm(text: str | None) -> tuple[float, float] | None:
    """ "128" -> (128, 0); "128@0.45" -> (128, 0.45): a known beat grid."""
    if text is None:
        return None
    bpm, _, first = text.partition("@")
    try:
        grid = (float(bpm), float(first or 0.0))
    except ValueError:
        grid = (0.0, -1.0)
    if not (20.0 <= grid[0] <= 400.0 and 0.0 <= grid[1] < 3600.0):
        raise LivedreamError(f"--bpm {text!r}: expected BPM from 20 to 400, optionally @ the first downbeat in seconds")
    return grid


def run(args: argparse.Namespace) -> int:
    from livedream.modes.export import export
    from livedream.util.progress import with_progress

    song = Path(args.song).expanduser()
    from livedream import presets
    from livedream.util.outputs import check_output

    inputs = [song, *options.stems(args).values(), args.audio, presets.find(args.preset), args.style]
    inputs += [text.rpartition(":")[0] or text for text in args.effect]
    out = check_output(output_path(song, args.output), "-o", inputs)
    if args.batch_size < 1 or not 0 <= args.crf <= 51:
        raise LivedreamError("--batch-size must be >= 1 and --crf between 0 and 51")
    settings = ExportSettings(
        song=song,
        output=out,
        params=options.resolve_params(args),
        seed=args.seed,
        fps=options.parse_fps(args.fps),
        size=options.parse_size(args.size),
        fit=args.fit,
        start=args.start,
        duration=args.duration,
        audio=Path(args.audio) if args.audio else None,
        stems={role: Path(p) for role, p in options.stems(args).items()},
        style=args.style,
        model_resolution=args.model_resolution,
        device=args.device,
        batch_size=args.batch_size,
        normalize=args.normalize,
        onset_method=args.onset_method,
        crf=args.crf,
        encoder_preset=args.encoder_preset,
        shader_effects=[options.shader_effect(text) for text in args.effect],
        video_out=rig.video_out_settings(args),
        tempo_grid=parse_bpm(args.bpm),
    )
    chunked = chunk_settings(args)
    if chunked is not None:
        return run_chunked(settings, chunked, args.quiet)
    with_progress(lambda progress: export(settings, progress), out.name, args.quiet)
    if not args.quiet:
        print(f"wrote {out}")
    return 0


def run_chunked(settings: ExportSettings, c: ChunkSettings, quiet: bool) -> int:
    """A chunked export with one progress line (frames, fps, ETA, chunks being drawn); Ctrl-C keeps the chunks."""
    from livedream.cli.main import EXIT_INTERRUPTED
    from livedream.modes.chunked import export_chunked
    from livedream.modes.chunks import WorkFolder
    from livedream.util.progress import ProgressBar

    bar: ProgressBar | None = None

    def progress(done: int, total: int, running) -> None:
        nonlocal bar
        bar = bar or ProgressBar(total, label=settings.output.name, quiet=quiet, initial=done)
        bar.update(
            done, f"drawing chunk{'s' if len(running) > 1 else ''} {','.join(map(str, running))}" if running else ""
        )

    try:
        export_chunked(settings, c, progress)
    except KeyboardInterrupt:
        if bar:
            bar.close()
        work = WorkFolder(settings.output).path
        print(
            f"\nlivedream: interrupted; finished chunks are kept in {work}: run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if bar:
        bar.close()
    if not quiet:
        print(f"wrote {settings.output}")
    return 0
