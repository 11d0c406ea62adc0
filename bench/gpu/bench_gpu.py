"""StyleGAN2 on a GPU, measured: fp16 against fp32, the generator, export and the live frame, each speed variant.

    python3 -m bench.gpu.bench_gpu                        # everything, on CUDA: bench/results/<device>.json
    python3 -m bench.gpu.bench_gpu --device cpu --quick   # tiny sizes on the CPU: the rehearsal CI runs
    python3 -m bench.gpu.bench_gpu --sections generator --out part.json --budget-s 90
    python3 -m bench.gpu.bench_gpu --merge parts/*.json --copy-to "$OUT"

bench/gpu/run.sh runs each section in its own process (a crash or a hang costs one section) and merges
them. Results: {"device", "date", "torch", "cuda", "fp16_vs_fp32_max_abs", "entries": [...]} plus checks
and skips; bench/gpu/NOTES.md says what to look at.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch

from bench.gpu import export_bench, gen_bench, live_bench
from bench.gpu.model import FULL, QUICK, random_network
from bench.gpu.results import Results, merge, table, write_json

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("check", "generator", "variants", "export", "live", "compile")


def results_path(data: dict) -> Path:
    return ROOT / "bench" / "results" / f"{data['device_slug']}.json"


def run_sections(args: argparse.Namespace) -> dict:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here")
    plan = QUICK if args.quick else FULL
    if plan.quick and device.type == "cpu":
        torch.set_num_threads(1)  # tiny tensors: more threads only spin against each other on a busy machine
    sections = args.sections.split(",") if args.sections else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    deadline = time.monotonic() + args.budget_s
    res = Results(None, device, args.quick)
    res.path = Path(args.out) if args.out else results_path(res.data)
    res.save()
    artifacts = Path(args.artifacts) if args.artifacts else None
    if artifacts is not None:
        artifacts.mkdir(parents=True, exist_ok=True)
    net = random_network(plan, device)
    for section in sections:
        logging.info("section %s (%.0f s left)", section, deadline - time.monotonic())
        if section == "check":
            gen_bench.check(res, plan, net, device)
        elif section == "generator":
            gen_bench.matrix(res, plan, net, device, deadline)
        elif section == "variants":
            gen_bench.variants(res, plan, net, device, deadline)
        elif section == "compile":
            gen_bench.variants(res, plan, net, device, deadline, compiled=True)
        elif section == "export":
            export_bench.run(res, plan, net, device, deadline, artifacts)
        elif section == "live":
            live_bench.run(res, plan, net, device, deadline, artifacts)
    return res.data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=("cuda", "cpu"), default=None, help="default: cuda when there is one")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs, measures nothing")
    ap.add_argument("--sections", default=None, help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--budget-s", type=float, default=420.0, help="later configurations are skipped past this")
    ap.add_argument("--out", default=None, help="results file (default: bench/results/<device>.json)")
    ap.add_argument("--copy-to", default=None, help="a folder for a copy of the results (e.g. $OUT)")
    ap.add_argument("--artifacts", default=None, help="a folder for a frame of the export and of the live loop")
    ap.add_argument("--merge", nargs="+", default=None, help="merge these section results instead of running")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.merge:
        parts = []
        for p in args.merge:
            try:
                parts.append(json.loads(Path(p).read_text()))
            except (OSError, json.JSONDecodeError) as exc:
                logging.error("section results %s unreadable (%s); left out", p, exc)
        data = merge(parts)
    else:
        data = run_sections(args)
        out = Path(args.out) if args.out else results_path(data)
        write_json(out, data)
        logging.info("wrote %s", out)
    if args.copy_to:
        copy = Path(args.copy_to) / f"{data['device_slug']}.json"
        write_json(copy, data)
        logging.info("wrote %s", copy)
    print(table(data), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
