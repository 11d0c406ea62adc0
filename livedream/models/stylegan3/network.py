"""StyleGAN3's mapping and synthesis networks as torch modules, named like NVIDIA's PyTorch state dicts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from livedream.models.stylegan2.network import FullyConnected
from livedream.models.stylegan2.ops import normalize_2nd_moment
from livedream.models.stylegan3.ops import filtered_lrelu, modulated_conv2d


@dataclass(frozen=True)
class LayerSpec:
    """One synthesis layer as NVIDIA's pickle describes it (sizes are (width, height))."""

    name: str
    in_channels: int
    out_channels: int
    in_size: tuple[int, int]
    out_size: tuple[int, int]
    conv_kernel: int
    up: int
    down: int
    padding: tuple[int, int, int, int]  # x0, x1, y0, y1 on the upsampled image
    up_taps: int  # 1: no filter
    down_taps: int
    down_radial: bool  # a [k, k] jinc filter instead of a separable [k] one
    is_torgb: bool
    use_fp16: bool
    conv_clamp: float | None


@dataclass(frozen=True)
class StyleGAN3Config:
    """Everything needed to build the network; layout.py reads it off the pickle and checks it."""

    z_dim: int
    c_dim: int
    w_dim: int
    img_resolution: int
    img_channels: int
    mapping_layers: int
    mapping_lr_mul: float
    input_channels: int
    input_size: tuple[int, int]
    sampling_rate: float
    bandwidth: float
    layers: tuple[LayerSpec, ...]
    output_scale: float = 0.25

    @property
    def num_ws(self) -> int:
        return len(self.layers) + 1

    @property
    def config_name(self) -> str:
        """'T' (3x3 convolutions) or 'R' (1x1 convolutions, radial filters), as NVIDIA names them."""
        return "R" if all(s.conv_kernel == 1 for s in self.layers) else "T"


class MappingNetwork(nn.Module):
    """z (and class c) -> w [B, num_ws, w_dim], optionally truncated toward the stored average w."""

    w_avg: torch.Tensor  # buffers (register_buffer), declared for the type checker

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.num_ws, self.num_layers = cfg.z_dim, cfg.c_dim, cfg.num_ws, cfg.mapping_layers
        if cfg.c_dim:
            self.embed = FullyConnected(cfg.c_dim, cfg.w_dim)
        features = cfg.z_dim + (cfg.w_dim if cfg.c_dim else 0)
        for i in range(cfg.mapping_layers):
            setattr(self, f"fc{i}", FullyConnected(features, cfg.w_dim, "lrelu", lr_mul=cfg.mapping_lr_mul))
            features = cfg.w_dim
        self.register_buffer("w_avg", torch.zeros([cfg.w_dim]))

    def forward(self, z: torch.Tensor, c: torch.Tensor, psi: float = 1.0, cutoff: int | None = None) -> torch.Tensor:
        x = normalize_2nd_moment(z.to(torch.float32))  # [B, z_dim]
        if self.c_dim:
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))  # [B, w_dim]
            x = torch.cat([x, y], dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)  # [B, num_ws, w_dim]
        if psi != 1:
            n = self.num_ws if cutoff is None else cutoff
            x[:, :n] = self.w_avg.lerp(x[:, :n], psi)
        return x


def camera_transform(camera: torch.Tensor) -> torch.Tensor:
    """[B, 3] (translate x, translate y, rotate in degrees) -> the inverse transforms [B, 3, 3] NVIDIA's input takes.

    gen_images.py builds m = [[cos, sin, tx], [-sin, cos, ty], [0, 0, 1]] and stores inv(m); the
    inverse of a rotation and translation is [R^T, -R^T t], written out here in float64.
    """
    cam = camera.to(torch.float64)
    a = cam[:, 2] * (math.pi / 180)
    cos, sin, tx, ty = torch.cos(a), torch.sin(a), cam[:, 0], cam[:, 1]
    m = torch.zeros([cam.shape[0], 3, 3], dtype=torch.float64, device=camera.device)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, -sin, sin, cos
    m[:, 0, 2] = -(cos * tx - sin * ty)
    m[:, 1, 2] = -(sin * tx + cos * ty)
    m[:, 2, 2] = 1
    return m.to(torch.float32)


