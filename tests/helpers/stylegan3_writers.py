"""Test helpers: tiny random StyleGAN3 generators (configs T and R) written as NVIDIA's stylegan3 pickles.

The layout (cutoffs, stopbands, sampling rates, sizes, channels, filters, padding) is computed here
from the paper's design rules (Karras et al. 2021, appendix F) with the default hyperparameters of
NVIDIA's train.py, independently of the package; the filters are Kaiser-windowed sinc (and, for R,
jinc) low-passes designed with numpy. The pickle holds what NVIDIA's training loop writes: a dict of
G, D, G_ema, augment_pipe and training_set_kwargs, each network a torch_utils.persistence object
with its class name, module source (a marker here, which must never run) and __dict__ state.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tests.helpers.stylegan2_writers import MARKER_SOURCE, EasyDict, _module, dump

# ---------------------------------------------------------------- filter design (numpy only)


def _kaiser_beta(atten: float) -> float:
    if atten > 50:
        return 0.1102 * (atten - 8.7)
    if atten > 21:
        return 0.5842 * (atten - 21) ** 0.4 + 0.07886 * (atten - 21)
    return 0.0


def lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """Kaiser-window sinc low-pass with unit DC gain: the window's beta from the transition width."""
    nyq = fs / 2
    atten = 2.285 * (numtaps - 1) * math.pi * (width / nyq) + 7.95
    m = np.arange(numtaps) - (numtaps - 1) / 2
    h = (cutoff / nyq) * np.sinc((cutoff / nyq) * m) * np.kaiser(numtaps, _kaiser_beta(atten))
    return (h / h.sum()).astype(np.float32)


def _bessel_j1(x: np.ndarray) -> np.ndarray:
    """J1(x) = (1/pi) * integral_0^pi cos(t - x sin t) dt; the trapezoid rule is spectrally exact here."""
    t = np.linspace(0, np.pi, 2049)
    vals = np.cos(t[None, :] - x.reshape(-1, 1) * np.sin(t[None, :]))
    return (np.trapezoid(vals, t, axis=1) / np.pi).reshape(x.shape)


def radial_lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """Radially symmetric jinc low-pass, Kaiser-windowed in x and y, normalised to sum 1: [k, k]."""
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    f = _bessel_j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
    atten = 2.285 * (numtaps - 1) * math.pi * (width / (fs / 2)) + 7.95
    w = np.kaiser(numtaps, _kaiser_beta(atten))
    f = f * np.outer(w, w)
    return (f / f.sum()).astype(np.float32)


# ---------------------------------------------------------------- the layout (appendix F)


def layout(
    img_resolution: int,
    channel_base: int,
    channel_max: int,
    conv_kernel: int = 3,
    radial: bool = False,
    img_channels: int = 3,
    num_layers: int = 14,
    num_critical: int = 2,
    num_fp16_res: int = 4,
    margin: int = 10,
    conv_clamp: int | None = 256,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The input's and each layer's settings, as NVIDIA's SynthesisNetwork computes and stores them."""
    first_cutoff, first_stopband, last_stopband_rel = 2.0, 2**2.1, 2**0.3
    last_cutoff = img_resolution / 2
    e = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** e
    stopbands = first_stopband * (last_cutoff * last_stopband_rel / first_stopband) ** e
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, img_resolution))))
    half_widths = np.maximum(stopbands, rates / 2) - cutoffs
    sizes = rates + margin * 2
    sizes[-2:] = img_resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    inp = dict(channels=int(channels[0]), size=int(sizes[0]), sampling_rate=rates[0], bandwidth=cutoffs[0])
    layers = []
    for i in range(num_layers + 1):
        p = max(i - 1, 0)
        torgb = i == num_layers
        critical = i >= num_layers - num_critical
        k = 1 if torgb else conv_kernel
        tmp = max(int(rates[p]), int(rates[i])) * (1 if torgb else 2)
        up, down = tmp // int(rates[p]), tmp // int(rates[i])
        up_taps = 6 * up if up > 1 and not torgb else 1
        down_taps = 6 * down if down > 1 and not torgb else 1
        down_radial = radial and not critical
        total = (int(sizes[i]) - 1) * down + 1 - (int(sizes[p]) + k - 1) * up + up_taps + down_taps - 2
        lo = (total + up) // 2
        fu = lowpass(up_taps, cutoffs[p], half_widths[p] * 2, tmp) if up_taps > 1 else None
        if down_taps == 1:
            fd = None
        elif down_radial:
            fd = radial_lowpass(down_taps, cutoffs[i], half_widths[i] * 2, tmp)
        else:
            fd = lowpass(down_taps, cutoffs[i], half_widths[i] * 2, tmp)
        layers.append(dict(
            name=f"L{i}_{int(sizes[i])}_{int(channels[i])}", is_torgb=torgb, is_critically_sampled=critical,
            use_fp16=np.bool_(rates[i] * 2**num_fp16_res > img_resolution),
            in_channels=int(channels[p]), out_channels=int(channels[i]),
            in_size=np.broadcast_to(np.asarray(int(sizes[p])), [2]), out_size=np.broadcast_to(np.asarray(int(sizes[i])), [2]),
            in_sampling_rate=int(rates[p]), out_sampling_rate=int(rates[i]), tmp_sampling_rate=tmp,
            in_cutoff=cutoffs[p], out_cutoff=cutoffs[i], in_half_width=half_widths[p], out_half_width=half_widths[i],
            conv_kernel=k, conv_clamp=conv_clamp, magnitude_ema_beta=0.5 ** (32 / 20e3), up_factor=up, up_taps=up_taps,
            down_factor=down, down_taps=down_taps, down_radial=down_radial, padding=[lo, total - lo, lo, total - lo],
            up_filter=fu, down_filter=fd,
        ))  # fmt: skip
    return inp, layers


