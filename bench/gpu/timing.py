"""Timing for the GPU benchmark: CUDA events on CUDA (host clock on the CPU), median and p99 of repeated calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch


def summary(ms: Sequence[float]) -> dict[str, float]:
    """p50 and p99 (linear interpolation) of per-call milliseconds."""
    a = np.asarray(ms, dtype=np.float64)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3)}


def time_calls(
    fn: Callable[[], object],
    device: torch.device,
    warmup: int = 3,
    min_reps: int = 10,
    max_reps: int = 200,
    target_s: float = 1.5,
) -> tuple[list[float], float]:
    """Milliseconds of each timed call of fn, and the seconds the warm-up took (compilation, graph capture).

    Each call is timed on its own and waited for (the live loop needs every image before the next), with
    CUDA events around it on CUDA, so the figure is the call's latency as the GPU saw it, launch gaps included.
    The number of calls fits about target_s, between min_reps and max_reps.
    """
    t0 = time.perf_counter()
    for _ in range(warmup):
        fn()
    _sync(device)
    warm_s = time.perf_counter() - t0
    first = _time_one(fn, device)
    reps = int(np.clip(target_s / max(first / 1000.0, 1e-6), min_reps, max_reps))
    return [first] + [_time_one(fn, device) for _ in range(reps - 1)], warm_s


def _time_one(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return float(start.elapsed_time(end))
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Stopwatch:
    """Host wall time between marks, synchronising the device first so that its work is counted where it ran."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.t = time.perf_counter()

    def lap(self, finish: Callable[[], None] | None = None) -> float:
        """ms since the last lap; finish() (e.g. glFinish) runs first, after the device sync."""
        _sync(self.device)
        if finish is not None:
            finish()
        now = time.perf_counter()
        ms, self.t = (now - self.t) * 1000.0, now
        return ms
