"""A chunked export: plan the whole song on the driver, draw chunks here or on Ray workers, keep them, join them.

    driver   prepare() (analysis, controller) -> plan_frames over the FrameClock, sliced into chunks
    workers  each slice -> ChunkPainter (renderer, effects, a video-only Mp4Writer) -> a chunk MP4
    driver   chunks kept in the work folder; when all are there, remuxed with the soundtrack into the output

Chunk k needs nothing from chunk k - 1 but its plan, so any worker can draw it, and a rerun draws only the
chunks the work folder lacks (`--resume` in this process, `--ray` on a Ray cluster).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from livedream import __version__
from livedream.errors import LivedreamError
from livedream.modes.chunk_worker import ChunkPainter, DrawSpec, shader_dir
from livedream.modes.chunks import Chunk, WorkFolder, file_digest, join, split
from livedream.modes.engine import Planned, plan_frames
from livedream.modes.export import Prepared, prepare, scales_in_encoder
from livedream.modes.settings import ChunkSettings, ExportSettings, encoder_preset

log = logging.getLogger(__name__)

# progress(frames done, frames in all, chunks being drawn now)
ChunkProgress = Callable[[int, int, Sequence[int]], None]


class Runner(Protocol):
    """Draws planned slices into the work folder: in this process, or on Ray workers (device: "cpu" or "cuda")."""

    device: str

    def run(
        self,
        spec: DrawSpec,
        slices: Iterator[tuple[Chunk, list[Planned]]],
        work: WorkFolder,
        tally: Tally,
        model: Path | None = None,
    ) -> None: ...

    def close(self) -> None: ...


class Tally:
    """Frames done across every worker, and which chunks are being drawn, for one progress line."""

    def __init__(self, total: int, done: int, progress: ChunkProgress | None):
        self.total, self.done, self.progress = total, done, progress
        self.running: dict[int, int] = {}  # chunk index -> its frames drawn so far (when the runner knows)

    def started(self, chunk: Chunk) -> None:
        self.running[chunk.index] = 0
        self._report()

    def frames(self, chunk: Chunk, n: int) -> None:
        self.running[chunk.index] = n
        self._report()

    def finished(self, chunk: Chunk) -> None:
        self.running.pop(chunk.index, None)
        self.done += chunk.count
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done + sum(self.running.values()), self.total, sorted(self.running))


class LocalRunner:
    """Every chunk drawn in this process, one after the other, with the generator the driver loaded."""

    def __init__(self, job: Prepared):
        self.job = job
        self.device = job.gen.device.type
        self.painter: ChunkPainter | None = None

    def run(
        self,
        spec: DrawSpec,
        slices: Iterator[tuple[Chunk, list[Planned]]],
        work: WorkFolder,
        tally: Tally,
        model: Path | None = None,
    ) -> None:
        self.painter = ChunkPainter(spec, self.job.gen, shader_dir(spec))
        for chunk, planned in slices:
            tally.started(chunk)
            self.painter.paint(_counted(planned, chunk, tally), work.chunk_path(chunk.index))
            tally.finished(chunk)

    def close(self) -> None:
        if self.painter is not None:
            self.painter.release()


def _counted(planned: list[Planned], chunk: Chunk, tally: Tally) -> Iterator[Planned]:
    """The frames, with the tally told as they are handed to the engine (a batch ahead of the encoder)."""
    for i, p in enumerate(planned):
        if i % 8 == 0:
            tally.frames(chunk, i)
        yield p


def draw_spec(s: ExportSettings, job: Prepared, device: str | None, style_file: Path | None) -> DrawSpec:
    """What a worker needs besides the plan; user shaders travel as text, the model as its file's digest."""
    sources = tuple((Path(path).name, Path(path).read_text()) for path, _ in s.shader_effects)
    effects = tuple(e if not e.endswith(".frag") else Path(e).name for e in job.effects)
    return DrawSpec(
        size=job.size,
        fps=s.fps,
        fit=s.fit,
        effects=effects,
        crf=s.crf,
        preset=encoder_preset(s.encoder_preset, job.size),
        batch_size=s.batch_size,
        seed=s.seed,
        device=device,
        # The built-in style renders at the driver's resolution (it follows the output size there).
        model_resolution=s.model_resolution if style_file is not None else job.gen.resolution,
        style=None if style_file is None else style_file.name,
        builtin=s.style if style_file is None else None,
        scale_in_sink=scales_in_encoder(s, [None], job.cpu_effects),
        model_digest=None if style_file is None else file_digest(style_file),
        shader_sources=sources,
        cpu_effects=tuple(job.cpu_effects.effects) if job.cpu_effects else (),
    )