# ---------------------------------------------------------------- a random model


def tiny_model(
    config: str = "T", resolution: int = 16, z_dim: int = 12, w_dim: int = 10, c_dim: int = 0, seed: int = 0
) -> dict[str, Any]:
    """A tiny stylegan3-t or -r generator with every weight random: kwargs, input, layers and state dict."""
    r = config.upper() == "R"
    base, cmax = (128, 32) if r else (64, 16)
    inp, layers = layout(resolution, base, cmax, conv_kernel=1 if r else 3, radial=r)
    rng = np.random.RandomState(seed)

    def randn(*shape: int, scale: float = 1.0, offset: float = 0.0) -> torch.Tensor:
        return torch.from_numpy((rng.randn(*shape) * scale + offset).astype(np.float32))

    state: dict[str, torch.Tensor] = {}
    fin = z_dim
    if c_dim:
        state["mapping.embed.weight"], state["mapping.embed.bias"] = randn(w_dim, c_dim), randn(w_dim, scale=0.5)
        fin += w_dim
    for i in range(2):
        state[f"mapping.fc{i}.weight"] = randn(w_dim, fin, scale=100.0)  # stored / lr_multiplier (0.01)
        state[f"mapping.fc{i}.bias"] = randn(w_dim, scale=50.0)
        fin = w_dim
    state["mapping.w_avg"] = randn(w_dim)
    ch = inp["channels"]
    freqs = rng.randn(ch, 2)
    radii = np.sqrt((freqs**2).sum(axis=1, keepdims=True))
    freqs = freqs / (radii * np.exp(radii**2) ** 0.25) * inp["bandwidth"]
    state.update({
        "synthesis.input.weight": randn(ch, ch), "synthesis.input.affine.weight": randn(4, w_dim),
        "synthesis.input.affine.bias": randn(4, scale=0.3) + torch.tensor([1.0, 0, 0, 0]),
        "synthesis.input.transform": torch.eye(3), "synthesis.input.freqs": torch.from_numpy(freqs.astype(np.float32)),
        "synthesis.input.phases": torch.from_numpy((rng.rand(ch) - 0.5).astype(np.float32)),
    })  # fmt: skip
    for spec in layers:
        p = f"synthesis.{spec['name']}"
        k = spec["conv_kernel"]
        state[f"{p}.affine.weight"] = randn(spec["in_channels"], w_dim)
        state[f"{p}.affine.bias"] = randn(spec["in_channels"], scale=0.5, offset=1.0)
        state[f"{p}.weight"] = randn(spec["out_channels"], spec["in_channels"], k, k)
        state[f"{p}.bias"] = randn(spec["out_channels"], scale=0.5)
        state[f"{p}.magnitude_ema"] = torch.tensor(float(rng.rand() * 2 + 0.1))
        for f in ("up_filter", "down_filter"):
            if spec[f] is not None:
                state[f"{p}.{f}"] = torch.from_numpy(spec[f])
    kwargs = dict(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=resolution, img_channels=3,
                  mapping_kwargs=EasyDict(num_layers=2), channel_base=base, channel_max=cmax,
                  magnitude_ema_beta=0.5 ** (32 / 20e3), num_fp16_res=4, conv_clamp=256)  # fmt: skip
    if r:
        kwargs.update(conv_kernel=1, use_radial_filters=True)
    return dict(kwargs=kwargs, input=inp, layers=layers, state=state)


# ---------------------------------------------------------------- the pickle


