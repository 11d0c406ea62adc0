"""Turns a --style value (nothing, "builtin", a model file, a catalogue name) into a ready Generator."""

from __future__ import annotations

import os

import torch

from livedream.errors import LivedreamError
from livedream.models.base import Generator

BUILTIN_NAMES = (None, "", "builtin")
COMPUTE_DEVICES = ("cpu", "cuda", "mps")  # "meta" has no data, others are untested here
BUILTIN_PREFIX = "builtin:"
MAX_BUILTIN_RESOLUTION = 2160  # the largest built-in render (4K's short side)
BUILTIN_RESOLUTIONS = (16, MAX_BUILTIN_RESOLUTION)
BUILTIN_MIN_RENDER = 256  # below this an output is small enough to render at 256 and scale  # the built-in style's smallest and largest size


def builtin_family(style: str | None) -> str | None:
    """The built-in family a --style value names ("" for the default), or None when it names a model."""
    if style in BUILTIN_NAMES:
        return ""
    if style.lower().startswith(BUILTIN_PREFIX):
        return style[len(BUILTIN_PREFIX) :]
    return None


def builtin_resolution(output_size: tuple[int, int] | None) -> int | None:
    """The built-in style's render size for an output (width, height): half its short side, at least 256.

    Half the short side, upscaled bicubically (export's encoder does it in its colour conversion), keeps a
    1080p picture sharp on a projector while costing a quarter of a full-size render on the CPU; issue 15's
    floor ("no less than half its short side with a good upscale"). None (no size known) keeps the default.
    """
    if output_size is None:
        return None
    return max(BUILTIN_MIN_RENDER, min(MAX_BUILTIN_RESOLUTION, int(min(output_size)) // 2))


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise LivedreamError(f"--torch-device {device!r} is not a torch device (try cpu or cuda)") from None
    if dev.type not in COMPUTE_DEVICES:
        raise LivedreamError(
            f"--torch-device {device}: livedream renders on {', '.join(COMPUTE_DEVICES)}, not {dev.type}"
        )
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise LivedreamError(f"--torch-device {device}: CUDA is not available on this machine")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise LivedreamError(f"--torch-device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise LivedreamError(f"--torch-device {device}: Apple's MPS is not available on this machine")
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
        lo, hi = BUILTIN_RESOLUTIONS
        if model_resolution is not None and not lo <= model_resolution <= hi:
            raise LivedreamError(
                f"--model-resolution {model_resolution}: the built-in style renders at {lo} to {hi} pixels"
            )
        if resolution is None:
            return builtin.make(family, seed=seed, device=dev)
        return builtin.make(family, resolution=resolution, seed=seed, device=dev)
    from livedream.models import catalogue, stylegan2

    assert style is not None  # builtin_family(None) is "": None is the built-in style, handled above
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