def model_file(s: ExportSettings) -> Path | None:
    """The model file the style names (a catalogue name resolved to its cached file); None: the built-in style."""
    from livedream.models.registry import BUILTIN_NAMES

    if s.generator is not None or s.style in BUILTIN_NAMES:
        return None
    path = Path(s.style).expanduser()
    if path.is_file():
        return path
    from livedream.models import catalogue

    if catalogue.find(s.style) is not None:
        return Path(catalogue.fetch(s.style))
    return path  # load_generator names the problem


def job_parts(s: ExportSettings, job: Prepared, chunks: Sequence[Chunk], device: str, style: Path | None) -> dict:
    """Everything that decides a pixel, the sound or the split; its hash names the render in the work folder."""
    if s.generator is not None:
        model: Any = f"generator {type(s.generator).__module__}.{type(s.generator).__qualname__}"
    else:
        model = "builtin" if style is None else file_digest(style)
    return {
        "livedream": __version__,
        "song": file_digest(s.song),
        "start": s.start,
        "frames": job.n_frames,
        "stems": {role: file_digest(p) for role, p in sorted(s.stems.items())},
        "audio": file_digest(s.audio) if s.audio else None,
        "audio_start": s.audio_start,
        "model": model,
        "model_resolution": s.model_resolution,
        "seed": s.seed,
        "params": dict(s.params),
        "fps": str(s.fps),
        "size": list(job.size),
        "fit": s.fit,
        "normalize": s.normalize,
        "onset_method": s.onset_method,
        "look_ahead": s.look_ahead,
        "crf": s.crf,
        "encoder_preset": s.encoder_preset,
        "batch_size": s.batch_size,
        "effects": [[Path(p).name, file_digest(p), strength] for p, strength in s.shader_effects],
        "cpu_effects": [repr(e) for e in s.cpu_effects],
        "device": device,
        "chunk_frames": chunks[0].count,
    }


def slices(job: Prepared, chunks: Sequence[Chunk], todo: set[int]) -> Iterator[tuple[Chunk, list[Planned]]]:
    """Each chunk still to draw with its planned frames; the controller steps through the others too (its state)."""
    planned = plan_frames(job.step, job.features, job.clock, job.cpu_effects)
    for chunk in chunks:
        frames = [next(planned) for _ in range(chunk.count)]
        if chunk.index in todo:
            yield chunk, frames


def export_chunked(s: ExportSettings, c: ChunkSettings, progress: ChunkProgress | None = None) -> Path:
    """Render s in chunks kept beside the output (resumable), here or on Ray (c.ray); returns the output path."""
    if s.output.is_dir() or not s.output.parent.is_dir():
        raise LivedreamError(f"{s.output}: not a file in an existing folder; choose another output")
    if s.save_frames_dir is not None:
        raise LivedreamError("saving PNG frames is not supported in a chunked export (--resume, --ray)")
    if c.ray and s.generator is not None:
        raise LivedreamError("--ray draws with a model by name or file (--style), not a ready generator object")
    runner: Runner | None = None
    try:
        if c.ray:
            from livedream.modes.distributed import RayRunner

            runner = RayRunner(c, s.device)  # connects first: a cluster that does not answer fails before any work
            job = prepare(s, device="cpu")  # the driver only plans: z_dim, c_dim and resolution are all it asks
        else:
            job = prepare(s)
            runner = LocalRunner(job)
        style = model_file(s)
        chunks = split(job.n_frames, s.fps, c.chunk_seconds, s.batch_size)
        work = WorkFolder(s.output)
        work.open(job_parts(s, job, chunks, runner.device, style), restart=c.restart)
        done = work.done(chunks)
        todo = {ch.index for ch in chunks} - done
        if done:
            log.warning("resuming: %d of %d chunks already done in %s", len(done), len(chunks), work.path)
        tally = Tally(job.n_frames, sum(ch.count for ch in chunks if ch.index in done), progress)
        if todo:
            runner.run(draw_spec(s, job, runner.device, style), slices(job, chunks, todo), work, tally, style)
    finally:
        if runner is not None:
            runner.close()
    join(work, chunks, s.fps, job.size, job.soundtrack)
    work.remove()
    return s.output
