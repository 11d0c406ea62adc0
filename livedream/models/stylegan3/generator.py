"""StyleGAN3Generator: the network behind livedream's Generator protocol (device, precision, camera, directions)."""

from __future__ import annotations

import logging

import torch

from livedream.models.directions import LatentDirections, random_w, sefa
from livedream.models.stylegan3.network import StyleGAN3Network, camera_transform

log = logging.getLogger(__name__)

# SeFa reads the modulation weights of this many synthesis layers after the input (the coarse ones);
# the offsets then move w for every layer, so a direction is a change of picture, not a local edit.
DIRECTION_LAYERS = 4


class StyleGAN3Generator:
    """A loaded StyleGAN3 (config T or R) model; call it with z [B, z_dim] and c [B, c_dim] -> images [B, 3, R, R].

    camera [B, 3] (translate x, translate y in image widths, rotation in degrees) moves the input
    Fourier features as gen_images.py's --translate/--rotate do: a true camera move, the picture
    slides or turns instead of morphing. directions [B, k] (-1..1) add SeFa directions in w.
    fp16 (default: on CUDA only, as NVIDIA) runs the layers NVIDIA marks fp16 in half precision.
    """

    has_camera = True

    def __init__(
        self, net: StyleGAN3Network, device: str | torch.device = "cpu", fp16: bool | None = None, name: str = "SG3"
    ) -> None:
        cfg = net.cfg
        self.name = name
        self.device = torch.device(device)
        self.z_dim, self.c_dim = cfg.z_dim, cfg.c_dim
        self.resolution = self.native_resolution = cfg.img_resolution
        self.truncation_cutoff: int | None = None
        self.noise_mode = "const"  # StyleGAN3 has no noise inputs; kept so `still --noise-mode` applies uniformly
        self.use_fp16 = self.device.type == "cuda" if fp16 is None else bool(fp16)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.img_channels = cfg.img_channels
        layers = [getattr(self.net.synthesis, n) for n in self.net.synthesis.layer_names[:DIRECTION_LAYERS]]
        rows = list(range(1, self.num_ws))  # ws row 0 turns and shifts the input: the camera's, not a direction's
        self.directions: LatentDirections = sefa([layer.affine.weight for layer in layers], rows)
        self.directions.calibrate(random_w(self.net.mapping, self.z_dim, self.c_dim, self.device))

    @property
    def num_ws(self) -> int:
        return self.net.synthesis.num_ws

    @property
    def num_directions(self) -> int:
        return self.directions.count

    def mapping(self, z: torch.Tensor, c: torch.Tensor | None, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] -> ws [B, num_ws, w_dim], truncated toward w_avg up to truncation_cutoff."""
        z = z.to(self.device, torch.float32)
        if c is None or self.c_dim == 0:
            c = torch.zeros([z.shape[0], self.c_dim], device=self.device)
        return self.net.mapping(z, c.to(self.device, torch.float32), psi=truncation, cutoff=self.truncation_cutoff)

    def synthesis(self, ws: torch.Tensor, camera: torch.Tensor | None = None) -> torch.Tensor:
        """ws [B, num_ws, w_dim], camera [B, 3] or None -> images [B, 3, R, R] float32."""
        transform = None if camera is None else camera_transform(camera.to(self.device))
        img = self.net.synthesis(ws, transform=transform, use_fp16=self.use_fp16)
        if img.shape[1] == 1:
            img = img.repeat(1, 3, 1, 1)
        return img[:, :3]

    def __call__(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation: float = 1.0,
        directions: torch.Tensor | None = None,
        camera: torch.Tensor | None = None,
    ) -> torch.Tensor:
        with torch.inference_mode():
            ws = self.mapping(z, c, truncation)
            if directions is not None:
                ws = self.directions.apply(ws, directions.to(self.device, torch.float32))
            return self.synthesis(ws, camera)
