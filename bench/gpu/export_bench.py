"""The export section: `export()` end to end (analysis, generation, effects, read-back, H.264) with StyleGAN2."""

from __future__ import annotations

import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import torch

from bench.gpu.model import Plan, default_dtype, make_generator
from bench.gpu.results import Results
from bench.gpu.timing import summary
from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song
from livedream.errors import LivedreamError
from livedream.models.stylegan2 import StyleGAN2Network
from livedream.modes.export import ExportSettings, export
from livedream.params import defaults

FPS = 30
RATE = 44100
# variant -> ExportSettings.encode_in_background
VARIANTS = {"encode_overlapped": True, "encode_serial": False}


def _frame_ms(marks: list[tuple[float, int]], t0: float) -> list[float]:
    """Per-frame milliseconds from the progress reports (one per batch): each batch's time over its frames."""
    out, last_t, last_n = [], t0, 0
    for t, n in marks:
        if n > last_n:
            out += [(t - last_t) * 1000.0 / (n - last_n)] * (n - last_n)
        last_t, last_n = t, n
    return out


def _save_middle_frame(mp4: Path, png: Path) -> None:
    from PIL import Image

    with av.open(str(mp4)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    Image.fromarray(frames[len(frames) // 2]).save(png)


def run(
    res: Results, plan: Plan, net: StyleGAN2Network, device: torch.device, deadline: float, artifacts: Path | None
) -> None:
    dtype = default_dtype(device)
    with tempfile.TemporaryDirectory(prefix="livedream-bench-") as tmp:
        song = Path(tmp) / "song.flac"
        write_audio(song, demo_song(plan.song_s, RATE, seed=0), RATE)
        for size in plan.export_sizes:
            gen = make_generator(net, device, size, dtype)
            with torch.inference_mode():  # cuDNN picks its algorithms before the clock starts
                gen(torch.randn(plan.export_batch, plan.z_dim, device=device), None)
            for variant, background in VARIANTS.items():
                where = {"render": size, "dtype": dtype, "batch": plan.export_batch}
                if time.monotonic() > deadline:
                    res.skip("export", variant, "out of time", **where)
                    continue
                out = Path(tmp) / f"export-{size}-{variant}.mp4"
                settings = ExportSettings(
                    song=song,
                    output=out,
                    params=defaults(),
                    fps=Fraction(FPS),
                    size=(size, size),
                    generator=gen,
                    batch_size=plan.export_batch,
                    encode_in_background=background,
                )
                marks: list[tuple[float, int]] = []
                t0 = time.perf_counter()
                try:
                    export(settings, progress=lambda done, total, m=marks: m.append((time.perf_counter(), done)))
                except LivedreamError as exc:  # no GL here, most likely
                    res.skip("export", variant, str(exc), **where)
                    continue
                wall = time.perf_counter() - t0
                with av.open(str(out)) as c:
                    frames = c.streams.video[0].frames
                    shape = (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height)
                ms = _frame_ms(marks, t0)
                expected = round(plan.song_s * FPS)
                res.add(
                    {
                        "what": "export",
                        "model_resolution": plan.model_resolution,
                        "render_resolution": size,
                        "dtype": dtype,
                        "batch": plan.export_batch,
                        "variant": variant,
                        "fps": round(frames / wall, 1),
                        **summary(ms or [wall * 1000.0]),
                        "wall_s": round(wall, 2),
                        "song_s": plan.song_s,
                        "x_real_time": round(plan.song_s / wall, 2),
                        "frames": frames,
                        "frames_ok": frames == expected and shape == (size, size),
                        "encoder": "libx264 veryfast crf 18",
                    }
                )
                if artifacts is not None and background and size == max(plan.export_sizes):
                    _save_middle_frame(out, artifacts / f"export-{size}.png")
            del gen
    if device.type == "cuda":
        torch.cuda.empty_cache()
