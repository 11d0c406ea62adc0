"""Reads a StyleGAN2Config off a state dict in NVIDIA's PyTorch naming, so every loader shares one check."""

from __future__ import annotations

import re

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.network import ARCHITECTURES, StyleGAN2Config

_BLOCK = re.compile(r"synthesis\.b(\d+)\.")
_FC = re.compile(r"mapping\.fc(\d+)\.weight")


def config_from_state(
    state: dict[str, torch.Tensor],
    what: str,
    architecture: str | None = None,
    mapping_lr_mul: float = 0.01,
    num_fp16_res: int = 0,
    conv_clamp: float | None = None,
) -> StyleGAN2Config:
    """Derive dimensions from tensor shapes; `what` names the file in error messages.

    The architecture is inferred when not given: a 1x1 shortcut means resnet, an RGB layer in
    every block means skip, else orig.
    """
    fcs = sorted(int(m.group(1)) for k in state if (m := _FC.fullmatch(k)))
    blocks = sorted({int(m.group(1)) for k in state if (m := _BLOCK.match(k))})
    if not fcs or not blocks or fcs != list(range(len(fcs))):
        raise LivedreamError(f"{what}: no StyleGAN2 generator weights found (mapping or synthesis layers missing)")
    res = blocks[-1]
    if blocks != [2**i for i in range(2, res.bit_length())]:
        raise LivedreamError(f"{what}: synthesis blocks {blocks} are not 4, 8, ... up to a power of two")
    features = [int(state[f"mapping.fc{i}.weight"].shape[0]) for i in range(len(fcs))]
    fc0_in = int(state["mapping.fc0.weight"].shape[1])
    c_dim, embed, label_mode = 0, 0, "embed"
    if "mapping.embed.weight" in state:
        embed, c_dim = (int(s) for s in state["mapping.embed.weight"].shape)
    elif "mapping.label_concat" in state:
        c_dim, embed = (int(s) for s in state["mapping.label_concat"].shape)
        label_mode = "concat"
    channels = {}
    for r in blocks:
        key = f"synthesis.b{r}.conv1.weight"
        if key not in state:
            raise LivedreamError(f"{what}: missing weights for the {r}x{r} block ({key})")
        channels[r] = int(state[key].shape[0])
    if architecture is None:
        if any(k.endswith(".skip.weight") for k in state):
            architecture = "resnet"
        elif all(f"synthesis.b{r}.torgb.weight" in state for r in blocks):
            architecture = "skip"
        else:
            architecture = "orig"
    if architecture not in ARCHITECTURES:
        raise LivedreamError(f"{what}: unknown synthesis architecture {architecture!r}")
    torgb = state.get(f"synthesis.b{res}.torgb.weight")
    if torgb is None:
        raise LivedreamError(f"{what}: missing the final RGB layer (synthesis.b{res}.torgb.weight)")
    return StyleGAN2Config(
        z_dim=fc0_in - embed if c_dim else fc0_in,
        w_dim=features[-1],
        img_resolution=res,
        channels=channels,
        c_dim=c_dim,
        label_mode=label_mode,
        embed_features=embed,
        mapping_features=features,
        mapping_lr_mul=float(mapping_lr_mul),
        img_channels=int(torgb.shape[0]),
        architecture=architecture,
        num_fp16_res=int(num_fp16_res or 0),
        conv_clamp=None if conv_clamp is None else float(conv_clamp),
        use_noise="synthesis.b4.conv1.noise_strength" in state,
    )
