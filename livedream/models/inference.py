"""Running the generator for the engine: batched and in order (export), or on a thread where the newest wins (live).

Both are Renderers: render([(seq, LatentFrame or None)]) -> [Rendered or None]. None asks for no new image
(the picture is frozen): the last one shown is given again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from livedream.control.latent import LatentFrame
from livedream.models.base import Generator, control_kwargs, to_uint8

log = logging.getLogger(__name__)

ERROR_LOG_EVERY_S = 5.0  # a generator failing every frame logs once per this many seconds
MIN_RESOLUTION = 32


@dataclass(frozen=True)
class Rendered:
    """One generated image and the request it answers."""

    seq: int  # the number given to submit()
    frame: LatentFrame
    image: np.ndarray  # [H, W, 3] uint8
    gen_ms: float


def generate_frames(gen: Generator, frames: Sequence[LatentFrame]) -> np.ndarray:
    """One generator call for a batch of latent frames -> [B, H, W, 3] uint8 on the host."""
    z = torch.from_numpy(np.stack([f.z for f in frames])).to(gen.device)  # [B, z_dim]
    c = torch.from_numpy(np.stack([f.c for f in frames])).to(gen.device)  # [B, c_dim]
    extras = control_kwargs(gen, np.stack([f.directions for f in frames]), np.stack([f.camera for f in frames]))
    with torch.inference_mode():
        images = gen(z, c, truncation=frames[0].truncation, **extras)  # [B, 3, H, W]
    return to_uint8(images)


@contextlib.contextmanager
def torch_threads(gen: Generator, threads: int | None = None) -> Iterator[None]:
    """torch's CPU thread count while an export runs a CPU generator, restored afterwards.

    None: all cores but one. The generator runs beside the GL effects and the x264 encoder; with all the
    cores, torch's idle workers spin for the ones that GL and x264 are using (a quarter of the export's CPU
    time on 2 cores, measured in bench/bench_export.py). A GPU generator leaves the setting alone.
    """
    if gen.device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads if threads is not None else (os.cpu_count() or 2) - 1))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Renderer(Protocol):
    """What the engine asks of the generator side; `batch_size` is how many frames it likes per call."""

    batch_size: int
    dropped: int
    errors: int

    def render(self, requests: Sequence[tuple[int, LatentFrame | None]]) -> list[Rendered | None]: ...


class BatchRenderer:
    """Export: every frame generated, in order, batch_size at a time (one generator call per batch)."""

    dropped = 0
    errors = 0

    def __init__(self, gen: Generator, batch_size: int = 4):
        self.gen, self.batch_size = gen, max(1, int(batch_size))
        self._last: Rendered | None = None

    def render(self, requests: Sequence[tuple[int, LatentFrame | None]]) -> list[Rendered | None]:
        wanted = [(seq, f) for seq, f in requests if f is not None]
        t0 = time.perf_counter()
        images: np.ndarray | list[np.ndarray] = generate_frames(self.gen, [f for _, f in wanted]) if wanted else []
        ms = 1000.0 * (time.perf_counter() - t0) / max(1, len(wanted))
        made = iter(Rendered(seq, f, image, ms) for (seq, f), image in zip(wanted, images, strict=True))
        out: list[Rendered | None] = []
        for _, frame in requests:
            if frame is not None:
                self._last = next(made)
            out.append(self._last)
        return out


class InferenceWorker:
    """Runs the generator on its own thread so that the display never waits for it.

    submit() replaces any request not yet started (counted in `dropped`); `latest` is the newest
    finished image. A generator error is logged (at most every few seconds) and the last good image
    stays. Out of GPU memory, `shrink(generator) -> smaller generator or None` is asked for a
    generator at a lower resolution.
    """

    batch_size = 1

    def __init__(
        self,
        gen: Generator,
        shrink: Callable[[Generator], Generator | None] | None = None,
        wait: bool = False,
    ):
        self.gen = gen
        self.wait = wait  # block for each request's own image (a simulated clock) instead of taking the newest
        self.shrink = shrink
        self.latest: Rendered | None = None
        self.dropped = 0
        self.errors = 0
        self.finished = -1  # seq of the newest request handled, image or error
        self._pending: tuple[int, LatentFrame] | None = None
        self._cond = threading.Condition()
        self._stopped = False
        self._last_error_log = -1e9
        self._thread = threading.Thread(target=self._run, name="livedream-inference", daemon=True)

    def start(self) -> InferenceWorker:
        self._thread.start()
        return self

    def render(self, requests: Sequence[tuple[int, LatentFrame | None]]) -> list[Rendered | None]:
        """Submit each request (None: nothing new) and answer with the newest image there is, at once."""
        out: list[Rendered | None] = []
        for seq, frame in requests:
            if frame is not None:
                self.submit(seq, frame)
                out.append(self.wait_for(seq) if self.wait else self.latest)
            else:
                out.append(self.latest)
        return out

    def submit(self, seq: int, frame: LatentFrame) -> None:
        """Ask for frame; an older request still waiting is dropped."""
        with self._cond:
            if self._pending is not None:
                self.dropped += 1
            self._pending = (seq, frame)
            self._cond.notify()

    def wait_for(self, seq: int, timeout: float = 30.0) -> Rendered | None:
        """Block until the image of request seq (or a later one) is done: for a simulated clock."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.finished < seq and not self._stopped:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self.latest

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                assert self._pending is not None  # the wait ends on a request or on stop
                seq, frame = self._pending
                self._pending = None
            done = self._generate(seq, frame)
            with self._cond:
                self.latest = done or self.latest
                self.finished = seq
                self._cond.notify_all()

    def _generate(self, seq: int, frame: LatentFrame) -> Rendered | None:
        t0 = time.perf_counter()
        try:
            image = generate_frames(self.gen, [frame])[0]  # [H, W, 3] uint8
        except torch.cuda.OutOfMemoryError:
            self._out_of_memory()
            return None
        except Exception as exc:  # noqa: BLE001 - any generator failure: keep the last good frame
            self._report(exc)
            return None
        return Rendered(seq, frame, image, 1000.0 * (time.perf_counter() - t0))

    def _report(self, exc: Exception) -> None:
        self.errors += 1
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_EVERY_S:
            self._last_error_log = now
            log.error(
                "generator failed (%d so far); keeping the last good frame: %s: %s",
                self.errors,
                type(exc).__name__,
                exc,
            )

    def _out_of_memory(self) -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        smaller = self.shrink(self.gen) if self.shrink else None
        if smaller is None:
            self._report(RuntimeError("out of GPU memory and no lower resolution to fall back to"))
            return
        log.warning(
            "out of GPU memory at %d px; rendering at %d px from now on", self.gen.resolution, smaller.resolution
        )
        self.gen = smaller
