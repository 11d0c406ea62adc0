"""Export mode: the engine with a file Source, the frame clock and file Sinks.

    Source   song file --PyAV--> FeatureTimeline (decode + Analyzer, per song and per stem)  -> FileFeatures
    Clock    FrameClock: t = k / fps, never drops a frame, features read at mid-frame (+ the detector's delay)
    Engine   FrameStep -> BatchRenderer (batch_size frames per generator call) -> EffectChain -> numpy effects
    Sinks    Mp4Sink (H.264 + the song as AAC, renamed into place when complete), FrameFolder (optional PNGs),
             NDI / virtual camera (optional: the render watched as it goes)

Live mode (modes/live.py) passes a sound card, the display clock and a window instead; the engine between
them is the same object.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from livedream.audio.timeline import FeatureTimeline
from livedream.control.amplitudes import ROLES
from livedream.control.controller import Controller
from livedream.control.step import FrameStep
from livedream.errors import LivedreamError
from livedream.models.inference import BatchRenderer, torch_threads
from livedream.modes.clock import FrameClock, FrameTime
from livedream.modes.engine import Engine
from livedream.modes.features import FileFeatures
from livedream.modes.settings import ExportSettings, encoder_preset
from livedream.render.cpu_effects import CpuEffects
from livedream.sinks.base import FrameSink
from livedream.sinks.videoout import video_sinks
from livedream.sources.file import probe

if TYPE_CHECKING:
    from livedream.models.base import Generator
    from livedream.sinks.mp4_audio import AudioTrack

log = logging.getLogger(__name__)

# Output size when none is asked for and the generator is small (the built-in style renders
# below this and is upscaled on the GPU; StyleGAN models keep their own resolution).
MIN_DEFAULT_SIZE = 512


def song_duration(path: Path, start: float, duration: float | None) -> float:
    """Seconds of audio that the export covers; one clear error when there are none."""
    info = probe(path)
    if start < 0 or (duration is not None and duration <= 0):
        raise LivedreamError("--start must be >= 0 and --duration > 0")
    if start >= info.duration_s:
        raise LivedreamError(f"{path}: --start {start:g} s is past the end of the audio ({info.duration_s:.2f} s)")
    left = info.duration_s - start
    return left if duration is None else min(duration, left)


def export_step(
    s: ExportSettings,
    z_dim: int,
    c_dim: int,
    user_shaders: Mapping[str, float] | None = None,
    duration: float | None = None,
) -> FrameStep:
    """The FrameStep an export runs: the controller, and the tempo the tempo-locked parameters follow (the
    analyzer's beats of the song, or s.tempo_grid when the beat grid is known). With --normalize global and
    dominant_classes_first, the pitches are ranked over the whole song first, as Lucid Sonic Dreams does."""
    from livedream.control.tempo import BeatsTempo, FixedTempo

    pitch_totals = None
    if s.normalize == "global" and s.params["dominant_classes_first"] and c_dim:
        from livedream.control.ranking import song_pitch_totals

        pitch_totals = song_pitch_totals(s.stems.get("class", s.song), s.start, duration)
    controller = Controller(
        z_dim, c_dim, s.params, seed=s.seed, pitch_totals=pitch_totals, shuffle_times=s.shuffle_times
    )
    tempo = FixedTempo(*s.tempo_grid) if s.tempo_grid is not None else BeatsTempo()
    return FrameStep(controller, user_shaders, tempo=tempo)


@dataclass
class Prepared:
    """An export's inputs made ready: the song analysed, the generator loaded, the step built, nothing drawn yet.

    export() draws it in one process; a chunked export (modes/chunks.py) plans it on its driver and draws
    slices of it on workers.
    """

    fps: Fraction
    n_frames: int
    size: tuple[int, int]  # (width, height) of the output
    gen: Generator
    soundtrack: AudioTrack
    features: FileFeatures
    step: FrameStep
    cpu_effects: CpuEffects | None  # None: no numpy effects
    effects: tuple[str, ...]  # the shader effects in order: built-ins, then the user's .frag files

    @property
    def clock(self) -> FrameClock:
        """Export's clock over every frame of the song."""
        return FrameClock(self.fps, self.n_frames)


def prepare(s: ExportSettings, device: str | None = None) -> Prepared:
    """Check the inputs, analyse the audio, load the generator (on `device`, default s.device) and build the step."""
    from livedream.models.registry import load_generator
    from livedream.render.gl import effect_name
    from livedream.sinks.mp4_audio import AudioTrack

    duration = song_duration(s.song, s.start, s.duration)
    for path in [*s.stems.values(), *([s.audio] if s.audio else []), *(e.audio for e in s.cpu_effects if e.audio)]:
        probe(path)
    n_frames = max(1, round(duration * s.fps))
    unknown = set(s.stems) - set(ROLES)
    if unknown:
        raise LivedreamError(f"unknown stem role(s) {sorted(unknown)}; roles are {', '.join(ROLES)}")

    gen = s.generator
    if gen is None:
        gen = load_generator(
            s.style,
            device=device or s.device,
            model_resolution=s.model_resolution,
            seed=s.seed,
            output_size=s.size or (MIN_DEFAULT_SIZE, MIN_DEFAULT_SIZE),
        )
    size = s.size or (max(gen.resolution, MIN_DEFAULT_SIZE),) * 2
    audio_start = s.audio_start if s.audio_start is not None else 0.0 if s.audio else s.start
    soundtrack = AudioTrack(str(s.audio or s.song), start=audio_start, duration=duration)
    log.info("export %s: %d frames at %s fps, %dx%d, generator %s", s.song, n_frames, s.fps, *size, type(gen).__name__)

    def timeline(path: Path) -> FeatureTimeline:
        return FeatureTimeline(path, s.start, duration, s.onset_method, s.normalize, compensate_delay=s.look_ahead)

    main = timeline(s.song)
    features = FileFeatures(main, {role: timeline(path) for role, path in s.stems.items()})
    cpu_effects = CpuEffects(s.cpu_effects, lambda path: main if path in (None, s.song.resolve()) else timeline(path))
    step = export_step(
        s, gen.z_dim, gen.c_dim, {effect_name(path): strength for path, strength in s.shader_effects}, duration
    )
    effects = ("contrast", "flash", *(path for path, _ in s.shader_effects))
    numpy_effects = cpu_effects if cpu_effects.effects else None
    return Prepared(s.fps, n_frames, size, gen, soundtrack, features, step, numpy_effects, effects)


def scales_in_encoder(s: ExportSettings, sinks: Sequence[object], numpy_effects: object | None) -> bool:
    """Whether the MP4 encoder's converter does the fit (Engine scale_in_sink): the MP4 is the only sink, the
    fit a plain scale and no numpy effect needs the output-size pixels. Chunked renders ask the same."""
    return len(sinks) == 1 and s.fit in ("contain", "fill") and numpy_effects is None


def export(s: ExportSettings, progress: Callable[[int, int], None] | None = None) -> Path:
    """Render the song to an MP4 at exactly s.fps with the audio muxed in; returns the output path."""
    from livedream.render.gl import headless_context
    from livedream.sinks.frames import FrameFolder
    from livedream.sinks.mp4 import Mp4Writer
    from livedream.sinks.mp4_sink import Mp4Sink
    from livedream.util.allocator import keep_freed_memory

    keep_freed_memory()  # a CPU generator's large tensors reuse pages instead of faulting in new ones
    job = prepare(s)
    n_frames, size = job.n_frames, job.size
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch_threads(job.gen, s.generator_threads))
        ctx = headless_context(s.software_gl_threads)
        stack.callback(ctx.release)
        sinks: list[FrameSink] = []
        with Mp4Writer(
            s.output, size, s.fps, audio=job.soundtrack, crf=s.crf, preset=encoder_preset(s.encoder_preset, size)
        ) as writer:
            sinks.append(Mp4Sink(writer, threaded=s.encode_in_background))
            if s.save_frames_dir:
                sinks.append(FrameFolder(s.save_frames_dir, s.frame_name_digits))
            sinks += video_sinks(s.video_out, s.fps)
            engine = Engine(
                ctx,
                job.step,
                BatchRenderer(job.gen, s.batch_size),
                job.features,
                size,
                fit=s.fit,
                effects=job.effects,
                sinks=sinks,
                numpy_effects=job.cpu_effects,
                scale_in_sink=scales_in_encoder(s, sinks, job.cpu_effects),
            )
            stack.callback(engine.release)

            def counted(ft: FrameTime) -> bool:
                if progress and ft.index and ft.index % s.batch_size == 0:
                    progress(ft.index, n_frames)
                return True

            try:
                engine.run(job.clock, before=counted)
                for sink in sinks:
                    sink.close()
            except BaseException:
                for sink in sinks:
                    sink.abort()
                raise
            if progress:
                progress(n_frames, n_frames)
    return s.output
