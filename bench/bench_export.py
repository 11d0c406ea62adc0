"""Export speed and memory with the built-in style: frames per second and x real time at several sizes,
and peak memory for a 1-minute against a 10-minute song (flat memory is the claim).

    .venv/bin/python -m bench.bench_export                 # speed at 256x256, 512x512, 1920x1080; memory 1 vs 10 min
    .venv/bin/python -m bench.bench_export --skip-memory
    .venv/bin/python -m bench.bench_export --skip-memory --seconds 10 --sizes 512x512,1920x1080 \
        --styles builtin:marbling,builtin:crystal,builtin:filament,builtin:tunnel   # every built-in family

Each export runs as `livedream export` in a subprocess, as a user runs it, timed end to end (start-up,
analysis, generation, effects, encoding, muxing). Results: bench/results/export-<cpu>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import av
import torch

from bench.machine import cpu_name
from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song

ROOT = Path(__file__).resolve().parents[1]
RATE = 44100


def make_song(path: Path, seconds: float) -> None:
    write_audio(path, demo_song(seconds, RATE, seed=0), RATE)


def run_export(song: Path, out: Path, size: str, extra: list[str] = ()) -> dict:
    """One export in a child process; returns its wall time and frame count."""
    cmd = [sys.executable, "-m", "livedream", "export", str(song), "-o", str(out), "--size", size, "-q", *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    with av.open(str(out)) as c:
        frames = c.streams.video[0].frames
    return {"wall_s": round(wall, 2), "frames": frames}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="song length for the speed runs")
    ap.add_argument("--sizes", default="256x256,512x512,1920x1080")
    ap.add_argument(
        "--styles",
        default="builtin",
        help="comma-separated --style values, each timed at every size; an entry may carry more flags, e.g. "
        "'builtin --model-resolution 256' (the renders before built-in styles followed the output size)",
    )
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results = {
        "what": "livedream export, built-in style, 30 fps, end to end (subprocess)",
        "date": str(date.today()),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],  # other work on the machine skews figures
        "speed": [],
        "memory": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        song = tmp / "song.flac"
        make_song(song, args.seconds)
        for style, size in [(st, sz) for st in args.styles.split(",") for sz in args.sizes.split(",")]:
            r = run_export(song, tmp / "out.mp4", size, ["--style", *shlex.split(style)])
            fps = r["frames"] / r["wall_s"]
            results["speed"].append(
                {
                    "style": style,
                    "size": size,
                    "song_s": args.seconds,
                    **r,
                    "fps": round(fps, 1),
                    "x_real_time": round(args.seconds / r["wall_s"], 2),
                    "load_average": round(os.getloadavg()[0], 2),
                }
            )
            print(f"{style:>18} {size:>10}: {fps:6.1f} fps, {args.seconds / r['wall_s']:.2f}x real time", flush=True)
        if not args.skip_memory:
            # Each run in a fresh child: RUSAGE_CHILDREN's max is over all children, so spawn a wrapper per run.
            for minutes in (1, 10):
                long_song = tmp / f"song{minutes}.flac"
                make_song(long_song, minutes * 60)
                code = (
                    "import resource,subprocess,sys;subprocess.run(sys.argv[1:],check=True);"
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
                )
                t0 = time.perf_counter()
                out = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        code,
                        sys.executable,
                        "-m",
                        "livedream",
                        "export",
                        str(long_song),
                        "-o",
                        str(tmp / "m.mp4"),
                        "--size",
                        "128x128",
                        "-q",
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                peak = int(out.strip().splitlines()[-1]) / 1024
                results["memory"].append(
                    {
                        "song_minutes": minutes,
                        "size": "128x128",
                        "peak_rss_mb": round(peak, 1),
                        "wall_s": round(time.perf_counter() - t0, 1),
                    }
                )
                print(f"{minutes:>3} min song: peak RSS {peak:.0f} MB", flush=True)
            m1, m10 = (m["peak_rss_mb"] for m in results["memory"])
            results["memory_ratio_10min_vs_1min"] = round(m10 / m1, 3)
    out = Path(args.out or ROOT / "bench" / "results" / f"export-{cpu_name().split()[0].lower()}.json")
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
