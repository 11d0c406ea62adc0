"""Reads and checks a StyleGAN3 generator from the inert stand-ins of NVIDIA's pickle: config and state dict.

Every number the network is built from comes from the layer attributes NVIDIA's forward pass reads
(sizes, factors, padding, kernel, clamp), each bounded and checked against its neighbours and the
tensor shapes before anything is allocated, so a file with extra, missing or misshapen pieces gives
one line naming the piece.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.safe_pickle import PersistentStub
from livedream.models.stylegan3.network import LayerSpec, StyleGAN3Config, StyleGAN3Network

MAX_CHANNELS = 8192
MAX_SIZE = 8192  # pixels per side of any layer (NVIDIA's largest models: 1024 + margins)
MAX_LAYERS = 64
_LAYER_NAME = re.compile(r"L\d{1,3}_\d{1,5}_\d{1,5}")


class _Bad(Exception):
    """A layout problem; converted to one LivedreamError line naming the file."""


def is_stylegan3(data: Any) -> bool:
    """Whether unpickled data holds a StyleGAN3 G_ema (a synthesis network with a Fourier-feature input)."""
    if not isinstance(data, dict) or not isinstance(data.get("G_ema"), PersistentStub):
        return False
    syn = _modules(data["G_ema"]).get("synthesis")
    return isinstance(syn, PersistentStub) and ("input" in _modules(syn) or "layer_names" in syn.state)


def _modules(stub: PersistentStub) -> dict[str, Any]:
    mods = stub.state.get("_modules")
    return dict(mods) if isinstance(mods, dict) else {}


def _sub(stub: PersistentStub, name: str, where: str, class_name: str | None = None) -> PersistentStub:
    sub = _modules(stub).get(name)
    if not isinstance(sub, PersistentStub):
        raise _Bad(f"missing module {where}{name}")
    if class_name is not None and sub.class_name != class_name:
        raise _Bad(f"{where}{name} is a {sub.class_name}, expected a {class_name}")
    return sub


def _attr(stub: PersistentStub, key: str, where: str) -> Any:
    if key not in stub.state:
        raise _Bad(f"{where} has no attribute {key!r}")
    return stub.state[key]


def _number(stub: PersistentStub, key: str, where: str, lo: float, hi: float, integer: bool = True) -> Any:
    v = _attr(stub, key, where)
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise _Bad(f"{where}.{key} is {type(v).__name__}, not a number")
    v = float(v)
    if not np.isfinite(v) or not lo <= v <= hi or (integer and v != int(v)):
        raise _Bad(f"{where}.{key} = {v:g} is out of range ({'a whole number ' if integer else ''}in [{lo:g}, {hi:g}])")
    return int(v) if integer else v


def _flag(stub: PersistentStub, key: str, where: str) -> bool:
    v = _attr(stub, key, where)
    if not isinstance(v, (bool, np.bool_)):
        raise _Bad(f"{where}.{key} is {type(v).__name__}, not true/false")
    return bool(v)


def _pair(stub: PersistentStub, key: str, where: str) -> tuple[int, int]:
    """NVIDIA's sizes: np.broadcast_to(size, [2]) arrays (width, height)."""
    v = _attr(stub, key, where)
    a = np.asarray(v) if isinstance(v, (np.ndarray, list, tuple, int, np.integer)) else None
    if a is None or a.dtype.kind not in "iu" or a.size not in (1, 2) or a.ndim > 1:
        raise _Bad(f"{where}.{key} is not a size (two whole numbers)")
    a = np.broadcast_to(a.reshape(-1), [2])
    if not all(1 <= int(s) <= MAX_SIZE for s in a):
        raise _Bad(f"{where}.{key} = {a.tolist()} is out of range [1, {MAX_SIZE}]")
    return int(a[0]), int(a[1])


