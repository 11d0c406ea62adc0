"""The drawing half of a chunked export, in whichever process draws: frames planned by the driver -> a chunk MP4.

A worker gets a DrawSpec (small, picklable: everything that decides a pixel that the plan does not hold)
and a slice of Planned frames; it keeps one GL context, generator and drawing-only Engine per process
and spec, so a Ray worker that draws many chunks loads its model once.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from livedream.models.base import Generator
    from livedream.modes.engine import Engine, Planned

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawSpec:
    """How a worker draws: output, effects, encoder, and which generator (a style, or a model file's bytes)."""

    size: tuple[int, int]
    fps: Fraction
    fit: str
    effects: tuple[str, ...]  # built-in names, and user .frag files by file name (their text in shader_sources)
    crf: int
    preset: str
    batch_size: int
    seed: int
    device: str | None
    model_resolution: int | None
    style: str | None  # None: the built-in style; else the model's file name (its bytes come with the task)
    model_digest: str | None = None  # sha256 of the model file: the worker's cache name for it
    shader_sources: tuple[tuple[str, str], ...] = ()  # (file name, GLSL text) of the user's effects
    cpu_effects: tuple[Any, ...] = field(default=(), compare=False)  # render.cpu_effects.FrameEffect objects
    builtin: str | None = None  # the --style of a built-in family ("builtin:crystal"); None: the default
    scale_in_sink: bool = False  # the encoder does the fit, as export() does for the same settings


class _AppliedEffects:
    """The numpy effects as a worker runs them: amplitudes come planned, only apply() is asked."""

    def __init__(self, effects: Sequence[Any]):
        self.effects = list(effects)

    def amplitudes(self, t: float) -> list[float]:
        raise RuntimeError("a chunk worker is given its numpy effects' amplitudes")

    def apply(self, frame: np.ndarray, amplitudes: Sequence[float]) -> np.ndarray:
        for effect, amplitude in zip(self.effects, amplitudes, strict=True):
            frame = effect.apply(frame, amplitude)
        return frame


class ChunkPainter:
    """A GL context, a generator and a drawing-only Engine: draws slices of planned frames into chunk MP4s."""

    def __init__(self, spec: DrawSpec, gen: Generator, shader_dir: Path | None = None):
        from livedream.models.inference import BatchRenderer
        from livedream.modes.engine import Engine
        from livedream.modes.settings import EXPORT_SOFTWARE_GL_THREADS
        from livedream.render.gl import headless_context
        from livedream.util.allocator import keep_freed_memory

        self.spec = spec
        effects = tuple(str(shader_dir / e) if shader_dir and e.endswith(".frag") else e for e in spec.effects)
        keep_freed_memory()  # as export() does: the generator's tensors reuse freed pages
        self.ctx = headless_context(EXPORT_SOFTWARE_GL_THREADS)
        numpy_effects = _AppliedEffects(spec.cpu_effects) if spec.cpu_effects else None
        self.engine: Engine = Engine(
            self.ctx,
            None,
            BatchRenderer(gen, spec.batch_size),
            None,
            spec.size,
            fit=spec.fit,
            effects=effects,
            numpy_effects=numpy_effects,
            scale_in_sink=spec.scale_in_sink,
        )

    def paint(self, planned: Iterable[Planned], path: Path) -> int:
        """Draw the frames into a video-only MP4 at path (renamed into place when whole); returns frames drawn."""
        from livedream.sinks.mp4 import Mp4Writer
        from livedream.sinks.mp4_sink import Mp4Sink

        spec = self.spec
        writer = Mp4Writer(path, spec.size, spec.fps, crf=spec.crf, preset=spec.preset)
        sink = Mp4Sink(writer)
        self.engine.sinks = [sink]
        try:
            drawn = self.engine.draw_all(planned)
            sink.close()
        except BaseException:
            sink.abort()
            raise
        finally:
            self.engine.sinks = []
        return drawn

    def release(self) -> None:
        self.engine.release()
        self.ctx.release()


# Per worker process: one painter per spec, reused across chunks. The spec's numpy effects (user functions,
# not comparable) are not part of its key: they are set again on each use.
_painters: dict[DrawSpec, ChunkPainter] = {}
_scratch: tempfile.TemporaryDirectory | None = None


def scratch_dir() -> Path:
    """This process's own temporary folder (model files, user shaders, chunks before they are sent back)."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.TemporaryDirectory(prefix="livedream-worker-")
    return Path(_scratch.name)


def painter_for(spec: DrawSpec, model_bytes: Callable[[], bytes] | None = None) -> ChunkPainter:
    """The process's painter for spec, made on first use: the model file written from model_bytes() once."""
    painter = _painters.get(spec)
    if painter is not None:
        painter.engine.numpy_effects = _AppliedEffects(spec.cpu_effects) if spec.cpu_effects else None
        return painter
    from livedream.models.registry import load_generator

    style = spec.style
    if style is not None and model_bytes is not None:
        path = scratch_dir() / f"{spec.model_digest}{Path(style).suffix}"
        if not path.is_file():
            path.write_bytes(model_bytes())
        style = str(path)
    if style is None:
        style = spec.builtin
    gen = load_generator(style, device=spec.device, model_resolution=spec.model_resolution, seed=spec.seed)
    log.info("worker: %s on %s for chunks of %dx%d", type(gen).__name__, gen.device, *spec.size)
    painter = _painters[spec] = ChunkPainter(spec, gen, shader_dir(spec))
    return painter


def shader_dir(spec: DrawSpec) -> Path:
    """The user's effects written out under their own file names in this process's scratch folder."""
    folder = scratch_dir() / "shaders"
    folder.mkdir(exist_ok=True)
    for name, text in spec.shader_sources:
        (folder / name).write_text(text)
    return folder


def release_painters() -> None:
    """Free every painter of this process (the local runner, at the end of a render)."""
    for painter in _painters.values():
        painter.release()
    _painters.clear()
