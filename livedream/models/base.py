"""The generator protocol that every image source implements: built-in style, StyleGAN2, user callables."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch


@runtime_checkable
class Generator(Protocol):
    """A GAN-like image source.

    Called with z [B, z_dim] and c [B, c_dim] (float32 tensors on `device`) and a truncation,
    it returns images [B, 3, H, W] on `device`, float, nominally in [-1, 1] (StyleGAN's range;
    values outside are clipped on conversion). H = W = resolution.
    """

    z_dim: int
    c_dim: int
    resolution: int
    device: torch.device

    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor: ...


# Optional extras a generator may take as keywords, each announced by an attribute:
#   num_directions > 0  ->  directions [B, k], SeFa amounts about -1..1 (StyleGAN2/3)
#   has_camera = True   ->  camera [B, 3], translate x, y (image widths) and rotate (degrees) (StyleGAN3)
# Generators without them (the built-in style, user callables) are called with z, c, truncation only.


def control_kwargs(gen: Generator, directions: np.ndarray, camera: np.ndarray) -> dict[str, torch.Tensor]:
    """The extras gen takes, from directions [B, k] and camera [B, 3]; all-zero ones are left out (a no-op)."""
    kw: dict[str, torch.Tensor] = {}
    if getattr(gen, "num_directions", 0) and directions.any():
        kw["directions"] = torch.from_numpy(np.ascontiguousarray(directions, np.float32)).to(gen.device)
    if getattr(gen, "has_camera", False) and camera.any():
        kw["camera"] = torch.from_numpy(np.ascontiguousarray(camera, np.float32)).to(gen.device)
    return kw


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[B, 3, H, W] in [-1, 1] -> [B, H, W, 3] uint8 on the host, with NVIDIA's rounding convention.

    Images with channels-last strides (the built-in marbling's) keep them, so the final transpose is a view.
    """
    x = images.detach().mul(127.5).add_(128).clamp_(0, 255).to(torch.uint8)  # [B, 3, H, W]
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()
