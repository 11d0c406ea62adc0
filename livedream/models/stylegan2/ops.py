"""Tensor operations of StyleGAN2 in plain PyTorch: FIR resampling, bias+activation, modulated convolution."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F


def make_filter(taps: Sequence[float] | Sequence[Sequence[float]] | torch.Tensor) -> torch.Tensor:
    """A 2-D FIR filter that sums to 1 from 1-D taps (outer product) or from a 2-D array.

    StyleGAN2 resamples with the binomial [1, 3, 3, 1] filter; models may store another one.
    """
    f = torch.as_tensor(taps, dtype=torch.float32)
    if f.ndim == 1:
        f = f[:, None] * f[None, :]  # [k, k]
    if f.ndim != 2:
        raise ValueError(f"resample filter must be 1-D or 2-D, got shape {tuple(f.shape)}")
    return f / f.sum()


def upfirdn2d(
    x: torch.Tensor, f: torch.Tensor, up: int = 1, pad: tuple[int, int, int, int] = (0, 0, 0, 0), gain: float = 1.0
) -> torch.Tensor:
    """Upsample by zero insertion, pad (x0, x1, y0, y1; negative crops), then convolve with the FIR filter f.

    x [B, C, H, W] -> [B, C, H*up + y0 + y1 - fh + 1, W*up + x0 + x1 - fw + 1].
    The filter is applied as a true convolution (flipped); StyleGAN's filters are symmetric.
    """
    b, c, h, w = x.shape
    if up > 1:
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])  # [B, C, H, up, W, up]
        x = x.reshape(b, c, h * up, w * up)
    px0, px1, py0, py1 = pad
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]
    k = (f * gain).flip([0, 1]).to(x.dtype)  # [fh, fw]
    k = k[None, None].repeat(c, 1, 1, 1)  # [C, 1, fh, fw]
    return F.conv2d(x, k, groups=c)


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    """Upsample by `up` with the FIR filter, keeping the image centred: [B, C, H, W] -> [B, C, H*up, W*up]."""
    fw = f.shape[-1]
    p0 = (fw + up - 1) // 2
    p1 = (fw - up) // 2
    return upfirdn2d(x, f, up=up, pad=(p0, p1, p0, p1), gain=up * up)


def bias_act(
    x: torch.Tensor, bias: torch.Tensor | None, act: str = "linear", gain: float = 1.0, clamp: float | None = None
) -> torch.Tensor:
    """x + bias, then leaky ReLU (slope 0.2) or identity, times gain, clamped to +-clamp when clamp is set.

    The clamp keeps fp16 activations finite; the gain keeps the signal's variance (sqrt(2) for lrelu).
    """
    if bias is not None:
        x = x + bias.to(x.dtype).reshape([1, -1] + [1] * (x.ndim - 2))
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
    elif act != "linear":
        raise ValueError(f"unknown activation {act!r}")
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Scale each row to unit mean square (StyleGAN's 'pixel norm' of z): [B, N] -> [B, N]."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def _conv(x: torch.Tensor, w: torch.Tensor, f: torch.Tensor | None, up: int, padding: int, groups: int) -> torch.Tensor:
    """Convolution (cross-correlation, like TensorFlow's) or 2x upsampling convolution with FIR smoothing.

    For up > 1 the stored weight follows PyTorch's transposed-convolution orientation (NVIDIA's and
    rosinality's PyTorch layouts; TF weights are flipped on load). w: [O, I/groups, k, k].
    """
    if up == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)
    assert f is not None  # modulated_conv2d makes one whenever up > 1
    k = w.shape[-1]
    if k == 1:  # mix channels first, then upsample: cheaper, and rounds like NVIDIA's conv2d_resample
        return upsample2d(F.conv2d(x, w, groups=groups), f, up)
    o = w.shape[0] // groups
    wt = w.reshape(groups, o, -1, k, k).transpose(1, 2).reshape(-1, o, k, k)  # [I, O/groups, k, k]
    x = F.conv_transpose2d(x, wt, stride=up, groups=groups)  # [B, O, (H-1)*up + k, ...]
    p = (f.shape[-1] - up) - (k - 1)
    p0, p1 = (p + 1) // 2 + up - 1, p // 2 + 1
    return upfirdn2d(x, f, pad=(p0, p1, p0, p1), gain=up * up)


def _layout(w: torch.Tensor, channels_last: bool) -> torch.Tensor:
    return w.contiguous(memory_format=torch.channels_last) if channels_last else w


def modulated_conv2d(
    x: torch.Tensor,  # [B, I, H, W]
    weight: torch.Tensor,  # [O, I, k, k]
    styles: torch.Tensor,  # [B, I]
    noise: torch.Tensor | None = None,  # [B or 1, 1, H', W'] added after the convolution
    up: int = 1,
    f: torch.Tensor | None = None,
    demodulate: bool = True,
    fused: bool = True,
    channels_last: bool = False,
) -> torch.Tensor:
    """StyleGAN2's weight modulation and demodulation (Karras et al. 2020, eq. 1-3).

    Fused: one grouped convolution with per-sample weights (fast at batch 1, exact in fp32).
    Unfused: scale activations instead of weights (used for fp16 batches, as NVIDIA does).
    In fp16, weight and styles are pre-scaled by their max-norm so the products stay finite.
    channels_last runs the convolution on NHWC maps and weights (tensor-core friendly on CUDA).
    """
    batch = x.shape[0]
    if channels_last:  # the FIR resampling after an up-convolution hands back NCHW maps
        x = x.contiguous(memory_format=torch.channels_last)
    out_ch, in_ch, kh, kw = weight.shape
    padding = kw // 2
    if f is None and up > 1:  # only upsampling filters: a host-to-device copy here would sync every call
        f = make_filter([1, 3, 3, 1]).to(x.device)
    if x.dtype == torch.float16 and demodulate:
        weight = weight * (1 / math.sqrt(in_ch * kh * kw) / weight.norm(float("inf"), dim=[1, 2, 3], keepdim=True))
        styles = styles / styles.norm(float("inf"), dim=1, keepdim=True)

    w = None
    dcoefs = None
    if demodulate or fused:
        w = weight.unsqueeze(0) * styles.reshape(batch, 1, -1, 1, 1)  # [B, O, I, k, k]
    if demodulate:
        assert w is not None  # set just above
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # [B, O]

    if not fused:
        x = x * styles.to(x.dtype).reshape(batch, -1, 1, 1)
        x = _conv(x, _layout(weight.to(x.dtype), channels_last), f, up, padding, groups=1)
        if dcoefs is not None and noise is not None:  # dcoefs is set exactly when demodulate
            return torch.addcmul(noise.to(x.dtype), x, dcoefs.to(x.dtype).reshape(batch, -1, 1, 1))
        if dcoefs is not None:
            x = x * dcoefs.to(x.dtype).reshape(batch, -1, 1, 1)
        elif noise is not None:
            x = x + noise.to(x.dtype)
        return x

    assert w is not None  # fused: set above
    if dcoefs is not None:
        w = w * dcoefs.reshape(batch, -1, 1, 1, 1)
    x = x.reshape(1, -1, *x.shape[2:])  # [1, B*I, H, W]
    w = _layout(w.reshape(-1, in_ch, kh, kw).to(x.dtype), channels_last)  # [B*O, I, k, k]
    x = _conv(x, w, f, up, padding, groups=batch)
    x = x.reshape(batch, -1, *x.shape[2:])  # [B, O, H', W']
    if noise is not None:
        x = x + noise.to(x.dtype)
    return x
