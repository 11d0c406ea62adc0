"""The marbling family (the default built-in style): marbled liquid light from (z, c), no weights."""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F

from livedream.models.builtin.common import RAMP_SIZE, Family, Palettes, check_inputs, class_weights
from livedream.models.builtin.looks import LOOKS

log = logging.getLogger(__name__)

Z_DIM = 128
WARP_LAYERS = 4
WARP_WAVES = 12  # sinusoids per warp layer
PHASE_SCALE = 0.35 * math.pi  # radians of wave phase per unit of z: a pulse of 0.5 moves the picture, random z differ
CLASS_PHASE = 1.0  # radians of wave phase that a class shifts: each class its own arrangement
LOW_FACTOR = 2  # the warp is computed at resolution / LOW_FACTOR ...
LOW_MAX = 128  # ... and at most this size: the swirls are smooth, detail comes from the full-resolution paint
# (at 540 px, 128 against 192 differs by 0.4 of a level on average and saves a quarter of the frame's time)
VEIN_SPACING = 0.4  # field units between veins (the field spans [-1.6, 1.6])
VEIN_WIDTH = 0.9  # vein half-width in output pixels
VEIN_DEPTH = 0.3  # how much a vein darkens


class BuiltinStyle(Family):
    """A GAN-like generator with no weights to download.

    The picture is a stack of curl-noise domain warps (smooth, divergence-free swirls, like marbled
    ink) applied to coordinates, then stripes of the warped coordinates mapped through a colour
    ramp and lit as a glossy surface. z sets the phases, orientation and strength of every warp
    (linearly, so small steps in z are small motions of the liquid); c blends per-class looks:
    colour ramp, rotational symmetry, zoom, swirl strength. The swirls are smooth, so the warp is
    computed at half the resolution (at most LOW_MAX) and upsampled; only the stripes, the
    one-pixel ink veins along the stripes' level sets and the lighting run at full resolution,
    which keeps a frame to a few milliseconds on a CPU and sharp at any size.
    """

    def __init__(self, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu") -> None:
        super().__init__(resolution, device)
        self.seed = int(seed)
        self._low = max(16, min(LOW_MAX, self.resolution // LOW_FACTOR))
        gen = torch.Generator().manual_seed(self.seed)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=gen, dtype=torch.float32)

        # Warp layers: wave vectors with growing frequency, curl amplitudes, and z -> phase projections.
        freqs, amps = [], []
        for layer in range(WARP_LAYERS):
            angle = torch.rand(WARP_WAVES, generator=gen) * 2 * math.pi
            mag = (1.6 + 1.4 * layer) * (0.7 + 0.6 * torch.rand(WARP_WAVES, generator=gen))  # [K]
            wave = torch.stack([mag * torch.cos(angle), mag * torch.sin(angle)], dim=1)  # [K, 2]
            amp = (0.75 * 0.62**layer) / (mag * math.sqrt(WARP_WAVES / 2))  # [K]: |displacement| ~ 0.75 * 0.62^l
            freqs.append(wave)
            amps.append(torch.stack([wave[:, 1], -wave[:, 0]]) * amp)  # [2, K]: the gradient turned 90 degrees
        self._warp_w = torch.stack(freqs)  # [L, K, 2]
        self._warp_v = torch.stack(amps)  # [L, 2, K]; a curl field has no divergence: swirls, no sinks
        self._warp_p = randn(Z_DIM, WARP_LAYERS * WARP_WAVES)  # [Z, L*K]
        self._warp_base = torch.rand(WARP_LAYERS * WARP_WAVES, generator=gen) * 2 * math.pi  # [L*K]
        self._class_phase = randn(self.c_dim, WARP_LAYERS * WARP_WAVES)  # [C, L*K]: each class its own arrangement
        # Stripes: two wave vectors whose phases follow z.
        angle = torch.rand(2, generator=gen) * math.pi
        self._stripe_w = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1) * torch.tensor([[4.2], [3.0]])
        self._stripe_p = randn(Z_DIM, 2)  # [Z, 2]
        self._global_p = randn(Z_DIM, 3)  # [Z, 3]: rotation, zoom, light angle
        # Per-class tables.
        self._knobs = torch.tensor(
            [[look.scale, look.warp, look.bands, look.gloss] for look in LOOKS], dtype=torch.float32
        )  # [C, 4]
        orders = sorted({look.symmetry for look in LOOKS} - {1})
        self._orders = orders
        self._folds = torch.tensor(
            [[look.fold if look.symmetry == k else 0.0 for k in orders] for look in LOOKS], dtype=torch.float32
        )  # [C, orders]
        grid = (torch.arange(self._low, dtype=torch.float32) + 0.5) / self._low * 2 - 1
        yy, xx = torch.meshgrid(grid, grid, indexing="ij")
        self._grid = torch.stack([xx, -yy]).reshape(2, -1)  # [2, N], y up
        for name in [n for n in vars(self) if n.startswith("_") and isinstance(getattr(self, n), torch.Tensor)]:
            setattr(self, name, getattr(self, name).to(self.device))
        self._palettes = Palettes(self.device)  # the classes' colour ramps, shared with the other families

    def class_weights(self, c: torch.Tensor) -> torch.Tensor:
        """A soft class mix [B, C] -> convex weights [B, C] that favour the strongest classes (see common)."""
        return class_weights(c)

    @torch.no_grad()
    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] (a soft class mix) -> images [B, 3, resolution, resolution] in [-1, 1]."""
        z, c = check_inputs(self, z, c)  # [B, Z], [B, C]
        batch = z.shape[0]
        w = self.class_weights(c)  # [B, C]
        scale, warp, bands, gloss = (w @ self._knobs).unbind(dim=1)  # each [B]
        psi = float(truncation)
        zs = z * (psi / math.sqrt(Z_DIM))  # [B, Z]: truncation pulls every phase toward the class's mean picture
        glob = zs @ self._global_p  # [B, 3], each ~N(0, psi^2)

        # Coordinates at low resolution: rotate and zoom, then fold into kaleidoscopic symmetry.
        rot = 0.8 * glob[:, 0]
        zoom = scale * torch.exp(0.25 * glob[:, 1])  # [B]
        cos, sin = torch.cos(rot) * zoom, torch.sin(rot) * zoom
        rmat = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # [B, 2, 2]
        p = self._symmetrise(rmat @ self._grid, w @ self._folds)  # [B, 2, N]

        # Curl-noise warps: each layer pushes the coordinates along the swirl of a sum of sinusoids.
        phase = self._warp_base + (w @ self._class_phase) * CLASS_PHASE + (zs @ self._warp_p) * PHASE_SCALE  # [B, L*K]
        phase = phase.view(batch, WARP_LAYERS, WARP_WAVES, 1)
        strength = (warp * (0.55 + 0.45 * min(psi, 2.0)))[:, None, None]  # [B, 1, 1]
        for layer in range(WARP_LAYERS):
            arg = torch.baddbmm(phase[:, layer], self._warp_w[layer].expand(batch, -1, -1), p).cos_()  # [B, K, N]
            p = torch.baddbmm(p, self._warp_v[layer] * strength, arg)  # [B, 2, N]

        # Upsample the warped coordinates (smooth) and paint at full resolution.
        q = p.view(batch, 2, self._low, self._low)  # [B, 2, n, n]
        q = F.interpolate(q, size=(self.resolution, self.resolution), mode="bilinear", align_corners=False)
        return self._paint(q, w, zs, bands, gloss, glob[:, 2])

    def _symmetrise(self, p: torch.Tensor, folds: torch.Tensor) -> torch.Tensor:
        """Fold p [B, 2, N] into kaleidoscopes (mirrored wedges), by fold amount per order [B, orders].

        The wedge angles of the orders in the mix are averaged (each is a continuous triangle wave
        of the angle) and the result blended with p by the total amount: a mix of classes is one
        continuous picture, and it costs one cos/sin pair whatever the mix.
        """
        total = folds.sum(dim=1)  # [B]
        if not bool((total > 1e-4).any()):
            return p
        theta = torch.atan2(p[:, 1], p[:, 0])  # [B, N]
        angle = torch.zeros_like(theta)
        share = folds / total.clamp(min=1e-4)[:, None]  # [B, orders]
        for j, k in enumerate(self._orders):
            if bool((share[:, j] > 1e-4).any()):
                seg = 2 * math.pi / k
                wedge = torch.remainder(theta, seg).sub_(seg / 2).abs_()  # [B, N] in [0, seg/2]
                angle.add_(wedge.mul_(share[:, j, None]))
        r = torch.hypot(p[:, 0], p[:, 1])  # [B, N]
        sym = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)  # [B, 2, N]
        return torch.lerp(p, sym, total.clamp(max=1)[:, None, None])

    def _paint(
        self,
        q: torch.Tensor,
        w: torch.Tensor,
        zs: torch.Tensor,
        bands: torch.Tensor,
        gloss: torch.Tensor,
        light: torch.Tensor,
    ) -> torch.Tensor:
        """Stripes of the warped coordinates q [B, 2, H, W] -> colour ramp -> glossy lighting -> [B, 3, H, W].

        Every step here runs once per output pixel, so it is a short list of fused, in-place tensor ops.
        """
        batch, _, res, _ = q.shape
        sw = self._stripe_w * bands[:, None, None]  # [B, 2 stripes, 2 coords]
        offs = (zs @ self._stripe_p) * PHASE_SCALE  # [B, 2]
        h = torch.baddbmm(offs[:, :, None], sw, q.reshape(batch, 2, res * res)).sin_()  # [B, 2, HW]
        field = torch.add(h[:, 0], h[:, 1], alpha=0.6).view(batch, res, res)  # [B, H, W] in [-1.6, 1.6]

        # Colour: quantise the field into the blended ramp (RAMP_SIZE levels: finer than 8-bit output).
        ramp = self._palettes.blend(w).mul_(2)  # [B, 3, R], x2 for the [-1, 1] output
        idx = field.mul(0.5 * (RAMP_SIZE - 1) / 1.6).add_(0.5 * RAMP_SIZE).clamp_(0, RAMP_SIZE - 1)
        idx = idx.to(torch.int32).view(batch, -1)  # [B, HW]
        # Pixels last (channels-last memory): the host's [H, W, 3] frames are then views, not a transposing copy.
        table = ramp.transpose(1, 2).contiguous()  # [B, R, 3]
        rgb = torch.empty(batch, res * res, 3, device=q.device)  # [B, HW, 3]
        for b in range(batch):
            torch.index_select(table[b], 0, idx[b], out=rgb[b])

        # Light the field as a glossy height map: diffuse shading plus a highlight.
        fp = F.pad(field.unsqueeze(1), (1, 1, 1, 1), mode="replicate")[:, 0]  # [B, H+2, W+2]
        dx = fp[:, 1:-1, 2:] - fp[:, 1:-1, :-2]  # [B, H, W]
        dy = fp[:, :-2, 1:-1] - fp[:, 2:, 1:-1]
        # Veins: thin ink lines along level sets of the field, one pixel wide at any resolution (the distance to
        # the nearest level is the field's offset over its gradient, as for a signed distance field).
        grad = torch.hypot(dx, dy).mul_(0.5 / VEIN_SPACING).clamp_(min=1e-4)  # [B, H, W]: levels per pixel
        level = field * (1.0 / VEIN_SPACING)
        vein = level.sub_(level.round()).abs_().div_(grad).mul_(1.0 / VEIN_WIDTH).clamp_(max=4).square_().neg_().exp_()
        vein.mul_((1.0 - grad.mul(2.0)).clamp_(0, 1))  # no veins where they would crowd under two pixels apart
        k = 1.7 * res / 256
        kx = (-k * torch.cos(light))[:, None, None]
        ky = (-k * torch.sin(light))[:, None, None]
        ndl = torch.addcmul(dx.mul_(kx).add_(0.7), dy, ky).clamp_(0, 1)  # [B, H, W]: n . l
        spec = ndl * ndl
        spec.mul_(spec).mul_(spec).mul_(spec).mul_((0.7 * gloss)[:, None, None]).sub_(1)  # 2 * gloss * ndl^16 - 1
        shade = ndl.mul_(0.45).add_(0.55).mul_(vein.mul_(-VEIN_DEPTH).add_(1.0))
        out = torch.addcmul(spec.view(batch, -1, 1), rgb, shade.view(batch, -1, 1)).clamp_(-1, 1)  # [B, HW, 3]
        return out.view(batch, res, res, 3).permute(0, 3, 1, 2)  # [B, 3, H, W], channels-last strides
