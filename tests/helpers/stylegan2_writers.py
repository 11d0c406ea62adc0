"""Test helpers: tiny random StyleGAN2 models written in each real file format, by our own writers.

One source of truth, a dict of TensorFlow-named variables (the documented TF layout), is written as
a TF pickle, converted to NVIDIA's PyTorch layout for an ada-pytorch pickle, and to rosinality's
layout for a torch.save checkpoint. The pickles name the same globals NVIDIA's files do
(dnnlib.tflib.network.Network, torch_utils.persistence._reconstruct_persistent_obj, dnnlib.util.EasyDict,
numpy.core.multiarray._reconstruct, torch's rebuild functions), and embed source code that would
leave a marker file if anything executed it.
"""

from __future__ import annotations

import argparse
import io
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

MARKER_SOURCE = "import pathlib\npathlib.Path({path!r}).write_text('executed')\n"


# ---------------------------------------------------------------- pickling with NVIDIA's global names


class Evil:
    """A hostile payload: unpickling it calls func(arg) (os.system, eval, ...); a safe loader must refuse it."""

    def __init__(self, func: Any, arg: object):
        self.func, self.arg = func, arg

    def __reduce__(self) -> tuple:
        return (self.func, (self.arg,))


class EasyDict(dict):
    """Pickled as dnnlib.util.EasyDict."""


class Network:
    """Pickled as dnnlib.tflib.network.Network; state as its __getstate__ returns it."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._state = state


def _reconstruct_persistent_obj(meta: dict) -> Any:  # pickled under NVIDIA's name; never called here
    raise AssertionError("writer stand-in")


class Persistent:
    """An object of an NVIDIA persistent class: reduces to _reconstruct_persistent_obj(meta)."""

    def __init__(self, class_name: str, state: dict[str, Any], module_src: str) -> None:
        self.meta = dict(type="class", version=6, module_src=module_src, class_name=class_name, state=state)

    def __reduce__(self) -> tuple:
        return (_reconstruct_persistent_obj, (self.meta,))


def _numpy_core() -> Any:
    return np._core if hasattr(np, "_core") else np.core


_NAMES = {
    id(EasyDict): ("dnnlib.util", "EasyDict"),
    id(Network): ("dnnlib.tflib.network", "Network"),
    id(_reconstruct_persistent_obj): ("torch_utils.persistence", "_reconstruct_persistent_obj"),
    id(_numpy_core().multiarray._reconstruct): ("numpy.core.multiarray", "_reconstruct"),
    id(_numpy_core().multiarray.scalar): ("numpy.core.multiarray", "scalar"),
}


class _NamedPickler(pickle._Pickler):
    """The pure-Python pickler, writing chosen objects under the module and name NVIDIA's files use."""

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if id(obj) not in _NAMES:
            return super().save_global(obj, name)
        module, qualname = _NAMES[id(obj)]
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode())
        self.memoize(obj)

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if id(obj) in _NAMES:
            if id(obj) in self.memo:
                self.write(self.get(self.memo[id(obj)][0]))
            else:
                self.save_global(obj)
            return
        if isinstance(obj, Network) and id(obj) not in self.memo:
            # NEWOBJ of the class and BUILD with the state, as pickle does for plain objects
            self.save(Network)
            self.save(())
            self.write(pickle.NEWOBJ)
            self.memoize(obj)
            self.save(obj._state)
            self.write(pickle.BUILD)
            return
        super().save(obj, save_persistent_id)


def dump(obj: Any, path: Path, protocol: int) -> None:
    buf = io.BytesIO()
    _NamedPickler(buf, protocol=protocol).dump(obj)
    Path(path).write_bytes(buf.getvalue())


# ---------------------------------------------------------------- the random model (TF layout)


