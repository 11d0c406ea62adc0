"""The live section: one displayed frame's work, headless (EGL): controller, generator, GL upload, effects.

Each upload route of livedream.render.upload is timed on its own, and its output compared with the host
route's (read back from GL), so a route that is fast but wrong shows up here rather than on stage.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from bench.gpu.model import Plan, default_dtype, make_generator
from bench.gpu.results import Results
from bench.gpu.timing import Stopwatch, summary
from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import by_role
from livedream.control.controller import Controller
from livedream.errors import LivedreamError
from livedream.models.stylegan2 import StyleGAN2Network
from livedream.params import defaults
from livedream.render.upload import UPLOAD_MODES, make_uploader

AMOUNTS = {"contrast": 0.5, "flash": 0.5}  # both passes run every frame: the costly case
WARMUP = 3


def run(res: Results, plan: Plan, net: StyleGAN2Network, device: torch.device, deadline: float, artifacts) -> None:
    from livedream.render.effects import EffectChain
    from livedream.render.gl import headless_context

    try:
        ctx = headless_context()
    except LivedreamError as exc:
        res.skip("live", "all", str(exc))
        return
    res.check("gl_renderer", f"{ctx.info.get('GL_RENDERER')} / {ctx.info.get('GL_VERSION')}")
    dtype = default_dtype(device)
    controller = Controller(plan.z_dim, 0, defaults(), seed=0)
    try:
        for render in plan.live_renders:
            gen = make_generator(net, device, render, dtype)
            chain = EffectChain(ctx, (render, render), plan.live_out, fit="contain")
            reference = None
            for mode in UPLOAD_MODES:
                where = {"render": render, "dtype": dtype, "batch": 1}
                if time.monotonic() > deadline:
                    res.skip("live", mode, "out of time", **where)
                    continue
                uploader = make_uploader(ctx, (render, render), device, mode)
                if uploader.name != mode:
                    res.skip("live", mode, f"unavailable here; falls back to {uploader.name} (see the log)", **where)
                    uploader.release()
                    continue
                try:
                    parts = _frames(ctx, controller, gen, chain, uploader, plan, device)
                    out = _fixed_frame(ctx, gen, chain, uploader, plan, device)
                except Exception as exc:  # noqa: BLE001 - a route that fails is a result
                    res.skip("live", mode, f"failed: {type(exc).__name__}: {str(exc)[:300]}", **where)
                    continue
                finally:
                    uploader.release()
                if reference is None:
                    reference = out
                    if artifacts is not None and render == max(plan.live_renders):
                        from PIL import Image

                        Image.fromarray(out).save(artifacts / f"live-{render}.png")
                diff = int(np.abs(out.astype(np.int16) - reference.astype(np.int16)).max())
                total = summary(parts["total"])
                res.add(
                    {
                        "what": "live",
                        "model_resolution": plan.model_resolution,
                        "render_resolution": render,
                        "dtype": dtype,
                        "batch": 1,
                        "variant": mode,
                        "fps": round(1000.0 / total["p50_ms"], 1) if total["p50_ms"] > 0 else 0.0,
                        **total,
                        "parts_p50_ms": {k: summary(v)["p50_ms"] for k, v in parts.items() if k != "total"},
                        "output": list(plan.live_out),
                        "frames": len(parts["total"]),
                        "max_abs_vs_host_255": diff,
                    }
                )
            chain.release()
            del gen
            if device.type == "cuda":
                torch.cuda.empty_cache()
    finally:
        ctx.release()


def _frames(ctx, controller, gen, chain, uploader, plan: Plan, device: torch.device) -> dict[str, list[float]]:
    """plan.live_frames frames as live mode runs them, each part waited for so that it is timed where it ran."""
    parts: dict[str, list[float]] = {"controller": [], "generator": [], "upload": [], "effects": [], "total": []}
    for k in range(WARMUP + plan.live_frames):
        t = k / 60.0
        watch = Stopwatch(device)
        frame = controller.step(t, by_role(AudioFeatures.silent(t)))
        z = torch.from_numpy(frame.z[None]).to(device)  # [1, z_dim]
        c = torch.from_numpy(frame.c[None]).to(device)  # [1, c_dim]
        lap = {"controller": watch.lap()}
        with torch.inference_mode():
            images = gen(z, c, truncation=frame.truncation)  # [1, 3, H, W]
        lap["generator"] = watch.lap()
        grey = uploader.upload(images[0], chain.source)
        lap["upload"] = watch.lap(ctx.finish)
        chain.render_source(AMOUNTS, t, grey=grey)
        lap["effects"] = watch.lap(ctx.finish)
        if k >= WARMUP:
            for name, ms in lap.items():
                parts[name].append(ms)
            parts["total"].append(sum(lap.values()))
    return parts


def _fixed_frame(ctx, gen, chain, uploader, plan: Plan, device: torch.device) -> np.ndarray:
    """The output [h, w, 3] uint8 for one fixed z: what every route must agree on."""
    z = torch.randn(1, plan.z_dim, generator=torch.Generator().manual_seed(3)).to(device)
    with torch.inference_mode():
        images = gen(z, None)
    grey = uploader.upload(images[0], chain.source)
    chain.render_source(AMOUNTS, 1.0, grey=grey)
    return chain.read()
