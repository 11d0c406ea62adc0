"""Click -> flash latency of `livedream live`: jack_metro clicks into the input, the flash is read back from GL.

Starts its own Xvfb and `jackd -d dummy`, runs the live loop in this process with a per-frame hook, and for each
click finds the first displayed frame whose brightness jumps. A click's time is when its first sample was
captured: the ring buffer's newest block arrival minus the samples after it, minus one JACK period (the input
buffering before PortAudio's callback gets the block). A frame's time is when its swap returned (the window's
swap is timed; Xvfb shows a frame when the swap returns). `after_pacing` also gives the older, pessimistic
reading that took the end of the frame loop's pacing sleep after the swap as the frame's time.
`--fall 512` analyses with the symmetric (Hann) percussive window, for before/after comparisons.

    .venv/bin/python -m bench.bench_live_latency [--seconds 12] [--fall N] [--out bench/results/live-latency.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

from livedream.audio import analyzer
from livedream.modes.live import LiveSettings, run_live
from livedream.params import defaults
from tests.helpers import live_harness as h

PERIOD = 512
RATE = 48000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--fall", type=int, default=analyzer.SPEC_FALL, help="percussive window's fall (samples)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    analyzer.SPEC_FALL = args.fall
    frames = []  # (brightness, swap time of the previous frame after the pacing sleep)
    swaps: list[float] = []  # when each frame's swap returned
    clicks: list[float] = []
    state = {"pos": 0}

    def timed_swap(swap):
        def run_swap() -> None:
            swap()
            swaps.append(time.monotonic())

        return run_swap

    def hook(info) -> None:
        if not frames:
            info.window.swap = timed_swap(info.window.swap)
        pixels = info.window.read()
        h_, w_ = pixels.shape[:2]
        centre = pixels[h_ // 4 : 3 * h_ // 4, w_ // 4 : 3 * w_ // 4]
        ring = info.source.ring
        written, stamp = ring.written, ring.stamp
        samples, pos, _ = ring.read_from(state["pos"])
        loud = np.flatnonzero(np.abs(samples[:, 0]) > 0.05)
        if len(loud):
            first = state["pos"] + int(loud[0])
            captured = stamp - (written - first) / RATE - PERIOD / RATE
            if not clicks or captured - clicks[-1] > 0.3:
                clicks.append(captured)
        state["pos"] = pos
        frames.append((float(centre.mean()), info.last_swap_at))

    with h.xvfb() as (display, _), h.jackd(RATE, PERIOD) as server, h.metronome(server, bpm=60) as metro:
        os.environ.update(DISPLAY=display, JACK_DEFAULT_SERVER=server)

        def connect() -> None:
            for port in h.wait_for_ports(server, "livedream:in"):
                h.connect(server, metro, port)

        threading.Thread(target=connect, daemon=True).start()
        params = {
            **defaults(),
            "flash_strength": 1.0,
            "contrast_strength": 0.0,
            "pulse_react": 0.0,
            "speed_fpm": 0.0,
            "motion_react": 0.0,
        }
        run_live(LiveSettings(params=params, size=(256, 256), duration=args.seconds), on_frame=hook)

    swapped = [(frames[i][0], swaps[i]) for i in range(min(len(frames), len(swaps)))]
    # The older reading: frame k's time taken as frame k+1's last_swap_at (after the pacing sleep).
    paced = [(frames[i][0], frames[i + 1][1]) for i in range(len(frames) - 1)]
    latencies, legacy = _latencies(clicks, swapped), _latencies(clicks, paced)
    result = {
        "clicks": len(clicks),
        "measured": len(latencies),
        "latency_ms": _summary(latencies),
        "all_ms": [round(x, 1) for x in latencies],
        "after_pacing_ms": _summary(legacy),
        "percussive_window_fall": args.fall,
        "jack_period": PERIOD,
        "rate": RATE,
        "size": "256x256",
        "style": "builtin 256",
        "machine": f"{platform.node()}, {os.cpu_count()} cores, no GPU (Xvfb + llvmpipe), jackd -d dummy",
        "command": "python -m bench.bench_live_latency " + " ".join(sys.argv[1:]),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


def _latencies(clicks: list[float], shown: list[tuple[float, float]]) -> list[float]:
    """ms from each click to the first frame shown after it whose brightness jumps (shown: brightness, time)."""
    out = []
    for click in clicks[1:]:  # the first may have started before the connection was complete
        before = [b for b, t in shown if t < click]
        if len(before) < 3:
            continue
        base = np.median(before[-10:])
        flash = next((t for b, t in shown if t >= click and b > base + 20), None)
        if flash is not None:
            out.append(1000 * (flash - click))
    return out


def _summary(ms: list[float]) -> dict[str, float] | None:
    if not ms:
        return None
    return {
        "median": round(float(np.median(ms)), 1),
        "min": round(float(np.min(ms)), 1),
        "max": round(float(np.max(ms)), 1),
    }


if __name__ == "__main__":
    sys.exit(main())
