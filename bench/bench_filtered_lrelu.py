"""Speed of StyleGAN3's filtered leaky ReLU in plain PyTorch: the shipped op against the alternatives.

    python -m bench.bench_filtered_lrelu [--out bench/results/filtered_lrelu-<machine>.json]

Cases are layer shapes of a 256 px StyleGAN3-T (channels, sizes 36..276 plus the conv's growth,
up 4 where the sampling rate doubles, 12/24-tap filters), batch 1. Compared: NVIDIA's reference
formulation (zero-stuffed image, full-rate separable FIR, then decimation), strided (transposed)
convolutions only, dense matrix products only, and the shipped op (matrix products on short axes,
strided convolutions on long ones). All must agree with the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch
import torch.nn.functional as F

from livedream.models.stylegan3 import ops
from livedream.models.stylegan3.ops import filtered_lrelu


def reference_style(x, fu, fd, b, up, down, pad, gain, slope, clamp):
    """Zero insertion, pad, full-rate separable FIR (as upfirdn2d's reference), lrelu, FIR, decimate."""
    n, c, h, w = x.shape
    y = (x + b.reshape(1, -1, 1, 1)).reshape(n * c, 1, h, w)
    y = F.pad(y.reshape(-1, 1, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(-1, 1, h * up, w * up)
    y = F.pad(y, list(pad))
    f = (fu * up).flip(0)
    y = F.conv2d(F.conv2d(y, f.reshape(1, 1, 1, -1)), f.reshape(1, 1, -1, 1))
    y = F.leaky_relu(y, slope).mul_(gain).clamp_(-clamp, clamp)
    g = fd.flip(0)
    y = F.conv2d(F.conv2d(y, g.reshape(1, 1, 1, -1)), g.reshape(1, 1, -1, 1))[:, :, ::down, ::down]
    return y.reshape(n, c, *y.shape[2:])


def _band(f, n_in, up, p0, p1, down=1):
    """The linear map of one axis as a dense [n_out, n_in] matrix: zero insertion, pad, convolve, decimate."""
    eye = torch.eye(n_in).reshape(n_in, 1, n_in, 1)
    k = f.shape[0]
    y = F.conv_transpose2d(eye, f.reshape(1, 1, k, 1), stride=(up, 1))
    y = F.pad(y, [0, 0, p0 - (k - 1), up + p1 - k])[:, 0, ::down, 0]  # [n_in, n_out]
    return y.T.contiguous()


def matmul_style(x, fu, fd, b, up, down, pad, gain, slope, clamp):
    """Each separable pass as a dense matrix product (BLAS) instead of a convolution."""
    n, c, h, w = x.shape
    uw, uh = _band(fu * up, w, up, pad[0], pad[1]), _band(fu * up, h, up, pad[2], pad[3])
    y = uh @ (x + b.reshape(1, -1, 1, 1)) @ uw.T  # [N, C, H', W']
    y = F.leaky_relu(y, slope).mul_(gain).clamp_(-clamp, clamp)
    dw, dh = _band(fd, y.shape[3], 1, 0, 0, down), _band(fd, y.shape[2], 1, 0, 0, down)
    return dh @ y @ dw.T


def conv_only(x, fu, fd, b, up, down, pad):
    """The shipped op with its matrix-product passes switched off: strided convolutions throughout."""
    saved = ops.MATMUL_UP_MAX, ops.MATMUL_DOWN_MAX
    ops.MATMUL_UP_MAX = ops.MATMUL_DOWN_MAX = 0
    try:
        return filtered_lrelu(x, fu, fd, b, up, down, pad, 2**0.5, 0.2, 256.0)
    finally:
        ops.MATMUL_UP_MAX, ops.MATMUL_DOWN_MAX = saved


def timeit(fns: dict, repeat: int) -> dict:
    """Best time of each function in ms, the functions taking turns (a shared, busy machine drifts)."""
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], 1e3 * (time.perf_counter() - t0))
    return best


def measure(ch: int, size: int, up: int, down: int, p0: int, p1: int, repeat: int) -> dict:
    """One layer shape: the agreement of every variant with the reference, and the median time of each."""
    x = torch.randn(1, ch, size, size)
    b = torch.randn(ch)
    fu, fd = torch.rand(6 * up), torch.rand(6 * down)
    fu, fd = fu / fu.sum(), fd / fd.sum()
    pad = (p0, p1, p0, p1)
    a = dict(x=x, fu=fu, fd=fd, b=b, up=up, down=down, pad=pad, gain=2**0.5, slope=0.2, clamp=256.0)
    ours = filtered_lrelu(x, fu, fd, b, up, down, pad, 2**0.5, 0.2, 256.0)
    ref = reference_style(**a)
    mm = matmul_style(**a)
    row = {
        "channels": ch,
        "size": size,
        "up": up,
        "out": list(ours.shape[2:]),
        "max_diff_vs_reference": float((ours - ref).abs().max()),
        "max_diff_matmul": float((mm - ref).abs().max()),
    }
    times = {
        "shipped_ms": lambda: filtered_lrelu(x, fu, fd, b, up, down, pad, 2**0.5, 0.2, 256.0),
        "reference_ms": lambda: reference_style(**a),
        "strided_conv_ms": lambda: conv_only(x, fu, fd, b, up, down, pad),
        "matmul_ms": lambda: matmul_style(**a),
    }
    row.update(timeit(times, repeat))
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    # (channels, in size, up, down, pad): layers of a 256 px stylegan3-t (sizes 36, 52, 84, 148, 276)
    cases = [
        (256, 38, 4, 2, (26, 25)),
        (256, 54, 2, 2, (12, 11)),
        (128, 86, 2, 2, (12, 11)),
        (64, 150, 2, 2, (12, 11)),
        (32, 278, 2, 2, (9, 8)),
    ]
    torch.manual_seed(0)
    rows = []
    for ch, size, up, down, (p0, p1) in cases:
        row = measure(ch, size, up, down, p0, p1, args.repeat)
        rows.append(row)
        print(json.dumps(row))
    result = dict(machine=platform.processor() or platform.machine(), threads=torch.get_num_threads(),
                  load_average=os.getloadavg(),
                  torch=torch.__version__, cases=rows)  # fmt: skip
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
