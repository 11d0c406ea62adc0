"""Turns a --style value (nothing, "builtin", a model file, a catalogue name) into a ready Generator."""

from __future__ import annotations

import os

import torch

from livedream.errors import LivedreamError
from livedream.models.base import Generator

BUILTIN_NAMES = (None, "", "builtin")
COMPUTE_DEVICES = ("cpu", "cuda", "mps")  # "meta" has no data, others are untested here
BUILTIN_RESOLUTIONS = (16, 2048)  # the built-in style's smallest and largest size


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
    if dev.type not in COMPUTE_DEVICES:
        raise LivedreamError(f"--device {device}: livedream renders on {', '.join(COMPUTE_DEVICES)}, not {dev.type}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise LivedreamError(f"--device {device}: CUDA is not available on this machine")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise LivedreamError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise LivedreamError(f"--device {device}: Apple's MPS is not available on this machine")
    return dev


def load_generator(
    style: str | None = None, device: str | None = None, model_resolution: int | None = None, seed: int = 0
) -> Generator:
    """The built-in style for None/"builtin", else a StyleGAN2 model from a path or a catalogue name."""
    dev = _device(device)
    if style in BUILTIN_NAMES:
        from livedream.models.builtin import BuiltinStyle

        if model_resolution is not None:
            lo, hi = BUILTIN_RESOLUTIONS
            if not lo <= model_resolution <= hi:
                raise LivedreamError(
                    f"--model-resolution {model_resolution}: the built-in style renders at {lo} to {hi} pixels"
                )
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
