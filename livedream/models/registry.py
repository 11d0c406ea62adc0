"""Turns a --style value (nothing, "builtin", a model file, a catalogue name) into a ready Generator."""

from __future__ import annotations

import os

import torch

from livedream.errors import LivedreamError
from livedream.models.base import Generator

BUILTIN_NAMES = (None, "", "builtin")
BUILTIN_PREFIX = "builtin:"
MAX_BUILTIN_RESOLUTION = 2160  # the built-in style renders at the output's short side, up to 4K's


def builtin_family(style: str | None) -> str | None:
    """The built-in family a --style value names ("" for the default), or None when it names a model."""
    if style in BUILTIN_NAMES:
        return ""
    if style.lower().startswith(BUILTIN_PREFIX):
        return style[len(BUILTIN_PREFIX) :]
    return None


def builtin_resolution(output_size: tuple[int, int] | None) -> int | None:
    """The built-in style's render size for an output (width, height): its short side, so nothing is upscaled.

    A square picture shown "contain" fills the short side; None (no output size known) keeps the default.
    """
    if output_size is None:
        return None
    return max(16, min(MAX_BUILTIN_RESOLUTION, int(min(output_size))))


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
    style: str | None = None,
    device: str | None = None,
    model_resolution: int | None = None,
    seed: int = 0,
    output_size: tuple[int, int] | None = None,
) -> Generator:
    """The built-in style for None/"builtin"/"builtin:NAME", else a StyleGAN2 model from a path or a catalogue name.

    output_size (width, height), where known, sets the built-in style's resolution when model_resolution
    does not: it renders at the output's short side, so that it is sharp on a big screen.
    """
    dev = _device(device)
    family = builtin_family(style)
    if family is not None:
        from livedream.models import builtin

        resolution = model_resolution or builtin_resolution(output_size)
        if resolution is not None and resolution < 16:
            raise LivedreamError(f"--model-resolution {resolution}: the built-in style needs at least 16")
        if resolution is None:
            return builtin.make(family, seed=seed, device=dev)
        return builtin.make(family, resolution=resolution, seed=seed, device=dev)
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
