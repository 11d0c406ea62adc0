"""Score the streaming Analyzer on eval clips (onsets, chroma, beats, drum bands, delay) and time it on one core."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import time

import numpy as np

from bench.machine import cpu_name
from livedream.audio.analyzer import ANALYSIS_RATE, DEFAULT_ONSET_METHOD, ONSET_METHODS, Analyzer
from livedream.audio.bands import DRUM_BANDS, REPORT_HOPS
from livedream.audio.report import beat_time
from livedream.sources.file import iter_blocks

HERE = os.path.dirname(os.path.abspath(__file__))


def decode(wav: str, chunk: int) -> list[np.ndarray]:
    """The pipeline's decode path, kept apart so that the timing below is the analysis alone."""
    return [b.samples[:, 0].copy() for b in iter_blocks(wav, sample_rate=ANALYSIS_RATE, channels=1, block_frames=chunk)]


def timed_feed(blocks: list[np.ndarray], method: str) -> tuple[Analyzer, list, float]:
    """One fresh Analyzer over the blocks -> (it, its features, CPU seconds of Analyzer.feed)."""
    an = Analyzer(ANALYSIS_RATE, method)
    feats = []
    t0 = time.process_time()
    for x in blocks:
        feats.extend(an.feed(x))
    return an, feats, time.process_time() - t0


