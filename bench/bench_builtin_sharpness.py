"""Sharpness of each built-in family at 1080: a native render against a 540 render upscaled (bilinear, bicubic).

step_p999: the 99.9th percentile of the luma step between horizontal neighbours (sharp edges make big steps);
mad_vs_native: mean absolute luma difference from the native frame.

    .venv/bin/python -m bench.bench_builtin_sharpness       # -> bench/results/builtin-sharpness.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from livedream.models import builtin
from livedream.models.base import to_uint8

LUMA = np.array([0.299, 0.587, 0.114])


def luma(images: torch.Tensor) -> np.ndarray:
    return to_uint8(images)[0].astype(float) @ LUMA  # [H, W]


def stats(image: torch.Tensor, native: np.ndarray) -> dict:
    y = luma(image)
    return {
        "step_p999": round(float(np.percentile(np.abs(np.diff(y, axis=1)), 99.9)), 1),
        "mad_vs_native": round(float(np.abs(y - native).mean()), 2),
    }


def main() -> None:
    torch.set_num_threads(2)
    rows = {}
    z = torch.randn(1, 128, generator=torch.Generator().manual_seed(1))
    c = torch.eye(16)[[4]]
    for name in builtin.names():
        full = builtin.make(name, resolution=1080)(z, c)  # [1, 3, 1080, 1080]
        half = builtin.make(name, resolution=540)(z, c)
        native = luma(full)
        rows[name] = {
            "native_1080": stats(full, native),
            "540_bilinear": stats(F.interpolate(half, size=(1080, 1080), mode="bilinear"), native),
            "540_bicubic": stats(F.interpolate(half, size=(1080, 1080), mode="bicubic").clamp(-1, 1), native),
        }
        print(name, rows[name], flush=True)
    out = Path(__file__).parent / "results" / "builtin-sharpness.json"
    result = {"what": __doc__.splitlines()[0], "frame": "z seed 1, class 4, one frame per family", "rows": rows}
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
