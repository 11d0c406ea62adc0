"""Benchmark of the built-in styles on this machine's CPU: ms per frame by family, resolution and batch size."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from bench.machine import cpu_slug
from livedream.models import builtin


def bench(family: str, resolution: int, batch: int, repeats: int, threads: int) -> dict:
    """Time `repeats` calls after a warm-up; per-frame p50/p99 in milliseconds."""
    torch.set_num_threads(threads)
    gen = builtin.make(family, resolution=resolution, seed=0)
    z = torch.randn(batch, gen.z_dim, generator=torch.Generator().manual_seed(1))
    c = torch.softmax(torch.randn(batch, gen.c_dim), dim=1)
    for _ in range(3):
        gen(z, c)
    times = []
    for i in range(repeats):
        z2 = z + 0.01 * i
        start = time.perf_counter()
        gen(z2, c)
        times.append((time.perf_counter() - start) * 1e3 / batch)
    times.sort()
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
    return {
        "family": family,
        "ms_per_frame_min": round(times[0], 3),
        "resolution": resolution,
        "batch": batch,
        "threads": threads,
        "repeats": repeats,
        "ms_per_frame_p50": round(p50, 3),
        "ms_per_frame_p99": round(p99, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", nargs="+", default=list(builtin.names()), choices=builtin.names())
    parser.add_argument("--resolutions", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows = []
    for family in args.families:
        for res in args.resolutions:
            for batch in args.batches:
                reps = max(5, args.repeats * 256 * 256 // (res * res * batch))
                row = bench(family, res, batch, reps, args.threads)
                rows.append(row)
                print(json.dumps(row))
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        result = {
            "cpu": cpu_slug(),
            "torch": torch.__version__,
            "threads": args.threads,
            "note": f"shared machine; timings are noisy (load average {os.getloadavg()[0]:.1f} at the end)",
            "rows": rows,
        }
        path = args.out / f"builtin-{cpu_slug()}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
