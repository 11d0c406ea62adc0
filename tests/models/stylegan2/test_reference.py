"""Our StyleGAN2 against an independent, deliberately naive reference that reads TF-layout variables directly.

The reference follows NVIDIA's TF graph definitions (documented formulas): equalised-lr dense layers,
weight modulation/demodulation on [kh, kw, in, out] kernels, the up-sampling conv as zero insertion
then correlation then the [1,3,3,1] FIR filter, noise before bias, lrelu * sqrt(2), skip/resnet/orig.
It loops over samples and channels with float64 numpy-style torch code and shares nothing with the
package, so a layout or orientation mistake in a loader or in ops shows up as a mismatch here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from livedream.models.stylegan2 import load
from tests.helpers.stylegan2_writers import tf_variables, write_tf_pickle

FIR = np.outer([1.0, 3, 3, 1], [1.0, 3, 3, 1]) / 64.0  # [4, 4], sums to 1


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def _fir(x: torch.Tensor, pad0: int, pad1: int, gain: float) -> torch.Tensor:
    """x [C, H, W] padded by (pad0, pad1) on each axis, convolved with FIR * gain (symmetric, so no flip)."""
    x = F.pad(x[None], [pad0, pad1, pad0, pad1])
    k = _t(FIR * gain)[None, None].repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(x, k, groups=x.shape[1])[0]


def _zero_stuff(x: torch.Tensor) -> torch.Tensor:
    """[C, H, W] -> [C, 2H-1, 2W-1] with x[i, j] at (2i, 2j), zeros between."""
    c, h, w = x.shape
    out = torch.zeros([c, 2 * h - 1, 2 * w - 1], dtype=x.dtype)
    out[:, ::2, ::2] = x
    return out


def _dense(v: dict, scope: str, x: torch.Tensor, lrmul: float, act: bool) -> torch.Tensor:
    w = _t(v[f"{scope}/weight"])  # [in, out]
    y = x @ (w * (lrmul / math.sqrt(w.shape[0]))) + _t(v[f"{scope}/bias"]) * lrmul
    return F.leaky_relu(y, 0.2) * math.sqrt(2) if act else y


def _modconv(
    v: dict, scope: str, x: torch.Tensor, wlat: torch.Tensor, up: bool, demod: bool, noise: torch.Tensor | None
) -> torch.Tensor:
    """One sample: x [C, H, W], wlat [w_dim]."""
    kern = _t(v[f"{scope}/weight"])  # [kh, kw, in, out]
    mw = _t(v[f"{scope}/mod_weight"])  # [w_dim, in]
    s = wlat @ (mw / math.sqrt(mw.shape[0])) + _t(v[f"{scope}/mod_bias"]) + 1  # [in]
    kern = kern / math.sqrt(kern.shape[0] * kern.shape[1] * kern.shape[2])  # runtime He gain, as TF applies it
    ww = kern * s[None, None, :, None]
    if demod:
        ww = ww * torch.rsqrt((ww**2).sum(dim=(0, 1, 2)) + 1e-8)[None, None, None, :]
    k = ww.permute(3, 2, 0, 1)  # [out, in, kh, kw] for correlation
    if up:
        y = F.conv2d(F.pad(_zero_stuff(x)[None], [2, 2, 2, 2]), k)[0]  # [out, 2H+1, 2W+1]
        y = _fir(y, 1, 1, gain=4.0)
    else:
        p = k.shape[-1] // 2
        y = F.conv2d(x[None], k, padding=p)[0]
    if noise is not None:
        y = y + noise
    return y


def _layer(v: dict, scope: str, x, wlat, up: bool, noise_var: str | None, gain: float = 1.0) -> torch.Tensor:
    noise = _t(v[noise_var][0, 0]) * float(v[f"{scope}/noise_strength"]) if noise_var else None
    y = _modconv(v, scope, x, wlat, up, True, noise)
    y = y + _t(v[f"{scope}/bias"])[:, None, None]
    return F.leaky_relu(y, 0.2) * math.sqrt(2) * gain


def _torgb(v: dict, scope: str, x, wlat) -> torch.Tensor:
    return _modconv(v, scope, x, wlat, False, False, None) + _t(v[f"{scope}/bias"])[:, None, None]


def reference(v: dict, z: np.ndarray, c: np.ndarray | None, psi: float, architecture: str) -> list[torch.Tensor]:
    """Images [3, R, R] of each block (skip) or just the last, for each sample, from TF variables, float64."""
    zt = _t(z)
    n_dense = sum(1 for k in v if k.startswith("mapping/Dense") and k.endswith("/weight"))
    if "mapping/LabelEmbed/weight" in v:
        y = _dense(v, "mapping/LabelEmbed", _t(c), 1.0, False)
        norm = lambda a: a * torch.rsqrt((a**2).mean(dim=1, keepdim=True) + 1e-8)  # noqa: E731
        x = torch.cat([norm(zt), norm(y)], dim=1)
    elif "mapping/LabelConcat/weight" in v:
        x = torch.cat([zt, _t(c) @ _t(v["mapping/LabelConcat/weight"])], dim=1)
        x = x * torch.rsqrt((x**2).mean(dim=1, keepdim=True) + 1e-8)
    else:
        x = zt * torch.rsqrt((zt**2).mean(dim=1, keepdim=True) + 1e-8)
    for i in range(n_dense):
        x = _dense(v, f"mapping/Dense{i}", x, 0.01, True)
    w = _t(v["dlatent_avg"]) + psi * (x - _t(v["dlatent_avg"]))  # [B, w_dim], truncation on every layer
    res = max(int(k.split("/")[1].split("x")[0]) for k in v if k.startswith("synthesis/") and "x" in k.split("/")[1])
    out = []
    for b in range(z.shape[0]):
        wl = w[b]
        h = _t(v["synthesis/4x4/Const/const"][0])
        h = _layer(v, "synthesis/4x4/Conv", h, wl, False, "synthesis/noise0")
        imgs = []
        img = _torgb(v, "synthesis/4x4/ToRGB", h, wl) if architecture == "skip" or res == 4 else None
        imgs.append(img)
        r, n = 8, 1
        while r <= res:
            if architecture == "resnet":
                skip = _t(v[f"synthesis/{r}x{r}/Skip/weight"])  # [1, 1, in, out]
                t = _fir(_zero_stuff(h), 2, 2, gain=4.0)  # 2x FIR upsampling of the block input
                t = torch.einsum("chw,co->ohw", t, skip[0, 0] / math.sqrt(skip.shape[2])) * math.sqrt(0.5)
            y = _layer(v, f"synthesis/{r}x{r}/Conv0_up", h, wl, True, f"synthesis/noise{n}")
            y = _layer(v, f"synthesis/{r}x{r}/Conv1", y, wl, False, f"synthesis/noise{n + 1}",
                       gain=math.sqrt(0.5) if architecture == "resnet" else 1.0)  # fmt: skip
            h = t + y if architecture == "resnet" else y
            if architecture == "skip" or r == res:
                rgb = _torgb(v, f"synthesis/{r}x{r}/ToRGB", h, wl)
                img = rgb if img is None else _fir(_zero_stuff(img), 2, 2, gain=4.0) + rgb
            imgs.append(img)
            r, n = r * 2, n + 2
        out.append(imgs)
    return out


@pytest.mark.parametrize(
    ("architecture", "c_dim", "label"),
    [("skip", 0, "embed"), ("resnet", 0, "embed"), ("orig", 0, "embed"), ("skip", 3, "embed"), ("skip", 4, "concat")],
)
def test_tf_pickle_matches_reference(tmp_path, architecture, c_dim, label):
    v = tf_variables(resolution=16, z_dim=8, w_dim=8, c_dim=c_dim, architecture=architecture, label=label, seed=3)
    path = tmp_path / "model.pkl"
    write_tf_pickle(path, v, {"architecture": architecture, "label_size": c_dim})
    gen = load(str(path), device="cpu")
    assert (gen.z_dim, gen.c_dim, gen.resolution) == (8, c_dim, 16)
    z = np.random.RandomState(5).randn(2, 8)
    c = np.eye(max(c_dim, 1))[[0, c_dim - 1]][:, :c_dim] if c_dim else None
    ours = gen(torch.from_numpy(z), None if c is None else torch.from_numpy(c).float(), truncation=0.6)
    ref = reference(v, z, c, 0.6, architecture)
    expected = torch.stack([imgs[-1] for imgs in ref]).float()
    assert ours.shape == (2, 3, 16, 16)
    assert expected.abs().max() > 0.1  # a real picture, not zeros
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-4)


def test_reduced_resolution_equals_intermediate_block_image(tmp_path):
    v = tf_variables(resolution=32, z_dim=8, w_dim=8, seed=4)
    path = tmp_path / "model.pkl"
    write_tf_pickle(path, v)
    z = np.random.RandomState(9).randn(1, 8)
    ref = reference(v, z, None, 1.0, "skip")[0]  # images after blocks 4, 8, 16, 32
    for res, expected in zip((32, 16, 8), (ref[3], ref[2], ref[1]), strict=True):
        gen = load(str(path), device="cpu", model_resolution=res)
        assert gen.resolution == res
        out = gen(torch.from_numpy(z), None)
        assert out.shape == (1, 3, res, res)
        torch.testing.assert_close(out[0], expected.float(), rtol=1e-4, atol=1e-4)
    full = load(str(path), device="cpu")
    half = load(str(path), device="cpu", model_resolution=16)
    # the reduced network is the full one stopped early: same ws, same noise, bit-identical to block 16's image
    with torch.inference_mode():
        ws = full.mapping(torch.from_numpy(z), None)
        img16 = full.net.synthesis(ws, stop_at=16)
    assert torch.equal(half(torch.from_numpy(z), None), img16)


def test_noise_modes_and_truncation_cutoff(tmp_path):
    v = tf_variables(resolution=16, seed=6)
    path = tmp_path / "model.pkl"
    write_tf_pickle(path, v)
    gen = load(str(path), device="cpu")
    z = torch.from_numpy(np.random.RandomState(0).randn(1, 8))
    const = gen(z, None)
    assert torch.equal(const, gen(z, None))  # const noise: deterministic
    gen.noise_mode = "none"
    none = gen(z, None)
    v0 = dict(v)
    for k in v0:
        if k.endswith("noise_strength"):
            v0[k] = np.float32(0)
    ref_none = torch.stack([imgs[-1] for imgs in reference(v0, z.numpy(), None, 1.0, "skip")]).float()
    torch.testing.assert_close(none, ref_none, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(none, const)
    gen.noise_mode = "random"
    torch.manual_seed(1)
    r1 = gen(z, None)
    torch.manual_seed(2)
    assert not torch.allclose(r1, gen(z, None))
    # truncation cutoff: only the first rows of ws move toward w_avg
    gen.truncation_cutoff = 2
    ws = gen.mapping(z, None, truncation=0.5)
    gen.truncation_cutoff = None
    full = gen.mapping(z, None, truncation=1.0)
    w_avg = torch.from_numpy(v["dlatent_avg"])
    torch.testing.assert_close(ws[:, :2], w_avg + 0.5 * (full[:, :2] - w_avg))
    assert torch.equal(ws[:, 2:], full[:, 2:])