class SynthesisInput(nn.Module):
    """Fourier features at random frequencies, rotated and translated by w's affine and the camera."""

    transform: torch.Tensor  # buffers (register_buffer), declared for the type checker
    freqs: torch.Tensor
    phases: torch.Tensor

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        ch = cfg.input_channels
        self.size, self.sampling_rate, self.bandwidth = cfg.input_size, cfg.sampling_rate, cfg.bandwidth
        self.weight = nn.Parameter(torch.zeros([ch, ch]))
        self.affine = FullyConnected(cfg.w_dim, 4)
        self.register_buffer("transform", torch.eye(3, 3))
        self.register_buffer("freqs", torch.zeros([ch, 2]))
        self.register_buffer("phases", torch.zeros([ch]))

    def forward(self, w: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        """w [B, w_dim], transform [B, 3, 3] or None (the stored one) -> features [B, C, H, W] float32."""
        batch = w.shape[0]
        transforms = self.transform.unsqueeze(0) if transform is None else transform  # [B or 1, 3, 3]
        freqs = self.freqs.unsqueeze(0)  # [1, C, 2]
        phases = self.phases.unsqueeze(0)  # [1, C]
        t = self.affine(w)  # [B, 4]: (r_c, r_s, t_x, t_y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        m_r = torch.eye(3, device=w.device).unsqueeze(0).repeat([batch, 1, 1])  # inverse rotation
        m_r[:, 0, 0] = t[:, 0]
        m_r[:, 0, 1] = -t[:, 1]
        m_r[:, 1, 0] = t[:, 1]
        m_r[:, 1, 1] = t[:, 0]
        m_t = torch.eye(3, device=w.device).unsqueeze(0).repeat([batch, 1, 1])  # inverse translation
        m_t[:, 0, 2] = -t[:, 2]
        m_t[:, 1, 2] = -t[:, 3]
        transforms = m_r @ m_t @ transforms  # [B, 3, 3]
        phases = phases + (freqs @ transforms[:, :2, 2:]).squeeze(2)  # [B, C]
        freqs = freqs @ transforms[:, :2, :2]  # [B, C, 2]
        # Dampen frequencies the transform pushed out of band.
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        theta = torch.eye(2, 3, device=w.device)
        theta[0, 0] = 0.5 * self.size[0] / self.sampling_rate
        theta[1, 1] = 0.5 * self.size[1] / self.sampling_rate
        grids = nn.functional.affine_grid(theta.unsqueeze(0), [1, 1, self.size[1], self.size[0]], align_corners=False)
        x = (grids.unsqueeze(3) @ freqs.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3)  # [B, H, W, C]
        x = x + phases.unsqueeze(1).unsqueeze(2)
        x = torch.sin(x * (np.pi * 2))
        x = x * amplitudes.unsqueeze(1).unsqueeze(2)
        x = x @ (self.weight / np.sqrt(self.weight.shape[0])).t()
        return x.permute(0, 3, 1, 2)  # [B, C, H, W]


class SynthesisLayer(nn.Module):
    """Modulated convolution, then bias and the filtered leaky ReLU (or, for ToRGB, bias and clamp only)."""

    magnitude_ema: torch.Tensor  # buffers (register_buffer), declared for the type checker
    up_filter: torch.Tensor
    down_filter: torch.Tensor

    def __init__(self, spec: LayerSpec, w_dim: int) -> None:
        super().__init__()
        self.spec = spec
        k = spec.conv_kernel
        self.affine = FullyConnected(w_dim, spec.in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.zeros([spec.out_channels, spec.in_channels, k, k]))
        self.bias = nn.Parameter(torch.zeros([spec.out_channels]))
        self.register_buffer("magnitude_ema", torch.ones([]))
        self.up_filter: torch.Tensor | None
        self.down_filter: torch.Tensor | None
        up = torch.zeros([spec.up_taps]) if spec.up_taps > 1 else None
        down_shape = [spec.down_taps] * (2 if spec.down_radial else 1)
        down = torch.zeros(down_shape) if spec.down_taps > 1 else None
        self.register_buffer("up_filter", up)
        self.register_buffer("down_filter", down)
        self.torgb_gain = 1 / np.sqrt(spec.in_channels * k * k)
        self.bands: dict = {}  # the filters as band matrices, per size and device (filled on first use)

    def forward(self, x: torch.Tensor, w: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """x [B, I, H, W], w [B, w_dim] -> [B, O, H', W'] in dtype (float16 for NVIDIA's fp16 layers on CUDA)."""
        s = self.spec
        styles = self.affine(w)  # [B, I]
        if s.is_torgb:
            styles = styles * self.torgb_gain
        x = modulated_conv2d(
            x.to(dtype), self.weight, styles, s.conv_kernel - 1, not s.is_torgb, self.magnitude_ema.rsqrt()
        )
        gain, slope = (1.0, 1.0) if s.is_torgb else (math.sqrt(2), 0.2)
        return filtered_lrelu(
            x, self.up_filter, self.down_filter, self.bias, s.up, s.down, s.padding, gain, slope, s.conv_clamp,
            self.bands,
        )  # fmt: skip


class SynthesisNetwork(nn.Module):
    """ws [B, num_ws, w_dim] -> image: Fourier input features, then the layers in NVIDIA's order."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.output_scale = cfg.output_scale
        self.num_ws = cfg.num_ws
        self.input = SynthesisInput(cfg)
        self.layer_names = [s.name for s in cfg.layers]
        for spec in cfg.layers:
            setattr(self, spec.name, SynthesisLayer(spec, cfg.w_dim))

    def forward(self, ws: torch.Tensor, transform: torch.Tensor | None = None, use_fp16: bool = False) -> torch.Tensor:
        """ws [B, num_ws, w_dim], transform [B, 3, 3] or None -> img [B, C, R, R] float32."""
        ws_rows = ws.to(torch.float32).unbind(dim=1)
        x = self.input(ws_rows[0], transform)
        for name, w in zip(self.layer_names, ws_rows[1:], strict=True):
            layer: SynthesisLayer = getattr(self, name)
            dtype = torch.float16 if (use_fp16 and layer.spec.use_fp16) else torch.float32
            x = layer(x, w, dtype)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x.to(torch.float32)


class StyleGAN3Network(nn.Module):
    """Mapping + synthesis; parameter and buffer names equal those of NVIDIA's stylegan3 Generator."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.synthesis = SynthesisNetwork(cfg)
        self.mapping = MappingNetwork(cfg)
