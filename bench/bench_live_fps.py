"""Displayed fps of `livedream live` (built-in style at 256x256, Mesa under Xvfb, jack_metro into the input).

Runs the real command with --stats-file under its own Xvfb and `jackd -d dummy`, and reports the per-second
figures after the first second (start-up):

    .venv/bin/python -m bench.bench_live_fps [--seconds 15] [--size 768x768] [--out bench/results/live-fps.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tests.helpers import live_harness as h


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--size", default="768x768")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        h.xvfb() as (display, _),
        h.jackd() as server,
        h.metronome(server, bpm=120) as metro,
    ):
        stats = Path(tmp) / "stats.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "livedream",
            "live",
            "--size",
            args.size,
            "--duration",
            str(args.seconds),
            "--stats-file",
            str(stats),
        ]
        proc = subprocess.Popen(cmd, env={**h.jack_env(server), "DISPLAY": display})
        for port in h.wait_for_ports(server, "livedream:in"):
            h.connect(server, metro, port)
        rc = proc.wait(timeout=args.seconds + 60)
        lines = [json.loads(line) for line in stats.read_text().splitlines()][1:]
    fps = [x["fps"] for x in lines]
    result = {
        "rc": rc,
        "size": args.size,
        "style": "builtin 256",
        "seconds": args.seconds,
        "fps": {"median": float(np.median(fps)), "min": float(np.min(fps))},
        "gen_ms_median": float(np.median([x["gen_ms"] for x in lines if x["gen_ms"]])),
        "latency_ms_estimate_median": float(np.median([x["latency_ms"] for x in lines if x["latency_ms"]])),
        "dropped_per_s": round(lines[-1]["dropped"] / args.seconds, 1),
        "onsets_per_s": float(np.mean([x["onsets"] for x in lines[1:-1]])),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
