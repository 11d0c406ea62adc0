"""The crystal family: faceted Voronoi cells with lead lines and glints, like stained glass or cut gemstones."""

from __future__ import annotations

import math

import torch

from livedream.models.builtin.common import (
    Z_DIM,
    Palettes,
    check_inputs,
    class_weights,
    lookup,
    rotation,
    to_device,
    tri,
)
from livedream.models.builtin.looks import LOOKS

SEEDS = 120  # cell centres over the seed field
CANDIDATES = 4  # nearest seeds kept per coarse block: the full-resolution pass only measures these
COARSE = 8  # the candidate search runs at resolution / COARSE
FIELD = 1.7  # seeds live in [-FIELD, FIELD]^2 (reflected at the walls), wider than any rotated, zoomed view
DRIFT = 0.22  # seed displacement per unit of (truncated, normalised) z


class CrystalStyle:
    """Voronoi cells whose seeds drift linearly with z (reflected at the field's walls).

    Each cell is lit as a shallow cone around its seed (facets that catch a light whose angle z
    turns), edged with dark lead lines of constant pixel width and a bright glint inside each edge;
    its colour is a level of the class's palette that z moves too. Small steps in z move the
    seeds a little: borders slide, nothing jumps. The nearest seeds are searched at an eighth
    of the resolution (a few candidates per block); distances, edges and light are exact at full
    resolution, so edges are sharp at any size. c blends the classes' palettes and zoom, and
    the facet and glint strengths (from each look's knobs).
    """

    def __init__(self, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu") -> None:
        if resolution < 16:
            raise ValueError(f"resolution must be at least 16, got {resolution}")
        self.z_dim = Z_DIM
        self.c_dim = len(LOOKS)
        self.resolution = int(resolution)
        self.device = torch.device(device)
        gen = torch.Generator().manual_seed(int(seed) * 7919 + 101)
        self._base = (torch.rand(SEEDS, 2, generator=gen) * 2 - 1) * FIELD  # [K, 2]
        self._move = torch.randn(Z_DIM, SEEDS * 2, generator=gen)  # [Z, 2K]
        self._level = torch.rand(SEEDS, generator=gen) * 2  # [K]: each cell's place on the palette
        self._level_p = torch.randn(Z_DIM, SEEDS, generator=gen)  # [Z, K]
        self._global_p = torch.randn(Z_DIM, 3, generator=gen)  # [Z, 3]: rotation, zoom, light angle
        self._class_level = torch.rand(self.c_dim, SEEDS, generator=gen)  # [C, K]: classes rearrange colours
        # Per class: zoom (look.scale), facet depth (look.warp), glint (look.gloss).
        self._knobs = torch.tensor([[look.scale, look.warp, look.gloss] for look in LOOKS])  # [C, 3]
        # The canvas is n x n blocks of COARSE x COARSE pixels, centred on the output and cropped to it.
        n = -(-self.resolution // COARSE)
        off = (n * COARSE - self.resolution) // 2
        px = 2.0 / self.resolution
        centres = ((torch.arange(n) * COARSE + COARSE / 2 - off) * px - 1).float()  # [n]
        yy, xx = torch.meshgrid(centres, centres, indexing="ij")
        self._coarse = torch.stack([xx, -yy]).reshape(2, -1)  # [2, n*n], y up
        o = ((torch.arange(COARSE) + 0.5 - COARSE / 2) * px).float()  # [f]
        oy, ox = torch.meshgrid(o, o, indexing="ij")
        self._offsets = torch.stack([ox, -oy]).reshape(2, -1)  # [2, f*f]: pixel centres about their block centre
        self._n, self._off = n, off
        self.palettes = Palettes(self.device)
        to_device(self, self.device)

    @torch.no_grad()
    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] (a soft class mix) -> images [B, 3, resolution, resolution] in [-1, 1]."""
        z, c = check_inputs(self, z, c)
        batch, res = z.shape[0], self.resolution
        w = class_weights(c)  # [B, C]
        zoom, facet, gloss = (w @ self._knobs).unbind(dim=1)  # each [B]
        zs = z * (float(truncation) / math.sqrt(Z_DIM))  # [B, Z]
        glob = zs @ self._global_p  # [B, 3]
        zoom = 0.85 * zoom.clamp(0.5, 1.3) * torch.exp(0.15 * glob[:, 1])  # [B]
        rmat = rotation(0.5 * glob[:, 0], zoom)  # [B, 2, 2]

        seeds = self._base + DRIFT * (zs @ self._move).view(batch, SEEDS, 2)  # [B, K, 2]
        seeds = tri((seeds + FIELD) / (2 * FIELD)).mul_(2 * FIELD).sub_(FIELD)  # reflected into the field
        level = tri(self._level + 0.35 * (w @ self._class_level) + 0.3 * (zs @ self._level_p))  # [B, K] in 0..1

        # Coarse pass: the CANDIDATES nearest seeds of each block centre, and the vectors to them.
        n, f, k = self._n, COARSE, CANDIDATES
        pc = rmat @ self._coarse  # [B, 2, n*n]
        cand = torch.cdist(pc.transpose(1, 2), seeds).topk(k, dim=2, largest=False).indices  # [B, n*n, CAND]
        cand = cand.transpose(1, 2).reshape(batch, k * n * n)  # [B, CAND*n*n]
        sxy = torch.stack([torch.gather(seeds[:, :, i], 1, cand) for i in range(2)], 1)  # [B, 2, CAND*n*n]
        u = (pc.unsqueeze(2) - sxy.view(batch, 2, k, n * n)).view(batch, 2, k, n, 1, n, 1)  # [B, 2, CAND, n,1,n,1]
        lvl_c = torch.gather(level, 1, cand).view(batch, k, n, 1, n, 1)  # [B, CAND, n, 1, n, 1]

        # Full resolution: pixel - seed for each candidate, as the block's vector plus the pixel's offset.
        o = (rmat @ self._offsets).view(batch, 2, 1, 1, f, 1, f)  # [B, 2, 1, 1, f, 1, f]
        v = u + o  # [B, 2, CAND, n, f, n, f]
        d2 = v.square().sum(dim=1)  # [B, CAND, n, f, n, f]
        d1sq, i1 = d2.min(dim=1, keepdim=True)  # [B, 1, ...]
        d2sq, i2 = d2.scatter(1, i1, float("inf")).min(dim=1, keepdim=True)
        v1 = v.gather(2, i1.unsqueeze(1).expand(batch, 2, 1, n, f, n, f))  # [B, 2, 1, n, f, n, f]
        v2 = v.gather(2, i2.unsqueeze(1).expand(batch, 2, 1, n, f, n, f))
        lvl = lvl_c.expand(batch, k, n, f, n, f).gather(1, i1)  # [B, 1, n, f, n, f]
        crop = slice(self._off, self._off + res)

        def full(x: torch.Tensor) -> torch.Tensor:  # [B, ..., n, f, n, f] -> [B, HW], cropped to the output
            return x.reshape(batch, n * f, n * f)[:, crop, crop].reshape(batch, res * res)

        gx1, gy1 = full(v1[:, 0]), full(v1[:, 1])  # [B, HW]: pixel - nearest seed
        sep = full((v1 - v2).square_().sum(dim=1).sqrt_())  # [B, HW]: distance between the two seeds
        edge = full(d2sq - d1sq).div_(sep.clamp_(min=1e-4).mul_(2))  # [B, HW]: distance to the cell border
        d1sq, lvl = full(d1sq), full(lvl)

        # Light: a cone around each seed, facing the light (angle from z).
        d1 = d1sq.sqrt().clamp_(min=1e-5)
        angle = glob[:, 2] * 1.5 + 0.7
        lx, ly = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
        cone = (gx1 * lx + gy1 * ly).div_(d1)  # [B, HW] in [-1, 1]
        reach = d1 / (d1 + edge)  # [B, HW]: 0 at the seed, 1 at the border
        slope = cone * reach  # facets brighten toward the lit side of each cell
        t = lvl + (0.22 * facet.clamp(0.3, 1.5))[:, None] * slope
        rgb = lookup(self.palettes.blend(w), t.view(batch, res, res).clamp_(0, 1))  # [B, 3, H, W]

        px = (2.0 / res) * zoom[:, None]  # [B, 1]: one pixel in field units
        lead = ((edge / px) - 0.6).clamp_(0, 1.5).div_(1.5)  # [B, HW]: 0 on the lead line, 1 two pixels in
        glint = torch.exp(-(edge / (px * 5.0))) * (0.5 + 0.5 * cone).clamp(min=0)  # bright rim on the lit side
        shade = (0.62 + 0.38 * slope).mul_(lead)  # [B, HW]
        spec = glint.mul_((0.9 * gloss)[:, None]).mul_(lead)
        out = rgb.mul_(shade.view(batch, 1, res, res)).add_(spec.view(batch, 1, res, res))
        return out.mul_(2).sub_(1).clamp_(-1, 1)
