"""The data flow, file mode: Source -> Analyzer -> Controller -> Generator -> Effects -> Sink.

    song file --PyAV--> FeatureTimeline (decode + Analyzer, per song and per stem)
              frame clock t = k / fps, never drops a frame
              Controller.step(t, features by role)        -> LatentFrame (z, c, truncation, amplitudes)
              Generator(z [B, z_dim], c [B, c_dim])       -> images [B, 3, H, W], in batches
              EffectChain (GLSL, headless EGL)            -> frame [out_h, out_w, 3] uint8
              CpuEffects (numpy, each on its own audio)   -> frame [out_h, out_w, 3] uint8 (only if any)
              Mp4Writer (H.264 + the song as AAC)         -> output.mp4, renamed into place when complete
              FrameFolder (optional)                      -> <folder>/000000.png, ... the same frames

Live mode (livedream live) swaps the Source for a sound card, the frame clock for the
display, and the MP4 for a window; the stages in between are these same objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from livedream.audio.decode import probe
from livedream.audio.timeline import FeatureTimeline
from livedream.control.amplitudes import ROLES, by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.control.latent import LatentFrame
from livedream.errors import LivedreamError
from livedream.models.base import Generator, to_uint8
from livedream.render.cpu_effects import CpuEffects, FrameEffect

log = logging.getLogger(__name__)

# Output size when none is asked for and the generator is small (the built-in style renders
# below this and is upscaled on the GPU; StyleGAN models keep their own resolution).
MIN_DEFAULT_SIZE = 512


@dataclass(frozen=True)
class ExportSettings:
    """Everything `livedream export` needs; params is the full, validated parameter set."""

    song: Path
    output: Path
    params: Mapping[str, Any]
    seed: int = 0
    fps: Fraction = Fraction(30)
    size: tuple[int, int] | None = None  # (width, height); None: square at the generator's resolution (>= 512)
    fit: str = "contain"
    start: float = 0.0
    duration: float | None = None
    audio: Path | None = None  # another soundtrack to mux instead of the song
    audio_start: float | None = None  # soundtrack start in its file; None: 0 for `audio`, `start` for the song
    stems: Mapping[str, Path] = field(default_factory=dict)  # role -> file driving that role
    style: str | None = None  # None: the built-in style
    generator: Generator | None = None  # a ready generator (e.g. a user's function, wrapped); overrides style
    model_resolution: int | None = None
    device: str | None = None
    batch_size: int = 4
    normalize: str = "adaptive"  # or "global": a first pass over the whole file
    onset_method: str | None = None
    crf: int = 18
    encoder_preset: str = "veryfast"
    shader_effects: Sequence[tuple[str, float]] = ()  # (user .frag path, strength), run after contrast and flash
    cpu_effects: Sequence[FrameEffect] = ()  # numpy effects after the shaders, in order, each driven by its own audio
    save_frames_dir: Path | None = None  # also write every output frame there as a numbered PNG


def song_duration(path: Path, start: float, duration: float | None) -> float:
    """Seconds of audio that the export covers; one clear error when there are none."""
    info = probe(path)
    if start < 0 or (duration is not None and duration <= 0):
        raise LivedreamError("--start must be >= 0 and --duration > 0")
    if start >= info.duration_s:
        raise LivedreamError(f"{path}: --start {start:g} s is past the end of the audio ({info.duration_s:.2f} s)")
    left = info.duration_s - start
    return left if duration is None else min(duration, left)


def generate_frames(gen: Generator, frames: Sequence[LatentFrame]) -> np.ndarray:
    """One generator call for a batch of latent frames -> [B, H, W, 3] uint8 on the host."""
    z = torch.from_numpy(np.stack([f.z for f in frames])).to(gen.device)  # [B, z_dim]
    c = torch.from_numpy(np.stack([f.c for f in frames])).to(gen.device)  # [B, c_dim]
    with torch.inference_mode():
        images = gen(z, c, truncation=frames[0].truncation)  # [B, 3, H, W]
    return to_uint8(images)


def export(s: ExportSettings, progress: Callable[[int, int], None] | None = None) -> Path:
    """Render the song to an MP4 at exactly s.fps with the audio muxed in; returns the output path."""
    from livedream.models.registry import load_generator
    from livedream.render.effects import EffectChain
    from livedream.render.gl import effect_name, headless_context
    from livedream.sinks.background import BackgroundWriter
    from livedream.sinks.frames import FrameFolder
    from livedream.sinks.mp4 import AudioTrack, Mp4Writer

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
            device=s.device,
            model_resolution=s.model_resolution,
            seed=s.seed,
            output_size=s.size or (MIN_DEFAULT_SIZE, MIN_DEFAULT_SIZE),
        )
    size = s.size or (max(gen.resolution, MIN_DEFAULT_SIZE),) * 2
    audio_start = s.audio_start if s.audio_start is not None else 0.0 if s.audio else s.start
    soundtrack = AudioTrack(str(s.audio or s.song), start=audio_start, duration=duration)
    log.info("export %s: %d frames at %s fps, %dx%d, generator %s", s.song, n_frames, s.fps, *size, type(gen).__name__)

    def timeline(path: Path) -> FeatureTimeline:
        return FeatureTimeline(path, s.start, duration, s.onset_method, s.normalize)

    main = timeline(s.song)
    stems = {role: timeline(path) for role, path in s.stems.items()}
    cpu_effects = CpuEffects(s.cpu_effects, lambda path: main if path in (None, s.song.resolve()) else timeline(path))
    frame_folder = FrameFolder(s.save_frames_dir) if s.save_frames_dir else None
    controller = Controller(gen.z_dim, gen.c_dim, s.params, seed=s.seed)
    ctx = headless_context()
    user_shaders = {effect_name(path): strength for path, strength in s.shader_effects}
    effects = ("contrast", "flash", *(path for path, _ in s.shader_effects))
    chain = EffectChain(ctx, (gen.resolution, gen.resolution), size, fit=s.fit, effects=effects)
    try:
        with Mp4Writer(s.output, size, s.fps, audio=soundtrack, crf=s.crf, preset=s.encoder_preset) as writer:
            encoder = BackgroundWriter(writer.write)  # H.264 encoding overlaps generation
            try:
                for first in range(0, n_frames, s.batch_size):
                    batch, cpu_amplitudes = [], []
                    for k in range(first, min(first + s.batch_size, n_frames)):
                        t = k / s.fps
                        # Features from the middle of the frame's display interval.
                        tf = float(t + 0.5 / s.fps)
                        feats = by_role(main.at(tf), {role: tl.at(tf) for role, tl in stems.items()})
                        batch.append(controller.step(float(t), feats))
                        cpu_amplitudes.append(cpu_effects.amplitudes(tf))
                    images = generate_frames(gen, batch)
                    for k, (frame, image, amps) in enumerate(
                        zip(batch, images, cpu_amplitudes, strict=True), start=first
                    ):
                        amounts = effect_amounts(frame.amplitudes, s.params)
                        # A user's shader gets its strength times the percussive hits that drive the flash.
                        amounts.update(
                            {name: strength * frame.amplitudes["flash"] for name, strength in user_shaders.items()}
                        )
                        out = cpu_effects.apply(chain.process(image, amounts, frame.time), amps)
                        encoder.write(out)
                        if frame_folder:
                            frame_folder.write(k, out)
                    if progress:
                        progress(first + len(batch), n_frames)
                encoder.close()
            finally:
                encoder.abort()  # after close(), a no-op; after an error, stops the worker first
    finally:
        chain.release()
        ctx.release()
    return s.output
