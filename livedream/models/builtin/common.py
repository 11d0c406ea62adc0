"""What every built-in family shares: input checks, the class mix, the blended palettes, pixel grids, ramp lookup."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from livedream.models.builtin.looks import LOOKS, ramp_table

Z_DIM = 128
RAMP_SIZE = 1024
SHARPEN = 2.0  # exponent on class weights: the leading classes set the look


class Family:
    """The fields every built-in family has, as the generator interface names them (z_dim, c_dim, resolution, device).

    A family's constructor calls this first, then builds its own seeded tables.
    """

    def __init__(self, resolution: int, device: str | torch.device) -> None:
        if resolution < 16:
            raise ValueError(f"resolution must be at least 16, got {resolution}")
        self.z_dim = Z_DIM
        self.c_dim = len(LOOKS)
        self.resolution = int(resolution)
        self.device = torch.device(device)


def check_inputs(gen, z: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """z [B, z_dim] and c [B, c_dim] (or empty: class 0) as float32 on gen.device; wrong shapes are refused."""
    z = z.to(gen.device, torch.float32)  # [B, Z]
    if z.ndim != 2 or z.shape[1] != gen.z_dim:
        raise ValueError(f"z must be [B, {gen.z_dim}], got {list(z.shape)}")
    batch = z.shape[0]
    if c.numel() == 0:  # a caller with no classes: the default look
        c = torch.zeros(batch, gen.c_dim)
    c = c.to(gen.device, torch.float32)
    if c.shape != (batch, gen.c_dim):
        raise ValueError(f"c must be [{batch}, {gen.c_dim}], got {list(c.shape)}")
    return z, c


def class_weights(c: torch.Tensor) -> torch.Tensor:
    """A soft class mix [B, C] -> convex weights [B, C] that favour the strongest classes.

    Negatives are dropped, sums above 1 normalised, and what is missing from 1 goes to class 0
    (so an all-zero c is class 0, continuously). Then the weights are sharpened (w^2,
    renormalised): a chroma-driven mix of twelve classes still shows its leading one or two
    looks instead of an average of all of them, which is grey; near-equal classes still blend.
    """
    w = c.clamp(min=0)  # [B, C]
    total = w.sum(dim=1, keepdim=True)  # [B, 1]
    w = w / total.clamp(min=1.0)
    w[:, 0] += (1 - total[:, 0]).clamp(min=0)
    w = w.pow(SHARPEN)
    return w / w.sum(dim=1, keepdim=True)


class Palettes:
    """The classes' colour ramps, blended by a class mix without drifting to grey."""

    def __init__(self, device: torch.device) -> None:
        self.ramps = torch.stack([ramp_table(look, RAMP_SIZE) for look in LOOKS]).transpose(1, 2).to(device)  # [C,3,R]
        shown = self.ramps.sqrt()  # [C, 3, R] display space
        self.chroma = (shown - shown.mean(dim=1, keepdim=True)).norm(dim=1)  # [C, R]: colourfulness per level

    def blend(self, w: torch.Tensor) -> torch.Tensor:
        """The weighted mix of the class ramps, in display space [B, 3, R], as colourful as its parts.

        Averaging colours of different hues drifts toward grey; the mix's distance from grey is
        restored to the weighted average of the parts' (at most x2.5, where hues nearly cancel).
        """
        ramp = torch.einsum("bc,ckr->bkr", w, self.ramps).sqrt_()  # [B, 3, R]
        grey = ramp.mean(dim=1, keepdim=True)  # [B, 1, R]
        tint = ramp - grey
        target = w @ self.chroma  # [B, R]
        gain = (target / tint.norm(dim=1).clamp(min=1e-4)).clamp(max=2.5)  # [B, R]
        return tint.mul_(gain[:, None]).add_(grey).clamp_(0, 1)


def lookup(ramp: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Colours of levels t [B, H, W] (0..1, clamped) in ramps [B, 3, R] -> [B, 3, H, W]."""
    batch, height, width = t.shape
    size = ramp.shape[2]
    idx = t.mul(size - 1).add_(0.5).clamp_(0, size - 1).to(torch.int32).view(batch, -1)  # [B, HW]
    rgb = torch.empty(batch, 3, height, width, device=t.device)
    for b in range(batch):
        torch.index_select(ramp[b], 1, idx[b], out=rgb[b].view(3, -1))
    return rgb


def grid(n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Pixel centres of an n x n image in [-1, 1]^2, y up, flattened row-major: [2, n*n]."""
    g = (torch.arange(n, dtype=torch.float32) + 0.5) / n * 2 - 1
    yy, xx = torch.meshgrid(g, g, indexing="ij")
    return torch.stack([xx, -yy]).reshape(2, -1).to(device)


def rotation(angle: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Rotation by angle [B] times scale [B] -> [B, 2, 2]."""
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    return torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)


def upsample(x: torch.Tensor, size: int) -> torch.Tensor:
    """A smooth field [B, K, n, n] -> [B, K, size, size], bilinear (the field is smooth at the low scale)."""
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def random_waves(gen: torch.Generator, count: int, lo: float, hi: float) -> torch.Tensor:
    """count wave vectors [count, 2] in random directions with magnitudes in [lo, hi] (radians per unit)."""
    angle = torch.rand(count, generator=gen) * 2 * math.pi
    mag = lo + (hi - lo) * torch.rand(count, generator=gen)
    return torch.stack([mag * torch.cos(angle), mag * torch.sin(angle)], dim=1)


def tri(x: torch.Tensor) -> torch.Tensor:
    """A triangle wave of period 2 with values in [0, 1] (continuous: folds a line into a segment)."""
    return torch.remainder(x, 2.0).sub_(1.0).abs_().neg_().add_(1.0)


def to_device(obj, device: torch.device) -> None:
    """Move every tensor attribute of obj whose name starts with '_' to device."""
    for name, value in list(vars(obj).items()):
        if name.startswith("_") and isinstance(value, torch.Tensor):
            setattr(obj, name, value.to(device))
