"""NVIDIA stylegan2-ada-pytorch pickles: the G_ema stand-in's tensors and settings, without its source code."""

from __future__ import annotations

from typing import Any, TypeGuard

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.layout import config_from_state
from livedream.models.stylegan2.network import StyleGAN2Config
from livedream.models.stylegan2.safe_pickle import PersistentStub


def _flatten(stub: PersistentStub, prefix: str, out: dict[str, torch.Tensor], what: str) -> None:
    """Walk nn.Module state (_parameters, _buffers, _modules) into a flat state dict."""
    for group in ("_parameters", "_buffers"):
        for name, t in (stub.state.get(group) or {}).items():
            if t is None:
                continue
            if not isinstance(t, torch.Tensor):
                raise LivedreamError(f"{what}: {prefix}{name} is not a tensor")
            out[prefix + name] = t.detach().to(torch.float32)
    for name, sub in (stub.state.get("_modules") or {}).items():
        if sub is None:
            continue
        if not isinstance(sub, PersistentStub):
            raise LivedreamError(f"{what}: unexpected module {prefix}{name} ({type(sub).__name__})")
        _flatten(sub, f"{prefix}{name}.", out, what)


def _kwargs(stub: PersistentStub) -> dict[str, Any]:
    kw = stub.state.get("_init_kwargs")
    return dict(kw) if isinstance(kw, dict) else {}


def _sub(stub: PersistentStub | None, name: str) -> PersistentStub | None:
    mods = stub.state.get("_modules") or {} if stub is not None else {}
    sub = mods.get(name)
    return sub if isinstance(sub, PersistentStub) else None


def is_ada(data: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(data, dict) and isinstance(data.get("G_ema"), PersistentStub)


def convert_ada(data: dict[str, Any], what: str) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict (NVIDIA naming, resample filters dropped) of data['G_ema']."""
    g = data["G_ema"]
    synthesis, mapping = _sub(g, "synthesis"), _sub(g, "mapping")
    if synthesis is None or mapping is None:
        raise LivedreamError(f"{what}: G_ema has no mapping and synthesis networks; not a StyleGAN2 generator")
    if _sub(synthesis, "input") is not None or any(k.startswith("L0_") for k in synthesis.state.get("_modules") or {}):
        raise LivedreamError(f"{what} is a StyleGAN3 model, not a StyleGAN2 one (stylegan2.load reads both)")
    state: dict[str, torch.Tensor] = {}
    _flatten(g, "", state, what)
    filt = state.get("synthesis.b4.resample_filter")
    state = {k: v for k, v in state.items() if not k.endswith("resample_filter")}

    syn_kw = {**dict(_kwargs(g).get("synthesis_kwargs") or {}), **_kwargs(synthesis)}
    map_kw = {**dict(_kwargs(g).get("mapping_kwargs") or {}), **_kwargs(mapping)}
    b4 = _sub(synthesis, "b4")
    arch = syn_kw.get("architecture") or (b4.state.get("architecture") if b4 else None)
    fc0 = _sub(mapping, "fc0")
    lr_mul = fc0.state.get("bias_gain") if fc0 is not None else None
    if not isinstance(lr_mul, (int, float)):
        lr_mul = map_kw.get("lr_multiplier", 0.01)
    conv1 = _sub(b4, "conv1")
    clamp = conv1.state.get("conv_clamp", syn_kw.get("conv_clamp")) if conv1 is not None else syn_kw.get("conv_clamp")
    fp16 = syn_kw.get("num_fp16_res")
    if fp16 is None:
        fp16 = sum(
            1
            for k, b in (synthesis.state.get("_modules") or {}).items()
            if isinstance(b, PersistentStub) and b.state.get("use_fp16")
        )
    cfg = config_from_state(state, what, architecture=arch, mapping_lr_mul=lr_mul, num_fp16_res=fp16, conv_clamp=clamp)
    if filt is not None:
        cfg.resample_filter = filt.tolist()
    return cfg, state
