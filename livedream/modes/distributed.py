"""Chunks drawn on Ray workers (`livedream export --ray [ADDRESS]`): one per GPU, or per few CPU cores.

The driver plans (modes/chunked.py) and submits one Ray task per chunk, as many in flight as there are
workers; a task draws its slice with the process's ChunkPainter and sends the chunk's bytes back through
Ray's object store, so workers need no shared disk. The model file travels the same way: the driver puts
its bytes in the object store once and each worker process writes them to its own scratch folder once.
A worker that dies is retried by Ray (`retries`); past that the export stops with one line and keeps
the finished chunks for a rerun.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.modes.chunk_worker import DrawSpec, painter_for, scratch_dir
from livedream.modes.chunks import Chunk, WorkFolder
from livedream.modes.engine import Planned
from livedream.modes.settings import ChunkSettings

log = logging.getLogger(__name__)

INSTALL = "--ray needs Ray, an optional extra: pip install 'livedream[ray]'"
CONNECT_TIMEOUT_S = 5.0
WAIT_S = 0.5  # the driver wakes this often to redraw the progress line (and notice Ctrl-C)
# A Ray started here is one machine's: every Ray process listens on 127.0.0.1 only, and reports no usage.
LOCAL_RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def import_ray(local: bool = False) -> Any:
    """Ray, or one line saying how to install it. local: a Ray of this machine only is wanted.

    Ray reads LOCAL_RAY_ENV when it is first imported, so a local run sets it before that.
    """
    if local:
        if "ray" in sys.modules:
            log.debug("Ray was imported before livedream could keep a local Ray on 127.0.0.1")
        for key, value in LOCAL_RAY_ENV.items():
            os.environ.setdefault(key, value)
    try:
        import ray
    except ImportError:
        raise LivedreamError(INSTALL) from None
    return ray


def _check_reachable(address: str) -> None:
    """A cluster address that does not answer fails in seconds with one line (Ray itself retries for long)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        if address == "auto":
            return
        raise LivedreamError(f"--ray {address}: expected HOST:PORT of a Ray cluster's head (e.g. 10.0.0.5:6379)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise LivedreamError(f"--ray {address}: no Ray cluster answers there ({exc.strerror or exc})") from None


def connect(c: ChunkSettings, use_gpu: bool) -> bool:
    """Join c.ray_address, or start a local Ray sized for c; returns True when this call started Ray."""
    ray = import_ray(local=not c.ray_address)
    if c.ray_address:
        _check_reachable(c.ray_address)
    if ray.is_initialized():  # a session the caller opened (tests, a notebook): use it as it is
        return False
    common = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if c.ray_address:
        try:
            ray.init(address=c.ray_address, **common)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise LivedreamError(f"--ray {c.ray_address}: cannot join the cluster ({_one_line(exc)})") from None
        return True
    gpus = _local_gpus() if use_gpu else 0
    per = max(1, c.cpus_per_worker)
    workers = c.workers or gpus or max(1, (os.cpu_count() or 1) // per)
    ray.init(num_cpus=workers * per if not gpus else max(os.cpu_count() or 1, workers), num_gpus=gpus, **common)
    return True


def _local_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def draw_chunk(spec: DrawSpec, model: list, index: int, planned: list[Planned]) -> bytes:
    """The Ray task: draw one chunk in this worker process and return its MP4 bytes."""
    ray = import_ray()
    painter = painter_for(spec, (lambda: ray.get(model[0])) if model else None)
    path = scratch_dir() / f"chunk-{index:06d}.mp4"
    painter.paint(planned, path)
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


class RayRunner:
    """Submits the chunks to Ray, keeps `workers` in flight, stores what comes back, stops them all on an error."""

    def __init__(self, c: ChunkSettings, device: str | None):
        self.c = c
        use_gpu = device is None or device.startswith("cuda")
        self._owned = connect(c, use_gpu)
        self.ray = import_ray()
        resources = self.ray.cluster_resources()
        gpus = int(resources.get("GPU", 0)) if use_gpu else 0
        self.device = "cuda" if gpus else "cpu"
        cpus = max(1, int(resources.get("CPU", 1)))
        if gpus:
            self.workers = min(c.workers or gpus, gpus)
            per = 1
        else:  # --workers N shares the cores out; else one worker per cpus_per_worker cores
            per = max(1, cpus // c.workers) if c.workers else max(1, c.cpus_per_worker)
            self.workers = c.workers or max(1, cpus // per)
        options: dict[str, Any] = dict(max_retries=c.retries, retry_exceptions=False)
        options.update(num_gpus=1, num_cpus=1) if gpus else options.update(num_cpus=per)
        self._task = self.ray.remote(draw_chunk).options(**options)
        log.info(
            "Ray: %d %s worker(s)%s",
            self.workers,
            "GPU" if gpus else "CPU",
            f" at {c.ray_address}" if c.ray_address else "",
        )

    def run(
        self,
        spec: DrawSpec,
        slices: Iterator[tuple[Chunk, list[Planned]]],
        work: WorkFolder,
        tally: Any,
        model: Path | None = None,
    ) -> None:
        # The model file's bytes in the object store once per render, nested in a list so that a task
        # fetches them only when its process has not written the file yet.
        model_ref = [self.ray.put(model.read_bytes())] if model is not None else []
        pending: dict[Any, Chunk] = {}
        try:
            ahead = next(slices, None)
            while ahead is not None or pending:
                while ahead is not None and len(pending) < self.workers:
                    chunk, planned = ahead
                    pending[self._task.remote(spec, model_ref, chunk.index, planned)] = chunk
                    tally.started(chunk)
                    ahead = next(slices, None)  # planned while the workers draw
                ready, _ = self.ray.wait(list(pending), num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    chunk = pending.pop(ref)
                    work.store(chunk.index, self._result(ref, chunk, work))
                    tally.finished(chunk)
        except BaseException:
            for ref in pending:
                self.ray.cancel(ref, force=True)
            raise

    def _result(self, ref: Any, chunk: Chunk, work: WorkFolder) -> bytes:
        ray = self.ray
        kept = len(list(work.path.glob("[0-9]*.mp4")))
        where = f"{kept} finished chunk(s) are kept in {work.path}: run the same command again to resume"
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, LivedreamError):
                raise LivedreamError(f"chunk {chunk.index} ({chunk.frames}): {cause}") from None
            raise LivedreamError(
                f"chunk {chunk.index} ({chunk.frames}) failed on worker {exc.ip} pid {exc.pid}: "
                f"{type(cause).__name__}: {_one_line(cause)}; {where}"
            ) from None
        except ray.exceptions.RayError as exc:
            raise LivedreamError(
                f"chunk {chunk.index} ({chunk.frames}): its worker died {self.c.retries + 1} time(s) "
                f"({type(exc).__name__}); {where}"
            ) from None

    def close(self) -> None:
        if self._owned:
            self.ray.shutdown()
