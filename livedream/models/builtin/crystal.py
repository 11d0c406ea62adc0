"""The crystal family: faceted Voronoi cells with lead lines and glints, like stained glass or cut gemstones."""

from __future__ import annotations

import math

import torch

from livedream.models.builtin.common import (
    Z_DIM,
    Family,
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
BLOCKS = 32  # the candidate search runs on blocks of pixels, at least this many across ...
MAX_BLOCK = 8  # ... and at most this many pixels wide (a cell spans several blocks at any size)
FIELD = 1.7  # seeds live in [-FIELD, FIELD]^2 (reflected at the walls), wider than any rotated, zoomed view
DRIFT = 0.22  # seed displacement per unit of (truncated, normalised) z


class CrystalStyle(Family):
    """Voronoi cells whose seeds drift linearly with z (reflected at the field's walls).

    Each cell is lit as a shallow cone around its seed (facets that catch a light whose angle z
    turns), edged with dark lead lines of constant pixel width and a bright glint inside each edge;
    its colour is a level of the class's palette that z moves too. Small steps in z move the
    seeds a little: borders slide, nothing jumps. The nearest seeds are searched per block of up to
    8 x 8 pixels (a few candidates per block); distances, edges and light are exact at full
    resolution, so edges are sharp at any size. c blends the classes' palettes and zoom, and
    the facet and glint strengths (from each look's knobs).
    """

    def __init__(self, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu") -> None:
        super().__init__(resolution, device)
        gen = torch.Generator().manual_seed(int(seed) * 7919 + 101)
        self._base = (torch.rand(SEEDS, 2, generator=gen) * 2 - 1) * FIELD  # [K, 2]
        self._move = torch.randn(Z_DIM, SEEDS * 2, generator=gen)  # [Z, 2K]
        self._level = torch.rand(SEEDS, generator=gen) * 2  # [K]: each cell's place on the palette
        self._level_p = torch.randn(Z_DIM, SEEDS, generator=gen)  # [Z, K]
        self._global_p = torch.randn(Z_DIM, 3, generator=gen)  # [Z, 3]: rotation, zoom, light angle
        self._class_level = torch.rand(self.c_dim, SEEDS, generator=gen)  # [C, K]: classes rearrange colours
        # Per class: zoom (look.scale), facet depth (look.warp), glint (look.gloss).
        self._knobs = torch.tensor([[look.scale, look.warp, look.gloss] for look in LOOKS])  # [C, 3]
        # The canvas is n x n blocks of f x f pixels, centred on the output and cropped to it.
        f = max(2, min(MAX_BLOCK, self.resolution // BLOCKS))  # block width in pixels
        n = -(-self.resolution // f)
        off = (n * f - self.resolution) // 2
        px = 2.0 / self.resolution
        centres = ((torch.arange(n) * f + f / 2 - off) * px - 1).float()  # [n]
        yy, xx = torch.meshgrid(centres, centres, indexing="ij")
        self._coarse = torch.stack([xx, -yy]).reshape(2, -1)  # [2, n*n], y up
        o = ((torch.arange(f) + 0.5 - f / 2) * px).float()  # [f]
        oy, ox = torch.meshgrid(o, o, indexing="ij")
        self._offsets = torch.stack([ox, -oy]).reshape(2, -1)  # [2, f*f]: pixel centres about their block centre
        self._n, self._f, self._off = n, f, off
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

        angle = glob[:, 2] * 1.5 + 0.7
        light = torch.stack([torch.cos(angle), torch.sin(angle)], 1)  # [B, 2]

        # Coarse pass: the CANDIDATES nearest seeds of each block centre, and what the pixels need of them.
        n, f, k = self._n, self._f, CANDIDATES
        pc = rmat @ self._coarse  # [B, 2, n*n]
        d2c = torch.baddbmm(
            pc.square().sum(1, keepdim=True).transpose(1, 2) + seeds.square().sum(2)[:, None],
            pc.transpose(1, 2),
            seeds.transpose(1, 2),
            alpha=-2.0,
        )  # [B, n*n, K]: squared distances
        cand = d2c.topk(k, dim=2, largest=False).indices.transpose(1, 2).reshape(batch, k * n * n)  # [B, CAND*n*n]
        sxy = torch.stack([torch.gather(seeds[:, :, i], 1, cand) for i in range(2)], 1)  # [B, 2, CAND*n*n]
        u = pc.unsqueeze(2) - sxy.view(batch, 2, k, n * n)  # [B, 2, CAND, n*n]: block centre - seed
        sep_c = (u[:, :, :, None] - u[:, :, None, :]).square_().sum(1).sqrt_()  # [B, CAND, CAND, n*n]
        lit_c = torch.einsum("bi,bikn->bkn", light, u)  # [B, CAND, n*n]: (centre - seed) . light
        lvl_c = torch.gather(level, 1, cand).view(batch, k, n * n)  # [B, CAND, n*n]

        def blocks(x: torch.Tensor) -> torch.Tensor:  # [B, C, n*n] -> [B, C, n, f, n, f], a view
            return x.reshape(batch, -1, n, 1, n, 1).expand(batch, x.shape[1], n, f, n, f)

        # Full resolution: |pixel - seed|^2 = |u|^2 + 2 u.o + |o|^2 with o the pixel's offset in its block.
        o = (rmat @ self._offsets).view(batch, 2, 1, 1, f, 1, f)  # [B, 2, 1, 1, f, 1, f]
        uv = u.view(batch, 2, k, n, 1, n, 1)
        d2 = uv[:, 0].square() + uv[:, 1].square() + o.square().sum(1)  # [B, CAND, n, f, n, f]
        d2.addcmul_(uv[:, 0], o[:, 0], value=2.0).addcmul_(uv[:, 1], o[:, 1], value=2.0)
        d1sq, i1 = d2.min(dim=1, keepdim=True)  # [B, 1, n, f, n, f]
        d2sq, i2 = d2.scatter_(1, i1, float("inf")).min(dim=1, keepdim=True)
        sep = blocks(sep_c.reshape(batch, k * k, n * n)).gather(1, i1 * k + i2)  # [B, 1, ...]: seed spacing
        lit = blocks(lit_c).gather(1, i1).add_(torch.einsum("bi,bi...->b...", light, o[:, :, 0]).unsqueeze(1))
        lvl = blocks(lvl_c).gather(1, i1)  # [B, 1, n, f, n, f]
        crop = slice(self._off, self._off + res)

        def full(x: torch.Tensor) -> torch.Tensor:  # [B, 1, n, f, n, f] -> [B, HW], cropped to the output
            return x.reshape(batch, n * f, n * f)[:, crop, crop].reshape(batch, res * res)

        edge = full(d2sq.sub_(d1sq)).div_(full(sep).clamp(min=1e-4).mul_(2))  # [B, HW]: distance to the border
        d1 = full(d1sq).sqrt_().clamp_(min=1e-5)  # [B, HW]: distance to the seed
        lvl = full(lvl)

        # Light: a cone around each seed, facing the light (angle from z).
        cone = full(lit).div_(d1)  # [B, HW] in [-1, 1]
        reach = d1 / (d1 + edge)  # [B, HW]: 0 at the seed, 1 at the border
        slope = cone * reach  # facets brighten toward the lit side of each cell
        t = lvl + (0.22 * facet.clamp(0.3, 1.5))[:, None] * slope
        rgb = lookup(self.palettes.blend(w), t.view(batch, res, res).clamp_(0, 1))  # [B, 3, H, W]

        px = (2.0 / res) * zoom[:, None]  # [B, 1]: one pixel in field units
        lead = ((edge / px) - 0.6).clamp_(0, 1.5).div_(1.5)  # [B, HW]: 0 on the lead line, 1 two pixels in
        glint = torch.exp((edge / (px * -5.0)).clamp_(min=-20)) * (0.5 + 0.5 * cone).clamp(
            min=0
        )  # bright rim on the lit side
        shade = (0.62 + 0.38 * slope).mul_(lead)  # [B, HW]
        spec = glint.mul_((0.9 * gloss)[:, None]).mul_(lead)
        out = rgb.mul_(shade.view(batch, 1, res, res)).add_(spec.view(batch, 1, res, res))
        return out.mul_(2).sub_(1).clamp_(-1, 1)
