"""StyleGAN3 (configs T and R) in plain PyTorch, loaded from NVIDIA's stylegan3 pickles without running their code."""

from __future__ import annotations

import logging
from typing import Any

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan3.generator import StyleGAN3Generator
from livedream.models.stylegan3.layout import is_stylegan3, read_stylegan3
from livedream.models.stylegan3.network import StyleGAN3Config, StyleGAN3Network

__all__ = ["StyleGAN3Config", "StyleGAN3Generator", "StyleGAN3Network", "from_data", "is_stylegan3"]

log = logging.getLogger(__name__)


def build_network(cfg: StyleGAN3Config, state: dict[str, torch.Tensor], what: str) -> StyleGAN3Network:
    """The network with the file's weights in; the layout was checked, so a mismatch here is still one line."""
    net = StyleGAN3Network(cfg)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise LivedreamError(
            f"{what}: weights do not fit a StyleGAN3 generator ({' '.join(str(e).split())[:300]})"
        ) from None
    return net


def from_data(
    data: Any, what: str, device: str | torch.device | None = None, fp16: bool | None = None
) -> StyleGAN3Generator:
    """A ready generator from unpickled data (safe_pickle stand-ins) of an NVIDIA stylegan3 pickle."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg, state = read_stylegan3(data, what)
    gen = StyleGAN3Generator(build_network(cfg, state, what), device, fp16, name=what)
    log.info(
        "loaded %s (StyleGAN3-%s): %dx%d, z_dim %d, c_dim %d, %d layers, %d latent directions",
        what, cfg.config_name, cfg.img_resolution, cfg.img_resolution, cfg.z_dim, cfg.c_dim, len(cfg.layers),
        gen.num_directions,
    )  # fmt: skip
    return gen
