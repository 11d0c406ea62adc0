"""NVIDIA TensorFlow pickles (stylegan2, stylegan2-ada): Gs's variables renamed and transposed to PyTorch layout.

Facts used (documented TF layouts): dense weights are [in, out]; conv weights [kh, kw, in, out];
the up-sampling conv is a transposed convolution of the spatially flipped kernel; mod_bias is stored
minus 1; noise{i} is the constant noise of layer i; dlatent_avg is the average w.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.layout import config_from_state
from livedream.models.stylegan2.network import StyleGAN2Config
from livedream.models.stylegan2.safe_pickle import TFNetworkStub


def is_tf(data: Any) -> bool:
    if isinstance(data, TFNetworkStub):
        return True
    return isinstance(data, tuple) and len(data) == 3 and all(isinstance(n, TFNetworkStub) for n in data)


def _collect(net: TFNetworkStub, prefix: str, out: dict[str, np.ndarray], kwargs: dict[str, Any]) -> None:
    """Variables of a network and its components, as 'mapping/Dense0/weight', 'synthesis/4x4/Conv/weight', ..."""
    for name, value in net.state.get("variables") or []:
        out[prefix + str(name)] = np.asarray(value)
    kwargs.update(dict(net.state.get("static_kwargs") or {}))
    for name, comp in (net.state.get("components") or {}).items():
        if isinstance(comp, TFNetworkStub):
            _collect(comp, f"{prefix}{name}/", out, kwargs)


def _conv(w: np.ndarray, flip: bool = False) -> np.ndarray:
    """[kh, kw, in, out] -> [out, in, kh, kw], flipped for up-sampling (transposed) convolutions."""
    if flip:
        w = w[::-1, ::-1]
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))


def _modconv(tf: dict[str, np.ndarray], src: str, dst: str, out: dict[str, np.ndarray], flip: bool = False) -> None:
    out[f"{dst}.weight"] = _conv(tf.pop(f"{src}/weight"), flip)
    out[f"{dst}.bias"] = tf.pop(f"{src}/bias")
    out[f"{dst}.affine.weight"] = tf.pop(f"{src}/mod_weight").T
    out[f"{dst}.affine.bias"] = tf.pop(f"{src}/mod_bias") + 1
    if f"{src}/noise_strength" in tf:
        out[f"{dst}.noise_strength"] = np.asarray(tf.pop(f"{src}/noise_strength")).reshape([])


def convert_tf(data: Any, what: str) -> tuple[StyleGAN2Config, dict[str, torch.Tensor]]:
    """Config and state dict (NVIDIA PyTorch naming) of Gs, the averaged generator."""
    gs: TFNetworkStub = data[2] if isinstance(data, tuple) else data
    version = gs.state.get("version", 0)
    if not isinstance(version, int) or version < 4:
        raise LivedreamError(f"{what}: TensorFlow pickle version {version!r} is too old (StyleGAN 1?); need StyleGAN2")
    tf: dict[str, np.ndarray] = {}
    kw: dict[str, Any] = {}
    _collect(gs, "", tf, kw)
    if any("StyleMod" in k for k in tf):
        raise LivedreamError(f"{what}: this is a StyleGAN (version 1) model; only StyleGAN2 models are supported")
    for key in ("nonlinearity", "mapping_nonlinearity"):
        if kw.get(key, "lrelu") != "lrelu":
            raise LivedreamError(f"{what}: activation {kw[key]!r} is not supported (only lrelu)")
    res = int(kw.get("resolution") or 0)
    for name in list(tf):  # 'orig' nets name their RGB layers ToRGB_lod{n}
        m = re.fullmatch(r"synthesis/ToRGB_lod(\d+)/(.*)", name)
        if m:
            if not res:
                res = max(int(k.split("/")[1].split("x")[0]) for k in tf if re.match(r"synthesis/\d+x\d+/", k))
            r = res >> int(m.group(1))
            tf[f"synthesis/{r}x{r}/ToRGB/{m.group(2)}"] = tf.pop(name)

    out: dict[str, np.ndarray] = {}
    try:
        out["mapping.w_avg"] = tf.pop("dlatent_avg")
        for i in range(64):
            if f"mapping/Dense{i}/weight" not in tf:
                break
            out[f"mapping.fc{i}.weight"] = tf.pop(f"mapping/Dense{i}/weight").T
            out[f"mapping.fc{i}.bias"] = tf.pop(f"mapping/Dense{i}/bias")
        if "mapping/LabelEmbed/weight" in tf:
            out["mapping.embed.weight"] = tf.pop("mapping/LabelEmbed/weight").T
            out["mapping.embed.bias"] = tf.pop("mapping/LabelEmbed/bias")
        if "mapping/LabelConcat/weight" in tf:
            out["mapping.label_concat"] = tf.pop("mapping/LabelConcat/weight")
        out["synthesis.b4.const"] = tf.pop("synthesis/4x4/Const/const")[0]
        _modconv(tf, "synthesis/4x4/Conv", "synthesis.b4.conv1", out)
        r = 8
        while f"synthesis/{r}x{r}/Conv1/weight" in tf:
            _modconv(tf, f"synthesis/{r}x{r}/Conv0_up", f"synthesis.b{r}.conv0", out, flip=True)
            _modconv(tf, f"synthesis/{r}x{r}/Conv1", f"synthesis.b{r}.conv1", out)
            if f"synthesis/{r}x{r}/Skip/weight" in tf:
                out[f"synthesis.b{r}.skip.weight"] = _conv(tf.pop(f"synthesis/{r}x{r}/Skip/weight"), flip=True)
            r *= 2
        for rr in [2**i for i in range(2, int(math.log2(r)))]:
            if f"synthesis/{rr}x{rr}/ToRGB/weight" in tf:
                src, dst = f"synthesis/{rr}x{rr}/ToRGB", f"synthesis.b{rr}.torgb"
                out[f"{dst}.weight"] = _conv(tf.pop(f"{src}/weight"))
                out[f"{dst}.bias"] = tf.pop(f"{src}/bias")
                out[f"{dst}.affine.weight"] = tf.pop(f"{src}/mod_weight").T
                out[f"{dst}.affine.bias"] = tf.pop(f"{src}/mod_bias") + 1
            n1 = 2 * int(math.log2(rr)) - 4
            if f"synthesis/noise{n1}" in tf:
                out[f"synthesis.b{rr}.conv1.noise_const"] = tf.pop(f"synthesis/noise{n1}")[0, 0]
            if rr > 4 and f"synthesis/noise{n1 - 1}" in tf:
                out[f"synthesis.b{rr}.conv0.noise_const"] = tf.pop(f"synthesis/noise{n1 - 1}")[0, 0]
    except KeyError as e:
        raise LivedreamError(f"{what}: TensorFlow variable {e.args[0]} is missing; not a StyleGAN2 generator") from None
    leftover = [k for k in tf if k not in ("lod",) and not k.endswith("/lod")]
    if leftover:
        raise LivedreamError(f"{what}: unrecognised TensorFlow variable {leftover[0]!r}; not a StyleGAN2 generator")
    state = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}
    cfg = config_from_state(
        state,
        what,
        architecture=kw.get("architecture"),
        mapping_lr_mul=kw.get("mapping_lrmul", 0.01) or 0.01,
        num_fp16_res=kw.get("num_fp16_res", 0),
        conv_clamp=kw.get("conv_clamp"),
    )
    if kw.get("resample_kernel") is not None:
        cfg.resample_filter = list(kw["resample_kernel"])
    return cfg, state