def _layer_spec(name: str, stub: PersistentStub, where: str) -> LayerSpec:
    pad = _attr(stub, "padding", where)
    if not isinstance(pad, (list, tuple)) or len(pad) != 4 or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise _Bad(f"{where}.padding is not four whole numbers")
    if any(abs(int(p)) > 4 * MAX_SIZE for p in pad):
        raise _Bad(f"{where}.padding {list(pad)} is out of range")
    clamp = stub.state.get("conv_clamp")
    if clamp is not None:
        clamp = _number(stub, "conv_clamp", where, 0, 1e9, integer=False)
    return LayerSpec(
        name=name,
        in_channels=_number(stub, "in_channels", where, 1, MAX_CHANNELS),
        out_channels=_number(stub, "out_channels", where, 1, MAX_CHANNELS),
        in_size=_pair(stub, "in_size", where),
        out_size=_pair(stub, "out_size", where),
        conv_kernel=_number(stub, "conv_kernel", where, 1, 9),
        up=_number(stub, "up_factor", where, 1, 16),
        down=_number(stub, "down_factor", where, 1, 16),
        padding=tuple(int(p) for p in pad),  # type: ignore[arg-type]
        up_taps=_number(stub, "up_taps", where, 1, 256),
        down_taps=_number(stub, "down_taps", where, 1, 256),
        down_radial=_flag(stub, "down_radial", where),
        is_torgb=_flag(stub, "is_torgb", where),
        use_fp16=_flag(stub, "use_fp16", where),
        conv_clamp=clamp,
    )


def _check_chain(cfg: StyleGAN3Config) -> None:
    """Each layer's sizes follow from the previous one's, as NVIDIA's filtered_lrelu computes them."""
    ch, size = cfg.input_channels, cfg.input_size
    for i, s in enumerate(cfg.layers):
        if (s.in_channels, s.in_size) != (ch, size):
            raise _Bad(f"{s.name} takes {s.in_channels} channels of {s.in_size}, but gets {ch} of {size}")
        if s.is_torgb != (i == len(cfg.layers) - 1):
            raise _Bad(f"{s.name}: only the last layer is the RGB layer")
        for axis in (0, 1):
            conv = s.in_size[axis] + s.conv_kernel - 1
            filtered = conv * s.up + s.padding[2 * axis] + s.padding[2 * axis + 1] - (s.up_taps - 1)
            out = (filtered - (s.down_taps - 1) + s.down - 1) // s.down
            if filtered < s.down_taps or out != s.out_size[axis]:
                raise _Bad(f"{s.name}: padding {list(s.padding)} does not turn {s.in_size} into {s.out_size}")
        ch, size = s.out_channels, s.out_size
    if ch != cfg.img_channels or size != (cfg.img_resolution, cfg.img_resolution):
        raise _Bad(f"the last layer makes {ch} channels of {size}, not a {cfg.img_resolution}px image")


def _flatten(stub: PersistentStub, prefix: str, out: dict[str, torch.Tensor]) -> None:
    for group in ("_parameters", "_buffers"):
        tensors = stub.state.get(group) or {}
        if not isinstance(tensors, dict):
            raise _Bad(f"{prefix or 'G_ema.'}{group} is not a dict")
        for name, t in tensors.items():
            if t is None:
                continue
            if not isinstance(t, torch.Tensor) or not t.is_floating_point():
                raise _Bad(f"{prefix}{name} is not a floating-point tensor")
            out[prefix + str(name)] = t
    for name, sub in _modules(stub).items():
        if sub is None:
            continue
        if not isinstance(sub, PersistentStub):
            raise _Bad(f"unexpected module {prefix}{name} ({type(sub).__name__})")
        _flatten(sub, f"{prefix}{name}.", out)