def write_sg3_pickle(path: Path, model: dict[str, Any], marker: Path | None = None, extra: dict | None = None) -> None:
    """A network-snapshot pickle like NVIDIA's stylegan3 training loop writes (protocol 4)."""
    dump(snapshot(model, marker, extra), path, protocol=4)


def state_of(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """The pickled __dict__ of a module inside a snapshot: state_of(data, "G_ema", "synthesis", "L0_36_16")."""
    obj = data[path[0]]
    for name in path[1:]:
        obj = obj.meta["state"]["_modules"][name]
    return obj.meta["state"]


def snapshot(model: dict[str, Any], marker: Path | None = None, extra: dict | None = None) -> dict[str, Any]:
    """The dict NVIDIA's training loop pickles, of Persistent stand-ins a test may still edit before dump()."""
    src = MARKER_SOURCE.format(path=str(marker or "/nonexistent/never"))
    st, kw = model["state"], model["kwargs"]
    w_dim, z_dim, c_dim = kw["w_dim"], kw["z_dim"], kw["c_dim"]
    num_ws = len(model["layers"]) + 1

    def fc(prefix: str, lr: float, act: str, **init: Any) -> Any:
        w = st[f"{prefix}.weight"]
        return _module("FullyConnectedLayer", src, {"weight": w, "bias": st[f"{prefix}.bias"]},
                       in_features=int(w.shape[1]), out_features=int(w.shape[0]), activation=act,
                       weight_gain=np.float64(lr / np.sqrt(w.shape[1])), bias_gain=lr, **init)  # fmt: skip

    maps = OrderedDict()
    if c_dim:
        maps["embed"] = fc("mapping.embed", 1, "linear")
    for i in range(kw["mapping_kwargs"]["num_layers"]):
        maps[f"fc{i}"] = fc(f"mapping.fc{i}", 0.01, "lrelu")
    mapping = _module("MappingNetwork", src, {}, {"w_avg": st["mapping.w_avg"]}, maps, z_dim=z_dim, c_dim=c_dim,
                      w_dim=w_dim, num_ws=num_ws, num_layers=len(maps) - bool(c_dim), w_avg_beta=0.998,
                      **({} if c_dim else {"embed": None}))  # fmt: skip
    inp = model["input"]
    mods = OrderedDict(input=_module(
        "SynthesisInput", src, {"weight": st["synthesis.input.weight"]},
        {k: st[f"synthesis.input.{k}"] for k in ("transform", "freqs", "phases")},
        {"affine": fc("synthesis.input.affine", 1, "linear")}, w_dim=w_dim, channels=inp["channels"],
        size=np.broadcast_to(np.asarray(inp["size"]), [2]), sampling_rate=inp["sampling_rate"], bandwidth=inp["bandwidth"],
    ))  # fmt: skip
    for spec in model["layers"]:
        p = f"synthesis.{spec['name']}"
        attrs = {k: v for k, v in spec.items() if k not in ("name", "up_filter", "down_filter")}
        bufs = {"magnitude_ema": st[f"{p}.magnitude_ema"], "up_filter": st.get(f"{p}.up_filter"),
                "down_filter": st.get(f"{p}.down_filter")}  # fmt: skip
        mods[spec["name"]] = _module("SynthesisLayer", src, {"weight": st[f"{p}.weight"], "bias": st[f"{p}.bias"]},
                                     bufs, {"affine": fc(f"{p}.affine", 1, "linear")}, w_dim=w_dim, **attrs)  # fmt: skip
    res = kw["img_resolution"]
    synthesis = _module("SynthesisNetwork", src, {}, {}, mods, w_dim=w_dim, num_ws=num_ws, img_resolution=res,
                        img_channels=3, num_layers=num_ws - 2, num_critical=2, margin_size=10, output_scale=0.25,
                        num_fp16_res=kw["num_fp16_res"], layer_names=[s["name"] for s in model["layers"]])  # fmt: skip

    def generator() -> Any:
        return _module("Generator", src, {}, {}, OrderedDict(synthesis=synthesis, mapping=mapping), z_dim=z_dim,
                       c_dim=c_dim, w_dim=w_dim, img_resolution=res, img_channels=3, num_ws=num_ws,
                       _init_kwargs=EasyDict(kw))  # fmt: skip

    d = _module("Discriminator", src, {}, {}, {"b16": _module("DiscriminatorBlock", src, {"w": torch.ones(3)})})
    data = dict(G=generator(), D=d, G_ema=generator(), augment_pipe=None,
                training_set_kwargs=dict(path="dataset.zip", resolution=res), **(extra or {}))  # fmt: skip
    return data