def tf_variables(
    resolution: int = 16,
    channels: dict[int, int] | None = None,
    z_dim: int = 8,
    w_dim: int = 8,
    c_dim: int = 0,
    mapping_layers: int = 2,
    architecture: str = "skip",
    label: str = "embed",
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Random variables named and shaped as in NVIDIA's TF Gs: 'dlatent_avg', 'mapping/...', 'synthesis/...'."""
    rng = np.random.RandomState(seed)
    channels = channels or {r: max(4, 16 // max(1, r // 8)) for r in (4, 8, 16, 32, 64, 128, 256, 512, 1024)}

    def randn(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.randn(*shape) * scale).astype(np.float32)

    v: dict[str, np.ndarray] = {"dlatent_avg": randn(w_dim, scale=0.3)}
    fin = z_dim
    if c_dim and label == "embed":
        v["mapping/LabelEmbed/weight"] = randn(c_dim, w_dim)
        v["mapping/LabelEmbed/bias"] = randn(w_dim, scale=0.1)
        fin += w_dim
    elif c_dim:
        v["mapping/LabelConcat/weight"] = randn(c_dim, z_dim)
        fin += z_dim
    for i in range(mapping_layers):
        v[f"mapping/Dense{i}/weight"] = randn(fin, w_dim, scale=100.0)  # stored / lr_mul (0.01)
        v[f"mapping/Dense{i}/bias"] = randn(w_dim, scale=10.0)
        fin = w_dim

    def modconv(scope: str, cin: int, cout: int, k: int, res: int | None) -> None:
        v[f"{scope}/weight"] = randn(k, k, cin, cout)
        v[f"{scope}/mod_weight"] = randn(w_dim, cin)
        v[f"{scope}/mod_bias"] = randn(cin, scale=0.2)
        v[f"{scope}/bias"] = randn(cout, scale=0.2)
        if res is not None:
            v[f"{scope}/noise_strength"] = np.float32(rng.randn() * 0.3)

    res_list = [2**i for i in range(2, int(np.log2(resolution)) + 1)]
    v["synthesis/4x4/Const/const"] = randn(1, channels[4], 4, 4)
    modconv("synthesis/4x4/Conv", channels[4], channels[4], 3, 4)
    for r in res_list[1:]:
        modconv(f"synthesis/{r}x{r}/Conv0_up", channels[r // 2], channels[r], 3, r)
        modconv(f"synthesis/{r}x{r}/Conv1", channels[r], channels[r], 3, r)
        if architecture == "resnet":
            v[f"synthesis/{r}x{r}/Skip/weight"] = randn(1, 1, channels[r // 2], channels[r])
    for r in res_list:
        if architecture == "skip" or r == resolution:
            modconv(f"synthesis/{r}x{r}/ToRGB", channels[r], 3, 1, None)
    for i in range(2 * len(res_list) - 1):
        r = 2 ** ((i + 5) // 2)
        v[f"synthesis/noise{i}"] = randn(1, 1, r, r)
    return v


# ---------------------------------------------------------------- writers


def write_tf_pickle(
    path: Path, variables: dict[str, np.ndarray], static_kwargs: dict | None = None, marker: Path | None = None
) -> None:
    """A (G, D, Gs) pickle of dnnlib.tflib.network.Network states, like NVIDIA's TF stylegan2 snapshots."""
    src = MARKER_SOURCE.format(path=str(marker or "/nonexistent/never"))
    kwargs = dict(static_kwargs or {})

    def sub(prefix: str, name: str) -> Network:
        own = [(k[len(prefix) :], a) for k, a in variables.items() if k.startswith(prefix)]
        return Network(dict(version=4, name=name, static_kwargs=dict(kwargs), components={}, build_module_src=src,
                            build_func_name=name, variables=own))  # fmt: skip

    def top(name: str) -> Network:
        own = [(k, a) for k, a in variables.items() if "/" not in k]
        comps = {"mapping": sub("mapping/", "G_mapping"), "synthesis": sub("synthesis/", "G_synthesis")}
        return Network(dict(version=4, name=name, static_kwargs=dict(kwargs), components=comps, build_module_src=src,
                            build_func_name="G_main", variables=own))  # fmt: skip

    d = Network(dict(version=4, name="D", static_kwargs={}, components={}, build_module_src=src, build_func_name="D_main",
                     variables=[("4x4/Dense0/weight", np.ones([4, 4], np.float32))]))  # fmt: skip
    dump((top("G"), d, top("Gs")), path, protocol=3)


def tf_to_ada(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """NVIDIA PyTorch names and layouts from TF variables (the documented conversion)."""
    out: dict[str, np.ndarray] = {"mapping.w_avg": v["dlatent_avg"]}
    for k, a in v.items():
        parts = k.split("/")
        if parts[0] == "mapping":
            if parts[1].startswith("Dense"):
                out[f"mapping.fc{parts[1][5:]}.{parts[2]}"] = a.T if parts[2] == "weight" else a
            elif parts[1] == "LabelEmbed":
                out[f"mapping.embed.{parts[2]}"] = a.T if parts[2] == "weight" else a
            elif parts[1] == "LabelConcat":
                out["mapping.label_concat"] = a
        elif parts[0] == "synthesis" and parts[1].startswith("noise"):
            i = int(parts[1][5:])
            r = 2 ** ((i + 5) // 2)
            layer = "conv1" if i % 2 == 0 else "conv0"
            out[f"synthesis.b{r}.{layer}.noise_const"] = a[0, 0]
        elif parts[0] == "synthesis":
            r = parts[1].split("x")[0]
            if parts[2] == "Const":
                out[f"synthesis.b{r}.const"] = a[0]
                continue
            layer = {"Conv": "conv1", "Conv0_up": "conv0", "Conv1": "conv1", "ToRGB": "torgb", "Skip": "skip"}[parts[2]]
            name = parts[3]
            dst = f"synthesis.b{r}.{layer}"
            if name == "weight":
                w = a[::-1, ::-1] if layer in ("conv0", "skip") else a
                out[f"{dst}.weight"] = w.transpose(3, 2, 0, 1)
            elif name == "mod_weight":
                out[f"{dst}.affine.weight"] = a.T
            elif name == "mod_bias":
                out[f"{dst}.affine.bias"] = a + 1
            else:
                out[f"{dst}.{name}"] = a
    return {k: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for k, a in out.items()}


def _module(
    name: str, src: str, params: dict, buffers: dict | None = None, modules: dict | None = None, **attrs: Any
) -> Persistent:
    state = {
        "training": False,
        "_parameters": OrderedDict(
            (k, None if t is None else torch.nn.Parameter(t, requires_grad=False)) for k, t in params.items()
        ),
        "_buffers": OrderedDict(buffers or {}),
        "_non_persistent_buffers_set": set(),
        "_backward_hooks": OrderedDict(),
        "_forward_hooks": OrderedDict(),
        "_forward_pre_hooks": OrderedDict(),
        "_state_dict_hooks": OrderedDict(),
        "_load_state_dict_pre_hooks": OrderedDict(),
        "_modules": OrderedDict(modules or {}),
        "_init_args": (),
        "_init_kwargs": EasyDict(),
        **attrs,
    }
    return Persistent(name, state, src)


def write_ada_pickle(
    path: Path,
    state: dict[str, torch.Tensor],
    architecture: str = "skip",
    num_fp16_res: int = 0,
    conv_clamp: float | None = None,
    marker: Path | None = None,
    stylegan3: bool = False,
    extra: dict | None = None,
) -> None:
    """A network-snapshot pickle like stylegan2-ada-pytorch's: dict(G, D, G_ema, augment_pipe, training_set_kwargs)."""
    src = MARKER_SOURCE.format(path=str(marker or "/nonexistent/never"))
    filt = torch.tensor([1.0, 3, 3, 1])
    filt = (filt[:, None] * filt[None, :]) / 64  # [4, 4], as NVIDIA stores its resample_filter buffers
    lr_mul = 0.01

    def fc(prefix: str, lr: float, act: str) -> Persistent:
        w = state[f"{prefix}.weight"]
        return _module("FullyConnectedLayer", src, {"weight": w, "bias": state[f"{prefix}.bias"]}, activation=act,
                       weight_gain=lr / float(np.sqrt(w.shape[1])), bias_gain=lr)  # fmt: skip

    mapping_mods = OrderedDict()
    if "mapping.embed.weight" in state:
        mapping_mods["embed"] = fc("mapping.embed", 1.0, "linear")
    n = 0
    while f"mapping.fc{n}.weight" in state:
        mapping_mods[f"fc{n}"] = fc(f"mapping.fc{n}", lr_mul, "lrelu")
        n += 1
    mapping = _module(
        "MappingNetwork", src, {}, {"w_avg": state["mapping.w_avg"]}, mapping_mods, num_layers=n, w_avg_beta=0.995
    )

    def layer(prefix: str, up: int) -> Persistent:
        params = {k: state[f"{prefix}.{k}"] for k in ("weight", "noise_strength", "bias")}
        bufs = {"resample_filter": filt, "noise_const": state[f"{prefix}.noise_const"]}
        return _module("SynthesisLayer", src, params, bufs, {"affine": fc(f"{prefix}.affine", 1.0, "linear")}, up=up,
                       conv_clamp=conv_clamp, activation="lrelu", use_noise=True)  # fmt: skip

    blocks = OrderedDict()
    resolutions = sorted({int(k.split(".")[1][1:]) for k in state if k.startswith("synthesis.b")})
    fp16_res = max(2 ** (int(np.log2(resolutions[-1])) + 1 - num_fp16_res), 8)
    for r in resolutions:
        mods = OrderedDict()
        if r > 4:
            mods["conv0"] = layer(f"synthesis.b{r}.conv0", 2)
        mods["conv1"] = layer(f"synthesis.b{r}.conv1", 1)
        if f"synthesis.b{r}.torgb.weight" in state:
            p = f"synthesis.b{r}.torgb"
            mods["torgb"] = _module("ToRGBLayer", src, {"weight": state[f"{p}.weight"], "bias": state[f"{p}.bias"]}, {},
                                    {"affine": fc(f"{p}.affine", 1.0, "linear")}, conv_clamp=conv_clamp)  # fmt: skip
        if f"synthesis.b{r}.skip.weight" in state:
            mods["skip"] = _module("Conv2dLayer", src, {"weight": state[f"synthesis.b{r}.skip.weight"], "bias": None},
                                   {"resample_filter": filt}, up=2)  # fmt: skip
        params = {"const": state["synthesis.b4.const"]} if r == 4 else {}
        blocks[f"b{r}"] = _module("SynthesisBlock", src, params, {"resample_filter": filt}, mods, resolution=r,
                                  architecture=architecture, use_fp16=num_fp16_res > 0 and r >= fp16_res)  # fmt: skip
    if stylegan3:
        blocks = OrderedDict(input=_module("SynthesisInput", src, {}), L0_36_512=_module("SynthesisLayer", src, {}))
    synthesis = _module(
        "SynthesisNetwork", src, {}, {}, blocks, img_resolution=resolutions[-1], num_fp16_res=num_fp16_res
    )
    c_dim = int(state["mapping.embed.weight"].shape[1]) if "mapping.embed.weight" in state else 0
    kwargs = EasyDict(
        z_dim=int(state["mapping.fc0.weight"].shape[1]) - (int(state["mapping.embed.weight"].shape[0]) if c_dim else 0),
        c_dim=c_dim, w_dim=int(state["mapping.w_avg"].shape[0]), img_resolution=resolutions[-1], img_channels=3,
        mapping_kwargs=EasyDict(num_layers=n),
        synthesis_kwargs=EasyDict(channel_base=32768, channel_max=512, num_fp16_res=num_fp16_res,
                                  conv_clamp=conv_clamp, architecture=architecture),
    )  # fmt: skip

    def generator() -> Persistent:
        return _module("Generator", src, {}, {}, {"synthesis": synthesis, "mapping": mapping}, _init_kwargs=kwargs, **{
            k: kwargs[k] for k in ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels")})  # fmt: skip

    d = _module("Discriminator", src, {"w": torch.ones(3)}, {}, {})
    data = dict(G=generator(), D=d, G_ema=generator(), augment_pipe=_module("AugmentPipe", src, {}, {"p": torch.zeros([])}),
                training_set_kwargs=EasyDict(path="dataset.zip", resolution=resolutions[-1]), **(extra or {}))  # fmt: skip
    dump(data, path, protocol=4)


def tf_to_rosinality(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """rosinality g_ema names and layouts from TF variables (skip architecture, unconditional)."""
    ada = tf_to_ada(v)
    out: dict[str, torch.Tensor] = {}
    n = 0
    while f"mapping.fc{n}.weight" in ada:
        out[f"style.{n + 1}.weight"] = ada[f"mapping.fc{n}.weight"]
        out[f"style.{n + 1}.bias"] = ada[f"mapping.fc{n}.bias"]
        n += 1
    out["input.input"] = ada["synthesis.b4.const"][None]
    resolutions = sorted({int(k.split(".")[1][1:]) for k in ada if k.startswith("synthesis.b")})
    blur = torch.tensor([[1.0, 3, 3, 1]]).T @ torch.tensor([[1.0, 3, 3, 1]]) / 16

    def styled(src: str, dst: str, idx: int) -> None:
        out[f"{dst}.conv.weight"] = ada[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = ada[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = ada[f"{src}.affine.bias"]
        out[f"{dst}.noise.weight"] = ada[f"{src}.noise_strength"].reshape(1)
        out[f"{dst}.activate.bias"] = ada[f"{src}.bias"]
        out[f"noises.noise_{idx}"] = ada[f"{src}.noise_const"][None, None]

    def rgb(src: str, dst: str) -> None:
        out[f"{dst}.conv.weight"] = ada[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = ada[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = ada[f"{src}.affine.bias"]
        out[f"{dst}.bias"] = ada[f"{src}.bias"].reshape(1, -1, 1, 1)

    styled("synthesis.b4.conv1", "conv1", 0)
    rgb("synthesis.b4.torgb", "to_rgb1")
    for i, r in enumerate(resolutions[1:]):
        styled(f"synthesis.b{r}.conv0", f"convs.{2 * i}", 2 * i + 1)
        out[f"convs.{2 * i}.conv.blur.kernel"] = blur * 4
        styled(f"synthesis.b{r}.conv1", f"convs.{2 * i + 1}", 2 * i + 2)
        rgb(f"synthesis.b{r}.torgb", f"to_rgbs.{i}")
        out[f"to_rgbs.{i}.upsample.kernel"] = blur * 4
    return out


def write_rosinality(path: Path, v: dict[str, np.ndarray], latent_avg: bool = True) -> None:
    """A torch.save checkpoint like rosinality's train.py / convert_weight.py: g_ema, latent_avg, args."""
    ckpt: dict[str, Any] = {"g_ema": tf_to_rosinality(v), "args": argparse.Namespace(size=16, latent=8, n_mlp=2)}
    if latent_avg:
        ckpt["latent_avg"] = torch.from_numpy(v["dlatent_avg"].copy())
    torch.save(ckpt, path)
