"""CPU timing of our StyleGAN2 at small sizes: full and reduced resolution, batch 1 and 4 (random weights).

Usage: python -m bench.bench_stylegan2 [--threads N] [--reps N]. Weights are random (timing does not
depend on them); channel counts follow NVIDIA's config-f rule min(32768 / res, 512).
"""

from __future__ import annotations

import argparse
import time

import torch

from livedream.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator, StyleGAN2Network


def make(resolution: int, channel_base: int = 32768) -> StyleGAN2Network:
    res = [2**i for i in range(2, resolution.bit_length())]
    cfg = StyleGAN2Config(
        z_dim=512, w_dim=512, img_resolution=resolution, channels={r: min(channel_base // r, 512) for r in res}
    )
    return StyleGAN2Network(cfg)


def time_call(gen: StyleGAN2Generator, batch: int, reps: int) -> float:
    z = torch.randn(batch, gen.z_dim)
    gen(z, None)  # warm-up
    t0 = time.perf_counter()
    for _ in range(reps):
        gen(z, None)
    return (time.perf_counter() - t0) / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--resolution", type=int, default=256)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {args.resolution}x{args.resolution} config-f channels"
    )
    net = make(args.resolution)
    r = args.resolution
    while r >= 32:
        gen = StyleGAN2Generator(net, "cpu", model_resolution=r)
        for batch in (1, 4):
            s = time_call(gen, batch, args.reps)
            print(f"  render {r:4d}px  batch {batch}: {s * 1000:8.1f} ms/call  {batch / s:6.2f} img/s")
        r //= 2


if __name__ == "__main__":
    main()
