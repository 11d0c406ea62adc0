"""Turns a --style value (nothing, "builtin", a model file, a catalogue name) into a ready Generator."""

from __future__ import annotations

import os

import torch

from livedream.errors import LivedreamError
from livedream.models.base import Generator

BUILTIN_NAMES = (None, "", "builtin")


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise LivedreamError(f"--device {device!r} is not a torch device (try cpu or cuda)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise LivedreamError(f"--device {device}: CUDA is not available on this machine")
    return dev


def load_generator(
    style: str | None = None, device: str | None = None, model_resolution: int | None = None, seed: int = 0
) -> Generator:
    """The built-in style for None/"builtin", else a StyleGAN2 model from a path or a catalogue name."""
    dev = _device(device)
    if style in BUILTIN_NAMES:
        from livedream.models.builtin import BuiltinStyle

        if model_resolution is not None:
            return BuiltinStyle(resolution=model_resolution, seed=seed, device=dev)
        return BuiltinStyle(seed=seed, device=dev)
    from livedream.models import catalogue, stylegan2

    path = os.path.expanduser(style)
    if os.path.isdir(path):
        raise LivedreamError(f"--style {style}: is a directory; give a model file (.pkl or .pt)")
    if os.path.isfile(path):
        return stylegan2.load(path, device=dev, model_resolution=model_resolution)
    if catalogue.find(style) is not None:
        return stylegan2.load(str(catalogue.fetch(style)), device=dev, model_resolution=model_resolution)
    raise LivedreamError(
        f"--style {style}: no such model file ({os.path.abspath(path)}) and no catalogue style of that name "
        "(see `livedream styles`)"
    )
