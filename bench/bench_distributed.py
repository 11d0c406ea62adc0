"""Distributed export speed-up: `livedream export --ray --workers N` for N = 1, 2, 4 against a plain export.

    .venv/bin/python -m bench.bench_distributed                      # 20 s song, 256x256, built-in style, CPU
    .venv/bin/python -m bench.bench_distributed --seconds 60 --workers 1,2,4,8 --size 512x512

Each run is `livedream export` in a subprocess, timed end to end, Ray's start-up included (a local Ray on
127.0.0.1, CPU workers of cores/N cores each, or one per GPU). The load average before and after each run is
recorded with it: on a shared machine the figures move with what else runs. Results:
bench/results/distributed-<cpu>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def run(song: Path, out: Path, size: str, extra: list[str]) -> dict:
    """One export in a child process: wall time, frames, and the load average around it."""
    cmd = [sys.executable, "-m", "livedream", "export", str(song), "-o", str(out), "--size", size, "-q", *extra]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    with av.open(str(out)) as c:
        frames = c.streams.video[0].frames
    out.unlink()
    return {
        "wall_s": round(wall, 2),
        "frames": frames,
        "fps": round(frames / wall, 1),
        "load_1min_before": round(load_before, 2),
        "load_1min_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--size", default="256x256")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--chunk-seconds", type=float, default=2.0)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    env_note = "shared machine: other agents were running; see the load averages"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "song.wav"
        write_audio(song, demo_song(args.seconds, RATE, seed=0), RATE)
        out = Path(tmp) / "out.mp4"
        common = ["--device", args.device]
        plain = run(song, out, args.size, common)
        print(f"plain export: {plain}", file=sys.stderr)
        for n in (int(x) for x in args.workers.split(",")):
            r = run(
                song,
                out,
                args.size,
                [*common, "--ray", "--workers", str(n), "--chunk-seconds", str(args.chunk_seconds)],
            )
            r["workers"] = n
            results.append(r)
            print(f"--ray --workers {n}: {r}", file=sys.stderr)
    one = results[0]["wall_s"]
    for r in results:
        r["speed_up_vs_1_worker"] = round(one / r["wall_s"], 2)
        r["speed_up_vs_plain_export"] = round(plain["wall_s"] / r["wall_s"], 2)
    report = {
        "what": "livedream export --ray --workers N, built-in style, 30 fps, end to end (subprocess, Ray start-up included)",
        "date": str(date.today()),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "song_s": args.seconds,
        "size": args.size,
        "chunk_seconds": args.chunk_seconds,
        "device": args.device,
        "note": env_note,
        "plain_export": plain,
        "ray": results,
    }
    name = "".join(ch for ch in cpu_name().split()[0].lower() if ch.isalnum()) or "cpu"
    path = ROOT / "bench" / "results" / f"distributed-{name}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
