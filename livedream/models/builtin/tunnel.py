"""The tunnel family: a kaleidoscopic tunnel of tiles and neon rings that z flies through and turns."""

from __future__ import annotations

import math

import torch

from livedream.models.builtin.common import (
    Z_DIM,
    Family,
    Palettes,
    check_inputs,
    class_weights,
    grid,
    lookup,
    to_device,
)
from livedream.models.builtin.looks import LOOKS

FOLDS = 6  # mirrored wedges around the axis
RING_WIDTH = 0.9  # ring core half-width in output pixels
TAU = 2 * math.pi


class TunnelStyle(Family):
    """Polar coordinates folded into FOLDS mirrored wedges (u, continuous across the folds) and depth 1/r (v).

    A sum of three waves in (u, v) makes tiles whose edges are anti-aliased to one pixel (the
    pattern's rate of change per pixel is known in closed form from r), and the depth gives neon
    rings of constant pixel width; the far end fades into fog where the pattern would be finer
    than a pixel. z moves the camera along the tunnel (travel), turns and twists it and shifts
    the tiles' phases, all linearly; c blends palettes, ring spacing, twist, tile frequency and
    ring glow. Every step is a cheap per-pixel operation on precomputed geometry, done at full
    resolution, so edges are sharp at any size.
    """

    def __init__(self, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu") -> None:
        super().__init__(resolution, device)
        gen = torch.Generator().manual_seed(int(seed) * 4001 + 303)
        self._global_p = torch.randn(Z_DIM, 8, generator=gen)  # [Z, 8]: travel, turn, twist, 3 phases, 2 colour
        self._class_p = torch.randn(self.c_dim, 8, generator=gen) * 0.5  # [C, 8]: each class its own arrangement
        self._knobs = torch.tensor([[look.scale, look.warp, look.bands, look.gloss] for look in LOOKS])  # [C, 4]
        p = grid(self.resolution)  # [2, HW]
        r = torch.hypot(p[0], p[1]).clamp_(min=1e-3)  # [HW]
        self._theta = torch.atan2(p[1], p[0]) * (FOLDS / math.pi)  # [HW]: FOLDS periods of a period-2 triangle
        self._depth = 0.35 / r  # [HW]
        px = 2.0 / self.resolution
        self._ddepth = self._depth / r * px  # [HW]: depth change per pixel
        self._dangle = (FOLDS / math.pi) / r * px  # [HW]: folded angle change per pixel
        self._fog = (1 - torch.exp(-((r / 0.28) ** 2))) * (1 + 0.25 * (1 - r.clamp(max=1.4)))  # [HW]: dark far end
        self.palettes = Palettes(self.device)
        to_device(self, self.device)

    @torch.no_grad()
    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] (a soft class mix) -> images [B, 3, resolution, resolution] in [-1, 1]."""
        z, c = check_inputs(self, z, c)
        batch, res = z.shape[0], self.resolution
        w = class_weights(c)  # [B, C]
        spacing, twist_k, freq, glow = (w @ self._knobs).unbind(dim=1)  # each [B]
        zs = z * (float(truncation) / math.sqrt(Z_DIM))  # [B, Z]
        g = zs @ self._global_p + w @ self._class_p  # [B, 8]
        col = lambda x: x[:, None]  # noqa: E731  [B] -> [B, 1], broadcast over pixels

        # Coordinates: v along the tunnel (travel from z), u across it (folded, turned and twisted with depth).
        rings = 3.2 / spacing.clamp(0.5, 1.5)  # [B]: rings per unit of depth
        v = torch.addcmul(col(0.9 * g[:, 0]), col(rings), self._depth)  # [B, HW]
        twist = 0.6 * twist_k * torch.tanh(g[:, 2])  # [B]
        u = self._theta + col(0.8 * g[:, 1]) + col(twist * FOLDS / math.pi) * self._depth  # [B, HW]
        u = torch.remainder(u, 2.0).sub_(1.0).abs_()  # [B, HW]: mirrored wedges, 0..1, continuous

        # Tiles: three waves in (u, v); their rate per pixel (for one-pixel anti-aliasing) from the geometry.
        m = torch.round(1.0 + 1.5 * freq.clamp(0.5, 2.0))  # [B]: whole petals per wedge keep the folds seamless
        arg_a = (TAU * 0.5) * v + col(g[:, 3])
        arg_b = torch.addcmul(col(g[:, 4]), u, col(TAU * m)).add_(v, alpha=-TAU * 0.25)
        arg_d = (u + v).mul_(TAU).add_(col(g[:, 5]))
        pattern = arg_a.cos().add_(arg_b.cos()).add_(arg_d.cos(), alpha=0.5)  # [B, HW] in [-2.5, 2.5]
        sa, sb, sd = arg_a.sin_(), arg_b.sin_(), arg_d.sin_()
        # Its gradient in pixels (v runs along r, u across it: orthogonal), for edges exactly one pixel wide.
        dv = (sb * 0.25).sub_(sa, alpha=0.5).sub_(sd, alpha=0.5).mul_(col(TAU * rings) * self._ddepth)
        du = (sb * col(m)).add_(sd, alpha=0.5).mul_(self._dangle * -TAU)
        edge_px = pattern / torch.hypot(dv, du).clamp_(min=1e-4)  # [B, HW]: signed distance to a tile edge, pixels
        rate = (col(rings * 1.1) * self._ddepth).add_(col(m * 1.2) * self._dangle).mul_(TAU)  # [B, HW] per pixel
        detail = (1.6 - rate).clamp_(0, 1)  # fades the tiles out where they are finer than a pixel
        outline = edge_px.mul(1.0 / RING_WIDTH).clamp_(-4, 4).square_().neg_().exp_().mul_(detail)  # neon tile outlines
        tile = edge_px.clamp_(-0.5, 0.5)  # [B, HW]: a hard edge, one pixel wide

        # Neon rings at whole depths: distance to the nearest ring in pixels -> a thin bright core.
        ring_px = (v - v.round()).abs_().div_(col(rings) * self._ddepth)
        ring = ring_px.mul_(1.0 / RING_WIDTH).clamp_(max=4).square_().neg_().exp_().mul_(detail)  # [B, HW]

        # Colour: the two tile faces at different palette levels that drift along the tunnel.
        drift = 0.12 * torch.sin(TAU * 0.25 * v + col(g[:, 6]))
        level = tile.mul(detail).mul_(0.5).add_(0.5 + 0.08 * torch.tanh(g[:, 7])[:, None]).add_(drift)
        rgb = lookup(self.palettes.blend(w), level.view(batch, res, res))  # [B, 3, H, W]
        shade = (0.72 + 0.28 * pattern.clamp(-1, 1).mul_(detail)).mul_(self._fog)  # relief inside the tiles
        out = rgb.mul_(shade.view(batch, 1, res, res))
        neon = ring.mul_(col(0.9 * glow.clamp(0.3, 1.0))).add_(outline, alpha=0.35).mul_(self._fog)
        out.add_(neon.view(batch, 1, res, res))
        return out.mul_(2).sub_(1).clamp_(-1, 1)
