"""The generator sections: fp16 against fp32, the default matrix, and each speed variant on its own."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import torch

from bench.gpu.model import Plan, make_generator
from bench.gpu.results import Results
from bench.gpu.timing import summary, time_calls
from livedream.models.stylegan2 import SpeedOptions, StyleGAN2Network

# Each variant changes one thing against "default" (the combination last); measured one at a time.
VARIANTS = {
    "channels_last": SpeedOptions(channels_last=True),
    "modconv_grouped": SpeedOptions(modconv="grouped"),
    "modconv_scaled": SpeedOptions(modconv="scaled"),
    "cuda_graph": SpeedOptions(cuda_graph=True),
    "channels_last+cuda_graph": SpeedOptions(channels_last=True, cuda_graph=True),
}
COMPILE_VARIANTS = {
    "compile_reduce_overhead": SpeedOptions(compile_mode="reduce-overhead"),
    "compile_max_autotune": SpeedOptions(compile_mode="max-autotune-no-cudagraphs"),
}


def _z(batch: int, z_dim: int, device: torch.device, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)  # [B, z_dim]


def _levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| of the displayed images (clipped to [-1, 1]) in 0..255 levels, flattened."""
    return ((a.clamp(-1, 1) - b.clamp(-1, 1)).abs() * 127.5).flatten().float().cpu()


def _free() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _entry(plan: Plan, render: int, dtype: str, batch: int, variant: str, ms: list[float], **extra) -> dict:
    s = summary(ms)
    fps = round(batch * 1000.0 / s["p50_ms"], 1) if s["p50_ms"] > 0 else 0.0
    return {
        "what": "generator",
        "model_resolution": plan.model_resolution,
        "render_resolution": render,
        "dtype": dtype,
        "batch": batch,
        "variant": variant,
        "fps": fps,
        **s,
        "reps": len(ms),
        **extra,
    }


def check(res: Results, plan: Plan, net: StyleGAN2Network, device: torch.device) -> None:
    """fp16 against strict fp32 (TF32 off) at every render size; TF32 against strict fp32; the device against the CPU."""
    z = _z(4, plan.z_dim, device)
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    worst = 0.0
    try:
        for render in plan.renders:
            with torch.inference_mode():
                img16 = make_generator(net, device, render, "fp16")(z, None)
                img_tf32 = make_generator(net, device, render, "fp32")(z, None)  # what "fp32" runs by default
                torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
                img32 = make_generator(net, device, render, "fp32")(z, None)
                torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
            d16, dtf = _levels(img16, img32), _levels(img_tf32, img32)
            finite = bool(torch.isfinite(img16).all())
            res.check(
                f"fp16_vs_fp32_{render}",
                {
                    "max_abs_255": round(float(d16.max()), 3),
                    "p99_abs_255": round(float(d16.quantile(0.99) if d16.numel() <= 2**24 else d16.max()), 3),
                    "within_2_255": round(float((d16 <= 2.0).double().mean()), 5),
                    "tf32_max_abs_255": round(float(dtf.max()), 3),
                    "finite": finite,
                    "images": int(z.shape[0]),
                },
            )
            worst = max(worst, float(d16.max()) if finite else float("inf"))
            del img16, img_tf32, img32
            _free()
        res.data["fp16_vs_fp32_max_abs"] = round(worst, 3)
        res.save()
        if device.type == "cuda":  # one image at the smallest size on the CPU (16 cores: a second or two)
            render = plan.renders[0]
            cpu_net = StyleGAN2Network(net.cfg)
            cpu_net.load_state_dict({k: v.cpu() for k, v in net.state_dict().items()})
            torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
            with torch.inference_mode():
                on_gpu = make_generator(net, device, render, "fp32")(z[:1], None).cpu()
                on_cpu = make_generator(cpu_net, torch.device("cpu"), render, "fp32")(z[:1].cpu(), None)
            res.check(f"cuda_vs_cpu_fp32_{render}_max_abs_255", round(float(_levels(on_gpu, on_cpu).max()), 4))
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32


