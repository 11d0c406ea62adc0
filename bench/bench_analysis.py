"""Score the streaming Analyzer on the shared eval clips (onset F, chroma cosine, delay, speed)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time

from livedream.audio.analyzer import ANALYSIS_RATE, DEFAULT_ONSET_METHOD, ONSET_METHODS, Analyzer
from livedream.sources.file import iter_blocks

EVAL_DIR = "/work/shared/eval"
HERE = os.path.dirname(os.path.abspath(__file__))


def analyze_stream(wav: str, method: str, chunk: int) -> tuple[list[float], dict, float, float, list[float]]:
    """Decode and analyse like the pipeline does: (onset times, chroma dict, audio s, cpu s, raw report times)."""
    an = Analyzer(ANALYSIS_RATE, method)
    onsets, reports, times, chroma = [], [], [], []
    n = 0
    t0 = time.process_time()
    for block in iter_blocks(wav, sample_rate=ANALYSIS_RATE, channels=1, block_frames=chunk):
        x = block.samples[:, 0]  # [n]
        n += len(x)
        for f in an.feed(x):
            if f.onset:
                onsets.append(round(f.onset_time, 5))
                reports.append(round(f.time, 5))
            times.append(round(f.time, 5))
            chroma.append([round(float(v), 5) for v in f.chroma_norm])
    cpu = time.process_time() - t0
    return onsets, {"times": times, "chroma": chroma}, n / ANALYSIS_RATE, cpu, reports


def run_scorer(script: str, clips: str, det: dict, python: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as td:
        dpath, rpath = os.path.join(td, "det.json"), os.path.join(td, "res.json")
        with open(dpath, "w") as f:
            json.dump(det, f)
        cmd = [python, os.path.join(EVAL_DIR, script), clips, dpath, "--json", rpath, *extra]
        proc = subprocess.run(cmd, cwd=EVAL_DIR, capture_output=True, text=True, check=True)
        sys.stdout.write(proc.stdout)
        with open(rpath) as f:
            return json.load(f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", help="clips built by make_clips.py (default: build them into a temp dir)")
    ap.add_argument("--eval-python", default="/tmp/evalenv/bin/python", help="python with mir_eval etc.")
    ap.add_argument("--method", default=DEFAULT_ONSET_METHOD, choices=ONSET_METHODS)
    ap.add_argument("--chunk", type=int, default=1024, help="samples per feed() call (a sound-card-like block)")
    ap.add_argument("--out", help="result json (default bench/results/analysis-<host>.json)")
    a = ap.parse_args()

    tmp = None
    clips = a.clips
    if not clips:
        tmp = tempfile.TemporaryDirectory()
        clips = tmp.name
        subprocess.run([a.eval_python, os.path.join(EVAL_DIR, "make_clips.py"), "--out", clips], check=True)
    with open(os.path.join(clips, "index.json")) as f:
        index = json.load(f)

    onsets, reports, chroma, speed = {}, {}, {}, {}
    audio_s = cpu_s = 0.0
    for c in index["clips"]:
        on, ch, secs, cpu, rep = analyze_stream(os.path.join(clips, c["wav"]), a.method, a.chunk)
        onsets[c["id"]], reports[c["id"]], chroma[c["id"]] = on, rep, ch
        speed[c["id"]] = round(secs / max(cpu, 1e-9), 1)
        audio_s += secs
        cpu_s += cpu
        print(f"{c['id']:32s} {len(on):4d} onsets  {speed[c['id']]:7.1f}x real time (cpu)")

    an = Analyzer(ANALYSIS_RATE, a.method)
    print("\n== onsets, delay-corrected (onset_time) ==")
    on_res = run_scorer("eval_onsets.py", clips, onsets, a.eval_python, [])
    print("\n== onsets, raw report times (median offset = measured reporting delay) ==")
    raw_res = run_scorer("eval_onsets.py", clips, reports, a.eval_python, [])
    print(f"\n== chroma, shifted by the chroma window's delay {an.chroma_delay_s:.3f} s ==")
    ch_res = run_scorer("eval_chroma.py", clips, chroma, a.eval_python, ["--shift", str(an.chroma_delay_s)])

    result = {
        "host": socket.gethostname(),
        "cpu": platform.processor() or platform.machine(),
        "note": "timings on a shared 2-core machine are noisy",
        "method": a.method,
        "chunk": a.chunk,
        "analysis_rate": ANALYSIS_RATE,
        "hop_s": an.hop_s,
        "onset_delay_s": an.onset_delay_s,
        "chroma_delay_s": an.chroma_delay_s,
        "measured_report_delay_ms": raw_res["mean"]["median_offset_ms"],
        "onset_F": on_res["mean"]["F"],
        "onset_P": on_res["mean"]["P"],
        "onset_R": on_res["mean"]["R"],
        "chroma_cos": ch_res["mean"]["cos"],
        "chroma_top1": ch_res["mean"]["top1"],
        "speed_x_realtime": round(audio_s / max(cpu_s, 1e-9), 1),
        "per_clip": {
            cid: {"onset": on_res["clips"].get(cid), "chroma": ch_res["clips"].get(cid), "speed_x_realtime": speed[cid]}
            for cid in onsets
        },
        "clips_index": {
            "soundfont_sha256": index.get("soundfont_sha256"),
            "wav_sha256": {c["id"]: c["wav_sha256"] for c in index["clips"]},
        },
    }
    out = a.out or os.path.join(HERE, "results", f"analysis-{socket.gethostname() or 'host'}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(
        f"\nonset F {result['onset_F']:.3f}  chroma cos {result['chroma_cos']:.3f}  "
        f"report delay {result['measured_report_delay_ms']:.1f} ms (corrected by {an.onset_delay_s * 1000:.1f} ms)  "
        f"speed {result['speed_x_realtime']}x real time  -> {out}"
    )
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