def analyze(blocks: list[np.ndarray], method: str, repeat: int = 1) -> tuple[dict, float]:
    """-> (detections of one clip, CPU seconds of Analyzer.feed: the least of `repeat` passes).

    On a shared VM one pass's CPU time swings by 20 % with the neighbours' load (cache, steal time); the least
    of a few passes is the analysis' own cost (as timeit takes the minimum). Every pass must detect the same.
    """
    an, feats, cpu = timed_feed(blocks, method)
    for _ in range(repeat - 1):
        _, again, t = timed_feed(blocks, method)
        assert [f.onset for f in again] == [f.onset for f in feats], "the analyzer is not deterministic"
        cpu = min(cpu, t)
    det = {
        "onsets": [round(f.onset_time, 5) for f in feats if f.onset],
        "reports": [round(f.time, 5) for f in feats if f.onset],
        "chroma": {
            "times": [round(f.time, 4) for f in feats],
            "chroma": [f.chroma_norm.round(4).tolist() for f in feats],
        },
        "beats": [round(beat_time(f), 4) for f in feats if f.beat],
        "downbeats": [round(beat_time(f), 4) for f in feats if f.downbeat],
        "drums": {
            b: [round(f.time - an.onset_delay_s - k * an.hop_s, 4) for f in feats if getattr(f, b)]
            for b, k in zip(DRUM_BANDS, REPORT_HOPS, strict=True)
        },
        "tempo_bpm": round(float(np.median([f.tempo_bpm for f in feats[len(feats) // 2 :]])), 2),
    }
    return det, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("clips", nargs="+", help="clip dirs built by make_clips.py or bench/make_heldout.py")
    ap.add_argument("--eval-python", default="/tmp/ana-venv/bin/python", help="python with mir_eval, pretty_midi")
    ap.add_argument("--method", default=DEFAULT_ONSET_METHOD, choices=ONSET_METHODS)
    ap.add_argument("--chunk", type=int, default=1024, help="samples per feed() call (a sound-card-like block)")
    ap.add_argument("--librosa", action="store_true", help="also score librosa's offline detectors (slow)")
    ap.add_argument("--out", help="result json (default bench/results/analysis-<set>.json)")
    ap.add_argument("--repeat", type=int, default=3, help="passes per clip; the least CPU time counts (default 3)")
    ap.add_argument("--detections-out", help="also write the onset detections here (for bench/onset_attacks.py)")
    a = ap.parse_args()
    for clips in a.clips:
        run_set(clips, a)


def run_set(clips: str, a: argparse.Namespace) -> None:
    with open(os.path.join(clips, "index.json")) as f:
        index = json.load(f)
    det: dict[str, dict] = {k: {} for k in ("onsets", "reports", "chroma", "beats", "downbeats", "drums")}
    speed, tempo = {}, {}
    audio_s = cpu_s = 0.0
    for c in index["clips"]:
        blocks = decode(os.path.join(clips, c["wav"]), a.chunk)
        d, cpu = analyze(blocks, a.method, a.repeat)
        for k in det:
            det[k][c["id"]] = d[k]
        secs = sum(len(b) for b in blocks) / ANALYSIS_RATE
        speed[c["id"]], tempo[c["id"]] = round(secs / max(cpu, 1e-9), 1), d["tempo_bpm"]
        audio_s += secs
        cpu_s += cpu
        print(f"{c['id']:40s} {len(d['onsets']):4d} onsets {d['tempo_bpm']:6.1f} bpm {speed[c['id']]:6.1f}x")
    if a.detections_out and len(a.clips) == 1:
        with open(a.detections_out, "w") as f:
            json.dump({"onsets": det["onsets"]}, f)
    an = Analyzer(ANALYSIS_RATE, a.method)
    with tempfile.TemporaryDirectory() as td:
        dpath, rpath = os.path.join(td, "det.json"), os.path.join(td, "res.json")
        with open(dpath, "w") as f:
            json.dump(det, f)
        extra = ["--librosa"] if a.librosa else []
        cmd = [a.eval_python, os.path.join(HERE, "score_analysis.py"), clips, dpath, "--json", rpath]
        subprocess.run([*cmd, "--chroma-shift", str(an.chroma_delay_s), *extra], check=True)
        with open(rpath) as f:
            res = json.load(f)
        with open(dpath, "w") as f:  # raw report times: their median offset is the reporting delay
            json.dump({"onsets": det["reports"]}, f)
        subprocess.run(cmd, check=True)
        with open(rpath) as f:
            raw = json.load(f)["livedream"]["onsets"]["mean"]
    name = index.get("set") or os.path.basename(os.path.normpath(clips))
    result = {
        "set": name,
        "host": socket.gethostname(),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "note": "CPU time of Analyzer.feed on one core (decode excluded; per clip the least of `repeat` passes); "
        "the machine's 2 cores are shared",
        "repeat": a.repeat,
        "method": a.method,
        "chunk": a.chunk,
        "hop_s": an.hop_s,
        "onset_delay_s": an.onset_delay_s,
        "chroma_delay_s": an.chroma_delay_s,
        "measured_report_delay_ms": raw["median_offset_ms"],
        "speed_x_realtime": round(audio_s / max(cpu_s, 1e-9), 1),
        "per_clip_speed": speed,
        "tempo_bpm": tempo,
        **res,
    }
    out = a.out if a.out and len(a.clips) == 1 else os.path.join(HERE, "results", f"analysis-{name}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    summary(result)
    print("->", out)


def summary(r: dict) -> None:
    for who, s in (("livedream", r["livedream"]), ("librosa", r.get("librosa"))):
        if not s:
            continue
        print(f"== {who} ==")
        if "onsets" in s:
            print(
                f"onset F {s['onsets']['mean']['F']:.3f}  by family",
                {k: v["F"] for k, v in s["onsets"]["by_family"].items()},
            )
            print("  by kind", {k: v["F"] for k, v in s["onsets"]["by_kind"].items()})
        if "chroma" in s:
            print(
                f"chroma cos {s['chroma']['mean']['cos']:.3f}",
                {k: v["cos"] for k, v in s["chroma"]["by_family"].items()},
            )
        if "beats" in s:
            print("beats", s["beats"]["mean"], {k: (v["F"], v["AMLt"]) for k, v in s["beats"]["by_family"].items()})
        if "downbeats" in s:
            print("downbeats", s["downbeats"]["mean"])
        if "drums" in s:
            print("drums F", s["drums"]["mean_F"])
    print(f"report delay {r['measured_report_delay_ms']:.1f} ms, speed {r['speed_x_realtime']}x")


if __name__ == "__main__":
    main()
