"""What the GPU benchmark runs: the sizes of a full and a --quick run, and StyleGAN2 config-f with random weights."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from livedream.models.stylegan2 import SpeedOptions, StyleGAN2Config, StyleGAN2Generator, StyleGAN2Network

DTYPES = {"fp16": True, "fp32": False}  # dtype name -> StyleGAN2Generator's fp16 flag


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one benchmark run."""

    quick: bool
    model_resolution: int  # the network's native resolution (FFHQ-1024's shape in a full run)
    channel_base: int  # feature maps at resolution r: min(channel_base // r, channel_max), NVIDIA's config-f rule
    channel_max: int
    z_dim: int
    renders: tuple[int, ...]  # model_resolution values (synthesis stopped early)
    batches: tuple[int, ...]
    dtypes: tuple[str, ...]
    variant_renders: tuple[int, ...]  # where the speed variants are measured
    variant_batches: tuple[int, ...]
    export_sizes: tuple[int, ...]  # render = output side, square
    export_batch: int
    song_s: float
    live_renders: tuple[int, ...]
    live_out: tuple[int, int]  # (width, height) of the live output
    live_frames: int
    target_s: float  # timed seconds per configuration
    min_reps: int
    max_reps: int


FULL = Plan(
    quick=False,
    model_resolution=1024,
    channel_base=32768,
    channel_max=512,
    z_dim=512,
    renders=(256, 512, 1024),
    batches=(1, 4, 8),
    dtypes=("fp16", "fp32"),
    variant_renders=(512, 1024),
    variant_batches=(1, 8),
    export_sizes=(1024, 512),
    export_batch=4,
    song_s=10.0,
    live_renders=(512, 1024),
    live_out=(1920, 1080),
    live_frames=120,
    target_s=1.0,
    min_reps=10,
    max_reps=200,
)

QUICK = Plan(
    quick=True,
    model_resolution=32,
    channel_base=256,
    channel_max=16,
    z_dim=32,
    renders=(8, 16, 32),
    batches=(1, 2),
    dtypes=("fp32", "fp16"),
    variant_renders=(32,),
    variant_batches=(1, 2),
    export_sizes=(32, 16),
    export_batch=4,
    song_s=0.5,
    live_renders=(32,),
    live_out=(64, 48),
    live_frames=4,
    target_s=0.02,
    min_reps=2,
    max_reps=3,
)


def config_f(plan: Plan) -> StyleGAN2Config:
    """StyleGAN2 config-f's shape at plan.model_resolution, with stylegan2-ada's fp16 settings (4 fp16 blocks)."""
    res = [2**i for i in range(2, plan.model_resolution.bit_length())]
    channels = {r: min(plan.channel_base // r, plan.channel_max) for r in res}
    return StyleGAN2Config(
        z_dim=plan.z_dim,
        w_dim=plan.z_dim,
        img_resolution=plan.model_resolution,
        channels=channels,
        num_fp16_res=4,
        conv_clamp=256,
    )


def random_network(plan: Plan, device: torch.device, seed: int = 0) -> StyleGAN2Network:
    """Random weights (speed does not depend on them), toRGB scaled so that images are not saturated.

    Untrained toRGB layers add up to images with a standard deviation near 2.4: mostly clipped, which would
    hide fp16 errors. The image is linear in the toRGB weights (their biases are 0), so one scale fixes it.
    """
    torch.manual_seed(seed)
    net = StyleGAN2Network(config_f(plan)).to(device)
    gen = StyleGAN2Generator(net, device, fp16=False)
    z = torch.randn(2, plan.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    std = float(gen(z, None).std())
    with torch.no_grad():
        for res in net.synthesis.block_resolutions:
            block = getattr(net.synthesis, f"b{res}")
            if block.num_torgb:
                block.torgb.weight.mul_(0.5 / std)
    return net


def make_generator(
    net: StyleGAN2Network, device: torch.device, render: int, dtype: str, speed: SpeedOptions | None = None
) -> StyleGAN2Generator:
    return StyleGAN2Generator(net, device, model_resolution=render, fp16=DTYPES[dtype], speed=speed)


def default_dtype(device: torch.device) -> str:
    """What livedream picks by itself: fp16 on CUDA, fp32 on the CPU."""
    return "fp16" if device.type == "cuda" else "fp32"
