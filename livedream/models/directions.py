"""Latent directions in closed form (SeFa, Shen & Zhou 2021): the principal axes of the first style layers.

A style layer maps w to its modulation styles through an affine weight A [channels, w_dim]; the
directions along which w changes those styles most are the top eigenvectors of A^T A (rows of A
normalised, all chosen layers stacked). No sampling, no training: computed at load in milliseconds.
The offset moves w for every synthesis layer (StyleGAN3's input row, which only turns and shifts
the picture, is left to the camera), so each direction is a change of picture that stays inside the
distribution of w: a change of layout, shape or subject rather than a local edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

# How many directions a model exposes (direction_1 .. direction_8 in the parameter table).
NUM_DIRECTIONS = 8
# Amount 1 moves w this many standard deviations (of w along that direction, over random z).
DIRECTION_SIGMAS = 3.0


@dataclass
class LatentDirections:
    """k orthonormal directions in w [k, w_dim], the ws rows they act on, and w units per unit amount [k]."""

    vectors: torch.Tensor  # [k, w_dim]
    rows: list[int]
    scales: torch.Tensor  # [k]
    eigenvalues: torch.Tensor  # [k], descending

    @property
    def count(self) -> int:
        return int(self.vectors.shape[0])

    def calibrate(self, w: torch.Tensor) -> None:
        """Scale each direction by the spread of real w's along it: w [N, w_dim] from random z."""
        proj = (w.to(self.vectors) - w.mean(0, keepdim=True).to(self.vectors)) @ self.vectors.T  # [N, k]
        self.scales = DIRECTION_SIGMAS * proj.std(dim=0).clamp_min(1e-6)

    def apply(self, ws: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
        """ws [B, num_ws, w_dim] + sum_i amounts[:, i] * scale_i * d_i on self.rows; amounts [B, m], extra ones ignored."""
        k = min(self.count, amounts.shape[1])
        if k == 0 or not bool(amounts[:, :k].any()):
            return ws
        offset = (amounts[:, :k].to(ws) * self.scales[:k].to(ws)) @ self.vectors[:k].to(ws)  # [B, w_dim]
        ws = ws.clone()
        ws[:, self.rows] += offset.unsqueeze(1)
        return ws


def sefa(affine_weights: Sequence[torch.Tensor], rows: Sequence[int], count: int = NUM_DIRECTIONS) -> LatentDirections:
    """The top `count` eigenvectors of A^T A for the stacked, row-normalised affine weights [channels, w_dim].

    Each vector's sign is fixed (its largest component positive), so direction_1 = +1 means the
    same change on every machine and every load.
    """
    a = torch.cat([w.detach().to(torch.float64).cpu() for w in affine_weights], dim=0)  # [sum channels, w_dim]
    a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
    values, vectors = torch.linalg.eigh(a.T @ a)  # ascending; vectors in columns
    k = min(count, a.shape[1])
    values, vectors = values.flip(0)[:k], vectors.flip(1)[:, :k].T  # [k], [k, w_dim]
    peak = vectors.abs().argmax(dim=1)
    vectors = vectors * torch.sign(vectors[torch.arange(k), peak]).unsqueeze(1)
    device = affine_weights[0].device
    return LatentDirections(
        vectors=vectors.to(device, torch.float32),
        rows=list(rows),
        scales=torch.ones(k, device=device),
        eigenvalues=values.to(torch.float32),
    )


def random_w(
    mapping: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    z_dim: int,
    c_dim: int,
    device: torch.device,
    samples: int = 512,
    seed: int = 0,
) -> torch.Tensor:
    """w [samples, w_dim] of seeded random z (and random one-hot classes): what calibrate() measures."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn([samples, z_dim], generator=g).to(device)
    c = torch.zeros([samples, c_dim], device=device)
    if c_dim:
        c[torch.arange(samples, device=device), torch.randint(c_dim, [samples], generator=g).to(device)] = 1
    with torch.inference_mode():
        return mapping(z, c)[:, 0]
