"""StyleGAN2Generator: the network behind livedream's Generator protocol (device, precision, resolution, noise)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from livedream.errors import LivedreamError
from livedream.models.directions import LatentDirections, random_w, sefa
from livedream.models.stylegan2.network import NOISE_MODES, StyleGAN2Network
from livedream.models.stylegan2.speed import GraphedCall, SpeedOptions

log = logging.getLogger(__name__)


class StyleGAN2Generator:
    """A loaded StyleGAN2 model; call it with z [B, z_dim] and c [B, c_dim] to get images [B, 3, H, W].

    model_resolution < the native resolution stops synthesis at that block (skip nets hold an image
    at every block). fp16 (default: on CUDA only) runs the blocks NVIDIA marks fp16 in half precision.
    speed: options that change how synthesis runs (channels-last, CUDA graphs, torch.compile), not what it computes.
    """

    def __init__(
        self,
        net: StyleGAN2Network,
        device: str | torch.device = "cpu",
        model_resolution: int | None = None,
        noise_mode: str = "const",
        truncation_cutoff: int | None = None,
        fp16: bool | None = None,
        name: str = "StyleGAN2",
        speed: SpeedOptions | None = None,
    ) -> None:
        cfg = net.cfg
        self.name = name
        self.device = torch.device(device)
        self.z_dim, self.c_dim = cfg.z_dim, cfg.c_dim
        self.native_resolution = cfg.img_resolution
        self.resolution = self._check_resolution(model_resolution, cfg.img_resolution, cfg.architecture)
        self.noise_mode = noise_mode
        self.truncation_cutoff = truncation_cutoff
        self.use_fp16 = self.device.type == "cuda" if fp16 is None else bool(fp16)
        if cfg.img_channels not in (1, 3):
            raise LivedreamError(f"{name}: models with {cfg.img_channels} colour channels are not supported (1 or 3)")
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.speed = speed or SpeedOptions()
        self.speed.check(self.device)
        self._synthesize: Callable[[torch.Tensor], torch.Tensor] = self._synthesis_eager
        if self.speed.compile_mode is not None:
            self._synthesize = torch.compile(self._synthesis_eager, mode=self.speed.compile_mode)
        self._graphed = GraphedCall(self._synthesize) if self.speed.cuda_graph else None
        self.directions = self._sefa()

    @staticmethod
    def _check_resolution(requested: int | None, native: int, architecture: str) -> int:
        if requested is None or requested == native:
            return native
        if requested < 4 or requested > native or requested & (requested - 1):
            raise LivedreamError(
                f"--model-resolution {requested} must be a power of two from 4 to the model's {native}"
            )
        if architecture != "skip":
            raise LivedreamError(
                f"--model-resolution needs a skip-architecture model; this one is {architecture!r} (no image before the last block)"
            )
        return requested

    @property
    def noise_mode(self) -> str:
        return self._noise_mode

    @noise_mode.setter
    def noise_mode(self, mode: str) -> None:
        if mode not in NOISE_MODES:
            raise LivedreamError(f"noise mode {mode!r} is not one of {', '.join(NOISE_MODES)}")
        self._noise_mode = mode

    @property
    def num_ws(self) -> int:
        return self.net.synthesis.num_ws

    def mapping(self, z: torch.Tensor, c: torch.Tensor | None, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] -> ws [B, num_ws, w_dim], truncated toward w_avg up to truncation_cutoff."""
        z = z.to(self.device, torch.float32)
        if c is None or self.c_dim == 0:
            c = torch.zeros([z.shape[0], self.c_dim], device=self.device)
        return self.net.mapping(z, c.to(self.device, torch.float32), psi=truncation, cutoff=self.truncation_cutoff)

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """ws [B, num_ws, w_dim] -> images [B, 3, R, R] float32, R = self.resolution."""
        if self._graphed is not None:
            return self._graphed(ws, key=self.noise_mode)
        return self._synthesize(ws)

    def _synthesis_eager(self, ws: torch.Tensor) -> torch.Tensor:
        img = self.net.synthesis(
            ws,
            noise_mode=self.noise_mode,
            stop_at=self.resolution,
            use_fp16=self.use_fp16,
            modconv=self.speed.modconv,
            channels_last=self.speed.channels_last,
        )
        if img.shape[1] == 1:
            img = img.repeat(1, 3, 1, 1)
        return img

    def __call__(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation: float = 1.0,
        directions: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim], directions [B, k] SeFa amounts (about -1..1) -> images [B, 3, R, R]."""
        with torch.inference_mode():
            ws = self.mapping(z, c, truncation)
            if directions is not None:
                ws = self.directions.apply(ws, directions.to(self.device, torch.float32))
            return self.synthesis(ws)

    @property
    def num_directions(self) -> int:
        return self.directions.count

    def _sefa(self, layers: int = 4) -> LatentDirections:
        """SeFa on the first `layers` convolutions' affine weights (in ws order); offsets move every ws row."""
        syn: Any = self.net.synthesis  # its blocks b4, b8, ... are set by name (setattr): no static attributes
        convs = [syn.b4.conv1]
        for r in syn.block_resolutions[1:]:
            convs += [getattr(syn, f"b{r}").conv0, getattr(syn, f"b{r}").conv1]
        directions = sefa([conv.affine.weight for conv in convs[:layers]], range(self.num_ws))
        directions.calibrate(random_w(self.net.mapping, self.z_dim, self.c_dim, self.device))
        return directions

    def estimate_w_avg(self, samples: int = 4096, seed: int = 0) -> None:
        """Set mapping.w_avg to the mean w over random z (for checkpoints that do not store it)."""
        rng = np.random.RandomState(seed)
        z = torch.from_numpy(rng.randn(samples, self.z_dim)).to(self.device, torch.float32)
        c = torch.zeros([samples, self.c_dim], device=self.device)
        with torch.inference_mode():
            w = self.net.mapping(z, c)[:, 0].mean(dim=0)  # [w_dim]
        self.net.mapping.w_avg.copy_(w)
        log.info("%s stores no average w; estimated it from %d samples", self.name, samples)
