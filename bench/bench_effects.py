"""Times the GL effect chain (render + read-back) and the MP4 encoder per frame at common sizes."""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from livedream.render.effects import EffectChain
from livedream.render.gl import headless_context
from livedream.sinks.mp4 import Mp4Writer

log = logging.getLogger("bench_effects")


def per_frame_ms(step, frames: int) -> float:
    step()  # warm-up: shader compilation, first allocation
    start = time.perf_counter()
    for _ in range(frames):
        step()
    return (time.perf_counter() - start) / frames * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ctx = headless_context()
    log.info("GL renderer: %s", ctx.info["GL_RENDERER"])
    rng = np.random.default_rng(0)
    amounts = {"contrast": 0.5, "flash": 0.3}
    for src, out, fit in ((512, (1920, 1080), "mirror"), (1024, (1920, 1080), "fill"), (1024, (512, 512), "contain")):
        image = rng.integers(0, 256, (src, src, 3), dtype=np.uint8)
        chain = EffectChain(ctx, (src, src), out, fit=fit)
        ms = per_frame_ms(lambda chain=chain, image=image: chain.process(image, amounts), args.frames)
        log.info("effects %4d^2 -> %dx%d %-7s: %6.1f ms/frame", src, *out, fit, ms)
        chain.release()
    frame = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp, Mp4Writer(Path(tmp) / "bench.mp4", (1920, 1080), 30) as writer:
        ms = per_frame_ms(lambda: writer.write(frame), args.frames)
    log.info("mp4 1920x1080 veryfast crf 18 (noise, worst case): %6.1f ms/frame", ms)


if __name__ == "__main__":
    main()
