"""Displayed frames of `livedream live` while python-osc floods its OSC port (10,000 messages a second).

Runs the real command under its own Xvfb and `jackd -d dummy` with jack_metro playing into it, measures
a quiet stretch, then a flood (valid values, 0..1 fader values, NaNs and unknown addresses, mixed), then a
quiet stretch again, from the stats file (one line each 0.25 s):

    .venv/bin/python -m bench.bench_osc_flood [--rate 10000] [--seconds 5] [--out bench/results/osc-flood.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from tests.helpers import live_harness as h

QUIET_S = 3.0
STATS_S = 0.25


def messages() -> list:
    out = []
    for i in range(256):
        for address, value in (
            ("/livedream/speed_fpm", float(i % 240)),
            ("/livedream/norm/pulse_react", i / 255),
            ("/livedream/truncation", float("nan")),
            ("/livedream/unknown", i),
        ):
            b = OscMessageBuilder(address)
            b.add_arg(value)
            out.append(b.build())
    return out


def flood(port: int, rate: int, seconds: float) -> int:
    client, msgs = SimpleUDPClient("127.0.0.1", port), messages()
    start, sent = time.monotonic(), 0
    while (now := time.monotonic()) - start < seconds:
        due = int((now - start) * rate)
        while sent < due:
            client.send(msgs[sent % len(msgs)])
            sent += 1
        time.sleep(0.001)
    return sent


def summary(records: list[dict]) -> dict:
    fps = [r["fps"] for r in records]
    return {
        "windows": len(records),
        "fps_mean": round(float(np.mean(fps)), 2),
        "fps_min": round(float(np.min(fps)), 2),
        "max_frame_ms": max(r["max_frame_ms"] for r in records),
        "frames": records[-1]["frames"] - records[0]["frames"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=10_000, help="messages a second")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of the flood")
    ap.add_argument("--size", default="256x256")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    port = h.free_udp_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        h.xvfb() as (display, _),
        h.jackd() as server,
        h.metronome(server, bpm=120) as metro,
    ):
        stats = Path(tmp) / "stats.jsonl"
        total = 2 + 2 * QUIET_S + args.seconds + 2
        cmd = [sys.executable, "-m", "livedream", "live", "--size", args.size, "--duration", str(total),
               "--stats-file", str(stats), "--stats-interval", str(STATS_S), "--osc-port", str(port)]  # fmt: skip
        proc = subprocess.Popen(cmd, env={**h.jack_env(server), "DISPLAY": display})
        for p in h.wait_for_ports(server, "livedream:in"):
            h.connect(server, metro, p)
        time.sleep(2 + QUIET_S)
        t0 = json.loads(stats.read_text().splitlines()[-1])["t"]
        sent = flood(port, args.rate, args.seconds)
        t1 = json.loads(stats.read_text().splitlines()[-1])["t"]
        rc = proc.wait(timeout=total + 60)
        lines = [json.loads(line) for line in stats.read_text().splitlines()]
    before = [r for r in lines if 2.0 <= r["t"] <= t0]
    during = [r for r in lines if t0 + STATS_S < r["t"] <= t1]
    after = [r for r in lines if r["t"] > t1 + STATS_S]
    result = {
        "rc": rc,
        "rate": args.rate,
        "flood_s": args.seconds,
        "sent": sent,
        "osc": lines[-1].get("osc"),
        "before": summary(before),
        "during": summary(during),
        "after": summary(after),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