def _config(g: PersistentStub) -> StyleGAN3Config:
    syn = _sub(g, "synthesis", "G_ema.", "SynthesisNetwork")
    mapping = _sub(g, "mapping", "G_ema.", "MappingNetwork")
    inp = _sub(syn, "input", "synthesis.", "SynthesisInput")
    names = _attr(syn, "layer_names", "synthesis")
    if not isinstance(names, (list, tuple)) or not 1 <= len(names) <= MAX_LAYERS:
        raise _Bad(f"synthesis.layer_names is not a list of 1 to {MAX_LAYERS} names")
    for n in names:
        if not isinstance(n, str) or not _LAYER_NAME.fullmatch(n):
            raise _Bad(f"synthesis.layer_names holds {n!r}, not a layer name like L0_36_512")
    if len(set(names)) != len(names):
        raise _Bad("synthesis.layer_names repeats a layer")
    extra = set(_modules(syn)) - {"input", *names}
    if extra:
        raise _Bad(f"unexpected module synthesis.{sorted(extra)[0]}")
    layers = tuple(_layer_spec(n, _sub(syn, n, "synthesis.", "SynthesisLayer"), f"synthesis.{n}") for n in names)
    c_dim = _number(mapping, "c_dim", "mapping", 0, 1_000_000)
    fc0 = _sub(mapping, "fc0", "mapping.", "FullyConnectedLayer")
    cfg = StyleGAN3Config(
        z_dim=_number(mapping, "z_dim", "mapping", 1, MAX_CHANNELS),
        c_dim=c_dim,
        w_dim=_number(mapping, "w_dim", "mapping", 1, MAX_CHANNELS),
        img_resolution=_number(syn, "img_resolution", "synthesis", 1, MAX_SIZE),
        img_channels=_number(syn, "img_channels", "synthesis", 1, 4),
        mapping_layers=_number(mapping, "num_layers", "mapping", 1, 64),
        mapping_lr_mul=_number(fc0, "bias_gain", "mapping.fc0", 1e-6, 1e3, integer=False),
        input_channels=_number(inp, "channels", "synthesis.input", 1, MAX_CHANNELS),
        input_size=_pair(inp, "size", "synthesis.input"),
        sampling_rate=_number(inp, "sampling_rate", "synthesis.input", 1, MAX_SIZE, integer=False),
        bandwidth=_number(inp, "bandwidth", "synthesis.input", 1e-6, MAX_SIZE, integer=False),
        layers=layers,
        output_scale=_number(syn, "output_scale", "synthesis", -1e6, 1e6, integer=False),
    )
    if cfg.bandwidth >= cfg.sampling_rate / 2:
        raise _Bad(f"synthesis.input bandwidth {cfg.bandwidth:g} is not below half its sampling rate")
    for key, value in (("mapping.num_ws", cfg.num_ws), ("synthesis.num_ws", cfg.num_ws)):
        stub = mapping if key.startswith("mapping") else syn
        if _number(stub, "num_ws", key.split(".")[0], 1, MAX_LAYERS + 1) != value:
            raise _Bad(f"{key} is not {value} (the number of layers + 1)")
    _check_chain(cfg)
    return cfg


def read_stylegan3(data: dict[str, Any], what: str) -> tuple[StyleGAN3Config, dict[str, torch.Tensor]]:
    """Config and float32 state dict (NVIDIA's names) of data['G_ema']; LivedreamError naming what is wrong."""
    try:
        g = data["G_ema"]
        cfg = _config(g)
        state: dict[str, torch.Tensor] = {}
        _flatten(g, "", state)
        # The shapes this layout needs, from a network on the meta device: nothing is allocated yet.
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in StyleGAN3Network(cfg).state_dict().items()}
        for key, shape in expected.items():
            if key not in state:
                raise _Bad(f"missing tensor {key}")
            if tuple(state[key].shape) != shape:
                raise _Bad(f"{key} has shape {list(state[key].shape)}, the layout needs {list(shape)}")
        extra = sorted(set(state) - set(expected))
        if extra:
            raise _Bad(f"unexpected tensor {extra[0]}" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""))
    except _Bad as e:
        raise LivedreamError(f"{what}: not a StyleGAN3 generator NVIDIA's code would build: {e}") from None
    return cfg, {k: v.detach().to(torch.float32) for k, v in state.items()}
