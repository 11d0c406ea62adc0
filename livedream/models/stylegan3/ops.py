"""StyleGAN3's tensor operations in plain PyTorch: modulated convolution and the filtered leaky ReLU.

The filtered leaky ReLU (Karras et al. 2021, section 3.2) upsamples by zero insertion and a low-pass
FIR filter, applies the leaky ReLU at the higher rate, then low-passes and decimates. Here each
separable filter pass is one strided (transposed) convolution over all channels at once, or, on
short axes, one matrix product, so only the output samples are ever computed: no zero-stuffed image
and no full-rate filtering before decimation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def modulated_conv2d(
    x: torch.Tensor,  # [B, I, H, W]
    weight: torch.Tensor,  # [O, I, k, k]
    styles: torch.Tensor,  # [B, I]
    padding: int,
    demodulate: bool,
    input_gain: torch.Tensor | None = None,  # [], the input's magnitude correction
) -> torch.Tensor:
    """StyleGAN3's modulated convolution: weight and styles pre-normalised, demodulated, one grouped conv.

    The styles are normalised per sample (NVIDIA normalises over the whole batch; demodulation makes
    the two agree up to its 1e-8, and per sample keeps a frame independent of its batch-mates).
    Returns [B, O, H + 2p - k + 1, W + 2p - k + 1] in x's dtype.
    """
    batch = x.shape[0]
    out_ch, in_ch, kh, kw = weight.shape
    w = weight
    s = styles
    if demodulate:
        w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
        s = s * s.square().mean(dim=1, keepdim=True).rsqrt()
    w = w.unsqueeze(0) * s.reshape(batch, 1, in_ch, 1, 1)  # [B, O, I, k, k]
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # [B, O]
        w = w * dcoefs.reshape(batch, out_ch, 1, 1, 1)
    if input_gain is not None:
        w = w * input_gain
    w = w.to(x.dtype)
    if kh == kw == 1 and padding == 0:  # StyleGAN3-R: a per-sample channel mix, one batched matrix product
        return torch.bmm(w.reshape(batch, out_ch, in_ch), x.reshape(batch, in_ch, -1)).reshape(
            batch, out_ch, *x.shape[2:]
        )
    if x.device.type == "cpu" and batch > 1:  # grouped convolutions are slow on the CPU; one per sample is not
        return torch.cat([F.conv2d(x[b : b + 1], w[b], padding=padding) for b in range(batch)])
    x = x.reshape(1, batch * in_ch, *x.shape[2:])  # [1, B*I, H, W]
    x = F.conv2d(x, w.reshape(batch * out_ch, in_ch, kh, kw), padding=padding, groups=batch)
    return x.reshape(batch, out_ch, *x.shape[2:])


def _up_pass(x: torch.Tensor, f: torch.Tensor, up: int, p0: int, p1: int, dim: int) -> torch.Tensor:
    """Along dim (2: rows, 3: columns) of x [B, C, H, W]: zero insertion by `up`, pad (p0, p1), convolve with f.

    A depthwise transposed convolution of stride `up` computes the zero-stuffed convolution directly;
    the crop (or zero pad) afterwards lines it up with the padded 'valid' convolution of upfirdn2d.
    """
    k, ch = f.shape[0], x.shape[1]
    shape, stride = ((k, 1), (up, 1)) if dim == 2 else ((1, k), (1, up))
    y = F.conv_transpose2d(x, f.reshape(1, 1, *shape).expand(ch, 1, *shape), stride=stride, groups=ch)
    crop = [p0 - (k - 1), up + p1 - k]
    return F.pad(y, [0, 0, *crop] if dim == 2 else crop)


# Up to these axis lengths a pass is cheaper as a dense matrix product (BLAS) than as a strided
# convolution over one channel; beyond them the O(n) convolution wins (bench/bench_filtered_lrelu.py).
MATMUL_UP_MAX = 96
MATMUL_DOWN_MAX = 192


def _band(f: torch.Tensor, n_out: int, n_in: int, start: int, a: int, b: int) -> torch.Tensor:
    """Matrix [n_out, n_in] with M[j, i] = f[start + a * j - b * i] where that index is inside f, else 0."""
    k = f.shape[0]
    j = torch.arange(n_out, device=f.device)[:, None]
    i = torch.arange(n_in, device=f.device)[None, :]
    t = start + a * j - b * i
    return torch.where((t >= 0) & (t < k), f[t.clamp(0, k - 1)], torch.zeros((), dtype=f.dtype, device=f.device))


def _up_matrix(f: torch.Tensor, n: int, up: int, p0: int, p1: int) -> torch.Tensor:
    """The up pass along an axis of length n as a matrix: out[j] = sum_i x[i] f[j + k - 1 - p0 - up * i]."""
    k = f.shape[0]
    return _band(f, n * up + p0 + p1 - k + 1, n, k - 1 - p0, 1, up)


def _down_matrix(f: torch.Tensor, n: int, down: int) -> torch.Tensor:
    """Valid convolution with f, keeping every down-th output: out[j] = sum_i x[i] f[k - 1 + down * j - i]."""
    k = f.shape[0]
    return _band(f, (n - k) // down + 1, n, k - 1, down, 1)


def filtered_lrelu(
    x: torch.Tensor,  # [B, C, H, W]
    fu: torch.Tensor | None,  # [k] separable up filter, or None (identity)
    fd: torch.Tensor | None,  # [k] separable or [k, k] radial down filter, or None
    bias: torch.Tensor,  # [C]
    up: int,
    down: int,
    padding: tuple[int, int, int, int],  # (x0, x1, y0, y1) on the upsampled image; negative crops
    gain: float,
    slope: float,
    clamp: float | None,
    cache: dict | None = None,
) -> torch.Tensor:
    """bias, up (zero insertion, pad, fu * up per axis), leaky ReLU * gain, clamp, fd, keep every down-th sample.

    The same sequence as NVIDIA's reference implementation, as a true convolution with the filters;
    computed in float32 whatever x's dtype (NVIDIA's CUDA kernel also filters in float32), returned in
    x's dtype. cache (a dict the caller keeps per layer) holds the band matrices between calls.
    Output [B, C, (H*up + x0 + x1 - |fu| - |fd| + 2 + down - 1) // down, likewise for H].
    """
    dtype = x.dtype
    batch, ch, h, w = x.shape
    px0, px1, py0, py1 = padding
    y = x.to(torch.float32) + bias.to(torch.float32).reshape(1, -1, 1, 1)  # [B, C, H, W]
    if fu is None:  # identity filter: padding (or cropping) only, after any zero insertion
        if up > 1:
            y = F.pad(y.reshape(batch, ch, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(batch, ch, h * up, w * up)
        y = F.pad(y, [px0, px1, py0, py1])
    elif max(h, w) <= MATMUL_UP_MAX:
        key = ("up", h, w, y.device)
        if cache is None or key not in cache:
            fu = fu.to(torch.float32) * up  # gain up**2 over two separable passes
            bands = _up_matrix(fu, h, up, py0, py1), _up_matrix(fu, w, up, px0, px1).T.contiguous()
            if cache is not None:
                cache[key] = bands
        else:
            bands = cache[key]
        y = bands[0] @ y @ bands[1]
    else:
        fu = fu.to(torch.float32) * up
        y = _up_pass(y, fu, up, px0, px1, dim=3)  # columns first, as NVIDIA's reference does
        y = _up_pass(y, fu, up, py0, py1, dim=2)
    if slope != 1:
        y = F.leaky_relu(y, slope, inplace=True)
    if gain != 1:
        y = y.mul_(gain)
    if clamp is not None:
        y = y.clamp_(-clamp, clamp)
    if fd is None:
        if down > 1:
            y = y[:, :, ::down, ::down]
    elif fd.ndim == 1 and max(y.shape[2:]) <= MATMUL_DOWN_MAX:
        key = ("down", *y.shape[2:], y.device)
        if cache is None or key not in cache:
            fdf = fd.to(torch.float32)
            bands = _down_matrix(fdf, y.shape[2], down), _down_matrix(fdf, y.shape[3], down).T.contiguous()
            if cache is not None:
                cache[key] = bands
        else:
            bands = cache[key]
        y = bands[0] @ y @ bands[1]
    elif fd.ndim == 1:
        k = fd.shape[0]
        fdf = fd.to(torch.float32).flip(0)  # a true convolution, as upfirdn2d's default
        y = F.conv2d(y, fdf.reshape(1, 1, 1, k).expand(ch, 1, 1, k), stride=(1, down), groups=ch)
        y = F.conv2d(y, fdf.reshape(1, 1, k, 1).expand(ch, 1, k, 1), stride=(down, 1), groups=ch)
    else:
        k = fd.shape[0]
        kern = fd.to(torch.float32).flip([0, 1]).reshape(1, 1, k, k).expand(ch, 1, k, k)
        y = F.conv2d(y, kern, stride=down, groups=ch)
    return y.to(dtype)
