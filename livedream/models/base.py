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


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[B, 3, H, W] in [-1, 1] -> [B, H, W, 3] uint8 on the host, with NVIDIA's rounding convention."""
    x = (images.detach() * 127.5 + 128).clamp(0, 255).to(torch.uint8)  # [B, 3, H, W]
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()
