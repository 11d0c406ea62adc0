"""The filament family: thin glowing threads along the streamlines of a curl-noise flow, on a dark ground."""

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
    random_waves,
    rotation,
    to_device,
    upsample,
)
from livedream.models.builtin.looks import LOOKS

COARSE = 4  # the smooth fields are evaluated at resolution / COARSE and upsampled
STRANDS = 2  # layers of threads, each its own stream function and colour
WAVES = 10  # sinusoids per stream function
WARP_WAVES = 8  # sinusoids in the curl warp that bends every layer
LINES = 7.0  # threads per unit of stream function (times the look's bands)
WIDTH = 0.8  # thread core half-width in output pixels
PHASE_SCALE = 0.35 * math.pi  # radians of wave phase per unit of z


class FilamentStyle(Family):
    """Contour lines of stream functions: for a 2D divergence-free flow they are its streamlines.

    Each layer is a sum of sinusoids of curl-warped coordinates (its phases linear in z, so the
    threads flow and slide as z moves). The stream function, its gradient's length, the thread
    colours and a brightness that fades threads in and out along their length are smooth, so
    they are computed at a quarter of the resolution and upsampled; the threads are drawn at
    full resolution as a distance (value over gradient, like a signed distance field) turned
    into a core of constant pixel width and a soft glow: sharp at any size. c blends palettes,
    zoom, warp, thread density and glow.
    """

    def __init__(self, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu") -> None:
        super().__init__(resolution, device)
        gen = torch.Generator().manual_seed(int(seed) * 6007 + 202)
        self._warp_w = random_waves(gen, WARP_WAVES, 1.2, 2.6)  # [Kw, 2]
        amp = 0.55 / (self._warp_w.norm(dim=1) * math.sqrt(WARP_WAVES / 2))  # [Kw]
        self._warp_v = torch.stack([self._warp_w[:, 1], -self._warp_w[:, 0]]) * amp  # [2, Kw]: curl of the waves
        self._psi_w = torch.cat([random_waves(gen, WAVES, 1.0, 3.2) for _ in range(STRANDS)])  # [S*K, 2]
        self._psi_a = (0.5 + torch.rand(STRANDS * WAVES, generator=gen)) / math.sqrt(WAVES / 2)  # [S*K]
        self._fade_w = random_waves(gen, STRANDS * 3, 2.5, 5.0)  # [S*3, 2]: along-thread fading
        n_phase = WARP_WAVES + STRANDS * WAVES + STRANDS * 3  # warp, stream functions, fading
        self._n_warp, self._n_psi = WARP_WAVES, STRANDS * WAVES
        self._phase_p = torch.randn(Z_DIM, n_phase, generator=gen)  # [Z, P]
        self._phase_base = torch.rand(n_phase, generator=gen) * 2 * math.pi  # [P]
        self._class_phase = torch.randn(self.c_dim, n_phase, generator=gen)  # [C, P]
        self._global_p = torch.randn(Z_DIM, 4, generator=gen)  # [Z, 4]: rotation, zoom, colour drift x2
        self._knobs = torch.tensor([[look.scale, look.warp, look.bands, look.gloss] for look in LOOKS])  # [C, 4]
        self._n = max(8, -(-self.resolution // COARSE))
        self._grid = grid(self._n)  # [2, n*n]
        self.palettes = Palettes(self.device)
        to_device(self, self.device)

    @torch.no_grad()
    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] (a soft class mix) -> images [B, 3, resolution, resolution] in [-1, 1]."""
        z, c = check_inputs(self, z, c)
        batch, res, n = z.shape[0], self.resolution, self._n
        w = class_weights(c)  # [B, C]
        scale, warp, bands, glow = (w @ self._knobs).unbind(dim=1)  # each [B]
        psi_t = float(truncation)
        zs = z * (psi_t / math.sqrt(Z_DIM))  # [B, Z]
        glob = zs @ self._global_p  # [B, 4]
        zoom = 1.1 * scale * torch.exp(0.2 * glob[:, 1])  # [B]
        phase = self._phase_base + w @ self._class_phase + (zs @ self._phase_p) * PHASE_SCALE  # [B, P]
        pw, pp, pf = phase.split([self._n_warp, self._n_psi, phase.shape[1] - self._n_warp - self._n_psi], dim=1)

        # Coarse fields: warped coordinates, then each layer's stream function and its gradient's length.
        p = rotation(0.6 * glob[:, 0], zoom) @ self._grid  # [B, 2, N]
        arg = torch.baddbmm(pw[:, :, None], self._warp_w.expand(batch, -1, -1), p).cos_()  # [B, Kw, N]
        q = torch.baddbmm(p, self._warp_v * (warp * (0.5 + 0.5 * min(psi_t, 2.0)))[:, None, None], arg)  # [B, 2, N]
        s = torch.baddbmm(pp[:, :, None], self._psi_w.expand(batch, -1, -1), q)  # [B, S*K, N]
        psi = (s.sin() * self._psi_a[:, None]).view(batch, STRANDS, WAVES, -1).sum(dim=2)  # [B, S, N]
        fade = torch.baddbmm(pf[:, :, None], self._fade_w.expand(batch, -1, -1), q).sin_()  # [B, S*3, N]
        fade = fade.view(batch, STRANDS, 3, -1).mean(dim=2).mul_(1.6).add_(0.6).clamp_(0, 1)  # [B, S, N]
        lines = LINES * bands  # [B]
        psi = psi.view(batch, STRANDS, n, n) * lines[:, None, None, None]  # [B, S, n, n] in thread units
        gy, gx = torch.gradient(psi, dim=(2, 3))  # per coarse pixel
        gpx = torch.hypot(gx, gy).div_(COARSE * n / res).clamp_(min=1e-3)  # [B, S, n, n]: thread units per pixel

        # Colour levels, also smooth: each layer a band of the palette that drifts with z; a dark ground.
        level = (0.55 + 0.3 * torch.tanh(glob[:, 2:4]))[:, :, None] + 0.25 * (fade - 0.5)  # [B, S, N]
        ground = 0.12 * fade[:, :1] + 0.02  # [B, 1, N]
        # Where threads crowd closer than a few pixels they would merge into a flat glare: dim them there.
        room = gpx.reciprocal().sub_(1.8).div_(2.7).clamp_(0, 1)  # [B, S, n, n]: 0 at 1.8 px apart, 1 from 4.5 px
        amp = fade.view(batch, STRANDS, n, n) * room * 1.2  # [B, S, n, n]
        fields = torch.cat([psi, gpx, amp, level.view(batch, STRANDS, n, n), ground.view(batch, 1, n, n)], dim=1)
        up = upsample(fields, res)  # [B, 4S + 1, H, W]
        psi, gpx, amp, level = (
            up[:, :STRANDS],
            up[:, STRANDS : 2 * STRANDS],
            up[:, 2 * STRANDS : 3 * STRANDS],
            up[:, 3 * STRANDS :],
        )

        # Full resolution: distance to the nearest thread in pixels -> core plus glow.
        # Clamped far from a thread: exp() of a large negative number is a slow denormal on CPUs, and 0 anyway.
        dist = psi.sub(psi.round()).abs_().div_(gpx).clamp_(max=40.0)  # [B, S, H, W] pixels
        core = dist.mul(1.0 / WIDTH).clamp_(max=4).square_().neg_().exp_()  # [B, S, H, W]
        halo = dist.mul_(-1.0 / 6.0).exp_().mul_((0.35 * glow)[:, None, None, None])
        bright = core.add_(halo).mul_(amp)  # [B, S, H, W]
        ramp = self.palettes.blend(w)  # [B, 3, R]
        out = lookup(ramp, level[:, STRANDS]).mul_(0.6)  # [B, 3, H, W]: the ground
        for i in range(STRANDS):
            out.addcmul_(lookup(ramp, level[:, i]), bright[:, i : i + 1])
        return out.mul_(2).sub_(1).clamp_(-1, 1)
