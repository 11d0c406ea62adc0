"""StyleGAN2's mapping and synthesis networks as torch modules, named like NVIDIA's PyTorch state dicts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from livedream.models.stylegan2.ops import bias_act, make_filter, modulated_conv2d, normalize_2nd_moment, upsample2d

ARCHITECTURES = ("skip", "resnet", "orig")
NOISE_MODES = ("const", "random", "none")
# How modulated convolutions run: "auto" groups per-sample weights in fp32 and at batch 1 and scales
# activations for fp16 batches (NVIDIA's choice); "grouped" and "scaled" force one form everywhere.
MODCONV_MODES = ("auto", "grouped", "scaled")


@dataclass
class StyleGAN2Config:
    """Everything needed to build the network; the loaders read it from the file's shapes and kwargs."""

    z_dim: int
    w_dim: int
    img_resolution: int
    channels: dict[int, int]  # block resolution -> feature maps
    c_dim: int = 0
    label_mode: str = "embed"  # "embed" (stylegan2-ada) or "concat" (original TF stylegan2 LabelConcat)
    embed_features: int = 0  # width of the class embedding (embed) or of the label projection (concat)
    mapping_features: list[int] = field(default_factory=list)  # output width of each mapping layer
    mapping_lr_mul: float = 0.01
    img_channels: int = 3
    architecture: str = "skip"
    resample_filter: list[list[float]] | list[float] = field(default_factory=lambda: [1.0, 3.0, 3.0, 1.0])
    num_fp16_res: int = 0
    conv_clamp: float | None = None
    use_noise: bool = True

    @property
    def block_resolutions(self) -> list[int]:
        return [2**i for i in range(2, int(math.log2(self.img_resolution)) + 1)]

    def fp16_resolution(self) -> int:
        """Blocks at or above this resolution run in fp16 on CUDA (NVIDIA's rule)."""
        return max(2 ** (int(math.log2(self.img_resolution)) + 1 - self.num_fp16_res), 8)