def _time(gen, batch: int, plan: Plan, device: torch.device) -> tuple[list[float], float]:
    z = _z(batch, plan.z_dim, device)

    def call() -> None:
        with torch.inference_mode():
            gen(z, None)

    return time_calls(call, device, warmup=3, min_reps=plan.min_reps, max_reps=plan.max_reps, target_s=plan.target_s)


def matrix(res: Results, plan: Plan, net: StyleGAN2Network, device: torch.device, deadline: float) -> None:
    """The default path at every render size, dtype and batch."""
    for dtype in plan.dtypes:
        for render in plan.renders:
            gen = make_generator(net, device, render, dtype)
            for batch in plan.batches:
                if time.monotonic() > deadline:
                    res.skip("generator", "default", "out of time", render=render, dtype=dtype, batch=batch)
                    continue
                ms, _ = _time(gen, batch, plan, device)
                res.add(_entry(plan, render, dtype, batch, "default", ms))
            del gen
            _free()


def variant_cases(
    plan: Plan, device: torch.device, compiled: bool
) -> Iterator[tuple[str, SpeedOptions, int, str, int]]:
    """(variant, options, render, dtype, batch) in the order measured: the targets' case (fp16, batch 1) first."""
    dtype = "fp16" if device.type == "cuda" else "fp32"
    if compiled:
        for render in sorted(plan.variant_renders, reverse=True):
            for name, opts in COMPILE_VARIANTS.items():
                yield name, opts, render, dtype, 1
        return
    for batch in plan.variant_batches:
        for render in sorted(plan.variant_renders, reverse=True):
            for name, opts in VARIANTS.items():
                if opts.cuda_graph and batch != 1:
                    continue
                yield name, opts, render, dtype, batch
    if device.type == "cuda":  # CUDA graphs in fp32 too: launch overhead matters most where kernels are short
        yield "cuda_graph", VARIANTS["cuda_graph"], max(plan.variant_renders), "fp32", 1


def variants(
    res: Results, plan: Plan, net: StyleGAN2Network, device: torch.device, deadline: float, compiled: bool = False
) -> None:
    """Each speed variant against the default on the same z: its time, and how far its pixels are from the default's."""
    for name, opts, render, dtype, batch in variant_cases(plan, device, compiled):
        where = {"render": render, "dtype": dtype, "batch": batch}
        auto_grouped = dtype == "fp32" or batch == 1  # what modconv="auto" does (network.SynthesisBlock)
        if opts.modconv != "auto" and (opts.modconv == "grouped") == auto_grouped:
            res.skip("generator", name, "the default already runs this form here", **where)
            continue
        if opts.cuda_graph and device.type != "cuda":
            res.skip("generator", name, "CUDA graphs need CUDA", **where)
            continue
        if opts.compile_mode and device.type != "cuda" and plan.quick:
            res.skip("generator", name, "torch.compile is not rehearsed on the CPU in --quick (minutes)", **where)
            continue
        if time.monotonic() > deadline:
            res.skip("generator", name, "out of time", **where)
            continue
        try:
            if opts.compile_mode:
                torch._dynamo.reset()  # a fresh cache: the modes must not share compiled code
            gen = make_generator(net, device, render, dtype, opts)
            ms, warm_s = _time(gen, batch, plan, device)
            z = _z(batch, plan.z_dim, device, seed=7)
            with torch.inference_mode():
                diff = _levels(gen(z, None), make_generator(net, device, render, dtype)(z, None))
        except Exception as exc:  # noqa: BLE001 - a variant that fails is a result, not the end of the run
            res.skip("generator", name, f"failed: {type(exc).__name__}: {str(exc)[:300]}", **where)
            _free()
            continue
        extra = {"warmup_s": round(warm_s, 2), "max_abs_vs_default_255": float(f"{float(diff.max()):.4g}")}
        res.add(_entry(plan, render, dtype, batch, name, ms, **extra))
        del gen
        _free()
