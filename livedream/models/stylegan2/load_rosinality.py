"""rosinality stylegan2-pytorch checkpoints: g_ema renamed to NVIDIA's PyTorch naming (torch.load weights_only)."""

from __future__ import annotations

import argparse
import re
from typing import Any, TypeGuard

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.layout import config_from_state
from livedream.models.stylegan2.network import StyleGAN2Config
from livedream.models.stylegan2.safe_pickle import check_tensor

_SAFE_EXTRA: list[Any] = [argparse.Namespace]  # train.py stores its command-line args in the checkpoint


def read_checkpoint(path: str) -> Any:
    """torch.load with weights_only=True (plus argparse.Namespace, which is inert data); every tensor it built is
    checked against its storage before anything copies it (a zero stride can declare terabytes)."""
    with torch.serialization.safe_globals(_SAFE_EXTRA):
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=False)
    _check_all(data, "checkpoint", depth=0)
    return data


def _check_all(obj: Any, name: str, depth: int) -> None:
    if isinstance(obj, torch.Tensor):
        check_tensor(obj, name)
    elif isinstance(obj, dict) and depth < 4:
        for k, v in obj.items():
            _check_all(v, f"{name}[{str(k)[:60]!r}]", depth + 1)
    elif isinstance(obj, (list, tuple)) and depth < 4:
        for i, v in enumerate(obj):
            _check_all(v, f"{name}[{i}]", depth + 1)


def is_rosinality(data: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(data, dict) and isinstance(data.get("g_ema"), dict)


def _modconv(g: dict[str, torch.Tensor], src: str, dst: str, out: dict[str, torch.Tensor]) -> None:
    out[f"{dst}.weight"] = g.pop(f"{src}.conv.weight")[0]  # [1, O, I, k, k] -> [O, I, k, k]
    out[f"{dst}.affine.weight"] = g.pop(f"{src}.conv.modulation.weight")
    out[f"{dst}.affine.bias"] = g.pop(f"{src}.conv.modulation.bias")
    g.pop(f"{src}.conv.blur.kernel", None)


def convert_rosinality(data: dict[str, Any], what: str) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict of data['g_ema']; mapping.w_avg is latent_avg, or estimated when absent."""
    g = {k: v for k, v in data["g_ema"].items() if isinstance(v, torch.Tensor)}
    out: dict[str, torch.Tensor] = {}
    try:
        n = 1
        while f"style.{n}.weight" in g:
            out[f"mapping.fc{n - 1}.weight"] = g.pop(f"style.{n}.weight")
            out[f"mapping.fc{n - 1}.bias"] = g.pop(f"style.{n}.bias")
            n += 1
        out["synthesis.b4.const"] = g.pop("input.input")[0]
        layers = [("conv1", "synthesis.b4.conv1")]
        rgbs = [("to_rgb1", "synthesis.b4.torgb")]
        i, r = 0, 8
        while f"convs.{i}.conv.weight" in g:
            layers += [(f"convs.{i}", f"synthesis.b{r}.conv0"), (f"convs.{i + 1}", f"synthesis.b{r}.conv1")]
            rgbs.append((f"to_rgbs.{i // 2}", f"synthesis.b{r}.torgb"))
            i, r = i + 2, r * 2
        for idx, (src, dst) in enumerate(layers):
            _modconv(g, src, dst, out)
            out[f"{dst}.bias"] = g.pop(f"{src}.activate.bias")
            out[f"{dst}.noise_strength"] = g.pop(f"{src}.noise.weight").reshape([])
            out[f"{dst}.noise_const"] = g.pop(f"noises.noise_{idx}")[0, 0]
        for src, dst in rgbs:
            _modconv(g, src, dst, out)
            out[f"{dst}.bias"] = g.pop(f"{src}.bias").reshape(-1)
            g.pop(f"{src}.upsample.kernel", None)
    except KeyError as e:
        raise LivedreamError(f"{what}: g_ema has no {e.args[0]!r}; not a rosinality StyleGAN2 checkpoint") from None
    leftover = [k for k in g if not re.fullmatch(r"noises\.noise_\d+", k)]
    if leftover:
        raise LivedreamError(f"{what}: unrecognised g_ema entry {leftover[0]!r}; not a rosinality StyleGAN2 checkpoint")
    latent_avg = data.get("latent_avg")
    if isinstance(latent_avg, torch.Tensor):
        out["mapping.w_avg"] = latent_avg.reshape(-1)
    out = {k: v.detach().to(torch.float32).contiguous() for k, v in out.items()}
    cfg = config_from_state(out, what, architecture="skip")
    if "mapping.w_avg" not in out:
        out["mapping.w_avg"] = torch.zeros([cfg.w_dim])  # filled in by estimate_w_avg after the build
    return cfg, out