class FullyConnected(nn.Module):
    """Dense layer with equalised learning rate: weights stored as N(0, 1/lr_mul), scaled at run time."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str = "linear",
        lr_mul: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn([out_features, in_features]) / lr_mul)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init)))
        self.activation = activation
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.bias_gain = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, in] -> [B, out]
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias_gain != 1 else self.bias
        if self.activation == "linear":
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation, gain=math.sqrt(2))


class MappingNetwork(nn.Module):
    """z (and class c) -> w, broadcast to num_ws rows, optionally truncated toward the stored average w."""

    w_avg: torch.Tensor  # [w_dim], a registered buffer

    def __init__(self, cfg: StyleGAN2Config, num_ws: int) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = cfg.z_dim, cfg.c_dim, cfg.w_dim, num_ws
        self.label_mode = cfg.label_mode
        if cfg.c_dim and cfg.label_mode == "embed":
            self.embed = FullyConnected(cfg.c_dim, cfg.embed_features)
        elif cfg.c_dim:
            self.label_concat = nn.Parameter(torch.randn([cfg.c_dim, cfg.embed_features]))  # [c_dim, z_dim]
        in_features = cfg.z_dim + (cfg.embed_features if cfg.c_dim else 0)
        features = cfg.mapping_features or [cfg.w_dim] * 8
        for i, out_features in enumerate(features):
            setattr(self, f"fc{i}", FullyConnected(in_features, out_features, "lrelu", lr_mul=cfg.mapping_lr_mul))
            in_features = out_features
        self.num_layers = len(features)
        self.register_buffer("w_avg", torch.zeros([cfg.w_dim]))

    def forward(self, z: torch.Tensor, c: torch.Tensor, psi: float = 1.0, cutoff: int | None = None) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] -> ws [B, num_ws, w_dim] (float32)."""
        x = z.to(torch.float32)
        if self.c_dim and self.label_mode == "embed":
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))
            x = torch.cat([normalize_2nd_moment(x), y], dim=1) if self.z_dim else y
        elif self.c_dim:
            x = normalize_2nd_moment(torch.cat([x, c.to(torch.float32) @ self.label_concat], dim=1))
        else:
            x = normalize_2nd_moment(x)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)  # [B, num_ws, w_dim]
        if psi != 1:
            n = self.num_ws if cutoff is None else cutoff
            x[:, :n] = self.w_avg.lerp(x[:, :n], psi)
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3x3 convolution (optionally 2x up), noise, bias, leaky ReLU, clamp."""

    noise_const: torch.Tensor  # [res, res], a registered buffer (with use_noise)

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, up: int, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.up, self.resolution, self.conv_clamp = up, resolution, cfg.conv_clamp
        self.affine = FullyConnected(w_dim, in_ch, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_ch, in_ch, 3, 3]))
        self.bias = nn.Parameter(torch.zeros([out_ch]))
        self.use_noise = cfg.use_noise
        if cfg.use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = nn.Parameter(torch.zeros([]))

    def forward(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        f: torch.Tensor,
        noise_mode: str,
        fused: bool,
        gain: float = 1.0,
        channels_last: bool = False,
    ) -> torch.Tensor:
        styles = self.affine(w)  # [B, in_ch]
        noise = None
        if self.use_noise and noise_mode == "random":
            noise = (
                torch.randn([x.shape[0], 1, self.resolution, self.resolution], device=x.device) * self.noise_strength
            )
        elif self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength  # [res, res]
        x = modulated_conv2d(
            x, self.weight, styles, noise=noise, up=self.up, f=f, fused=fused, channels_last=channels_last
        )
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act="lrelu", gain=math.sqrt(2) * gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1x1 convolution to colour, without demodulation."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.conv_clamp = cfg.conv_clamp
        self.affine = FullyConnected(w_dim, in_ch, bias_init=1)
        self.weight = nn.Parameter(torch.randn([out_ch, in_ch, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([out_ch]))
        self.weight_gain = 1 / math.sqrt(in_ch)

    def forward(self, x: torch.Tensor, w: torch.Tensor, fused: bool, channels_last: bool = False) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain  # [B, in_ch]
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused=fused, channels_last=channels_last)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SkipLayer(nn.Module):
    """The resnet shortcut: 2x FIR upsampling and a 1x1 convolution without bias, scaled by sqrt(1/2)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn([out_ch, in_ch, 1, 1]))
        self.weight_gain = 1 / math.sqrt(in_ch)

    def forward(self, x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:  # [B, I, R/2, R/2] -> [B, O, R, R]
        w = (self.weight * self.weight_gain).to(x.dtype)
        # 1x1 convolution at the low resolution, then upsampling: the same maths either way (both are
        # linear), but this order is 4x cheaper and rounds the way NVIDIA's conv2d_resample does.
        return bias_act(upsample2d(torch.nn.functional.conv2d(x, w), f), None, gain=math.sqrt(0.5))


class SynthesisBlock(nn.Module):
    """One resolution: (const | 2x up conv) + conv, an RGB image in skip nets, a 1x1 shortcut in resnets."""

    def __init__(self, in_ch: int, out_ch: int, resolution: int, is_last: bool, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.in_ch, self.resolution, self.is_last = in_ch, resolution, is_last
        self.architecture = cfg.architecture
        self.use_fp16 = cfg.num_fp16_res > 0 and resolution >= cfg.fp16_resolution()
        if in_ch == 0:
            self.const = nn.Parameter(torch.randn([out_ch, resolution, resolution]))
        else:
            self.conv0 = SynthesisLayer(in_ch, out_ch, cfg.w_dim, resolution, up=2, cfg=cfg)
        self.conv1 = SynthesisLayer(out_ch, out_ch, cfg.w_dim, resolution, up=1, cfg=cfg)
        self.num_conv = 1 if in_ch == 0 else 2
        self.num_torgb = 1 if (is_last or cfg.architecture == "skip") else 0
        if self.num_torgb:
            self.torgb = ToRGBLayer(out_ch, cfg.img_channels, cfg.w_dim, cfg)
        if in_ch != 0 and cfg.architecture == "resnet":
            self.skip = SkipLayer(in_ch, out_ch)

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        f: torch.Tensor,
        noise_mode: str,
        dtype: torch.dtype,
        modconv: str = "auto",
        channels_last: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """ws [B, num_conv + num_torgb, w_dim]; x [B, C, R/2, R/2] in, [B, C, R, R] out; img stays float32.

        modconv is one of MODCONV_MODES; channels_last runs the modulated convolutions on NHWC maps (faster
        tensor-core convolutions on CUDA, the same numbers within rounding).
        """
        batch = ws.shape[0]
        fused = {"auto": dtype == torch.float32 or batch == 1, "grouped": True, "scaled": False}[modconv]
        cl = channels_last
        if self.in_ch == 0:
            x = self.const.to(dtype).unsqueeze(0).repeat(batch, 1, 1, 1)
            x = self.conv1(x, ws[:, 0], f, noise_mode, fused, channels_last=cl)
        elif self.architecture == "resnet":
            assert x is not None  # only the first (const) block is given none
            x = x.to(dtype)
            y = self.skip(x, f)
            x = self.conv0(x, ws[:, 0], f, noise_mode, fused, channels_last=cl)
            x = self.conv1(x, ws[:, 1], f, noise_mode, fused, gain=math.sqrt(0.5), channels_last=cl)
            x = y.add_(x)
        else:
            assert x is not None  # only the first (const) block is given none
            x = x.to(dtype)
            x = self.conv0(x, ws[:, 0], f, noise_mode, fused, channels_last=cl)
            x = self.conv1(x, ws[:, 1], f, noise_mode, fused, channels_last=cl)
        if img is not None:
            img = upsample2d(img, f)
        if self.num_torgb:
            y = self.torgb(x, ws[:, self.num_conv], fused, channels_last=cl).to(torch.float32)
            img = img.add_(y) if img is not None else y
        return x, img


class SynthesisNetwork(nn.Module):
    """ws -> image, block by block; it can stop at a lower block when each block holds an image (skip)."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.block_resolutions = cfg.block_resolutions
        self.register_buffer("resample_filter", make_filter(cfg.resample_filter), persistent=False)
        self.num_ws = 0
        for res in self.block_resolutions:
            in_ch = cfg.channels[res // 2] if res > 4 else 0
            block = SynthesisBlock(in_ch, cfg.channels[res], res, res == cfg.img_resolution, cfg)
            self.num_ws += block.num_conv
            setattr(self, f"b{res}", block)
        self.num_ws += 1

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        stop_at: int | None = None,
        use_fp16: bool = False,
        modconv: str = "auto",
        channels_last: bool = False,
    ) -> torch.Tensor:
        """ws [B, num_ws, w_dim] -> img [B, C, R, R] float32, R = stop_at or the full resolution.

        modconv and channels_last are speed options (see SynthesisBlock.forward); the default is NVIDIA's way.
        """
        x = img = None
        w_idx = 0
        for res in self.block_resolutions:
            block: SynthesisBlock = getattr(self, f"b{res}")
            dtype = torch.float16 if (use_fp16 and block.use_fp16) else torch.float32
            block_ws = ws[:, w_idx : w_idx + block.num_conv + block.num_torgb]
            x, img = block(x, img, block_ws, self.resample_filter, noise_mode, dtype, modconv, channels_last)
            w_idx += block.num_conv
            if res == stop_at:
                break
        assert img is not None  # the last block draws one, and so does every block of a skip net (stop_at's rule)
        return img.contiguous()


class StyleGAN2Network(nn.Module):
    """Mapping + synthesis; parameter names equal those of NVIDIA's PyTorch Generator (see load_state)."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.synthesis = SynthesisNetwork(cfg)
        self.mapping = MappingNetwork(cfg, self.synthesis.num_ws)
