"""A user's image function f(noise_batch, class_batch) -> images, wrapped as a Generator (LSD's custom styles)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from livedream.errors import LivedreamError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

ImageFunction = Callable[..., Any]  # (noise_batch [B, z_dim], class_batch [B, c_dim]) -> B images


def takes_arguments(func: Callable[..., Any], names: tuple[str, ...]) -> bool:
    """Whether func can be called with these keyword arguments (as Lucid Sonic Dreams called user functions)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # builtins and some C extensions have no signature to read
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return True
    keyword = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return set(names) <= keyword


class CallableGenerator:
    """The Generator protocol around a user's function, as Lucid Sonic Dreams' `style=func` used it.

    The function receives float32 numpy arrays (noise scaled by truncation, as LSD did, so a function
    written for LSD sees the same ranges) and returns B PIL images or uint8 arrays [B, H, W, 3]; they
    come back as a tensor in [-1, 1] on the CPU. The resolution is that of the function's output,
    learned by one probe call the first time it is asked for: the pipeline needs it before any frame.
    """

    def __init__(self, func: ImageFunction, z_dim: int = 512, c_dim: int = 0) -> None:
        if not callable(func):
            raise LivedreamError(f"style must be a model path, a style name or a function; got {type(func).__name__}")
        if isinstance(z_dim, bool) or not isinstance(z_dim, int) or z_dim < 1:
            raise LivedreamError(f"input_shape must be a positive whole number, got {z_dim!r}")
        if isinstance(c_dim, bool) or not isinstance(c_dim, int) or c_dim < 0:
            raise LivedreamError(f"num_possible_classes must be a whole number >= 0, got {c_dim!r}")
        import torch  # here, not at import time: EffectsGenerator shares this module's takes_arguments

        self.func = func
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.device = torch.device("cpu")
        self._by_keyword = takes_arguments(func, ("noise_batch", "class_batch"))
        self._resolution: int | None = None

    @property
    def resolution(self) -> int:
        """Side of the square images the function draws; one probe call with zero vectors finds it."""
        if self._resolution is None:
            self._images(np.zeros((1, self.z_dim), np.float32), np.zeros((1, self.c_dim), np.float32))
        assert self._resolution is not None  # _images() sets it on its first call (or raises)
        return self._resolution

    def __call__(self, z: torch.Tensor, c: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
        """z [B, z_dim], c [B, c_dim] -> images [B, 3, H, W] in [-1, 1] on the CPU."""
        import torch

        noise = z.detach().to("cpu", torch.float32).numpy() * np.float32(truncation)  # [B, z_dim]
        classes = c.detach().to("cpu", torch.float32).numpy().reshape(len(noise), self.c_dim)  # [B, c_dim]
        images = self._images(noise, classes)  # [B, H, W, 3] uint8
        x = torch.from_numpy(images).permute(0, 3, 1, 2).to(torch.float32)  # [B, 3, H, W]
        # v -> (v - 127.5) / 127.5: to_uint8's x * 127.5 + 128 then lands on v + 0.5 and truncates back to v.
        return (x - 127.5) / 127.5

    def _images(self, noise: np.ndarray, classes: np.ndarray) -> np.ndarray:
        if self._by_keyword:
            out = self.func(noise_batch=noise, class_batch=classes)
        else:
            out = self.func(noise, classes)
        images = as_uint8_batch(out, len(noise))  # [B, H, W, 3]
        height, width = images.shape[1:3]
        if height != width:
            raise LivedreamError(f"the style function drew {width}x{height} images; livedream needs square ones")
        if self._resolution is None:
            self._resolution = height
            log.info("style function draws %dx%d images", width, height)
        elif height != self._resolution:
            raise LivedreamError(
                f"the style function drew {height}x{height} images after {self._resolution}x{self._resolution} ones"
            )
        return images


def as_uint8_batch(out: Any, batch: int) -> np.ndarray:
    """What a style function returned (PIL images, uint8 arrays, a [B, H, W, 3] array) -> [B, H, W, 3] uint8."""
    if isinstance(out, np.ndarray) and out.ndim == 4:
        items = list(out)
    elif isinstance(out, np.ndarray) and out.ndim in (2, 3) and batch == 1:
        items = [out]
    elif isinstance(out, (list, tuple)):
        items = list(out)
    else:
        raise LivedreamError(
            f"the style function returned {type(out).__name__}; return a list of PIL images or a uint8 array [B, H, W, 3]"
        )
    if len(items) != batch:
        raise LivedreamError(f"the style function returned {len(items)} images for a batch of {batch}")
    arrays = [_rgb(item) for item in items]
    if len({a.shape for a in arrays}) != 1:
        raise LivedreamError("the style function returned images of different sizes in one batch")
    return np.stack(arrays)


def _rgb(item: Any) -> np.ndarray:
    """One image -> [H, W, 3] uint8: PIL images of any mode are converted, greyscale is repeated, alpha dropped."""
    if hasattr(item, "convert") and hasattr(item, "mode"):  # a PIL image, without importing PIL for the check
        return np.asarray(item.convert("RGB"))
    a = np.asarray(item)
    if a.dtype != np.uint8:
        raise LivedreamError(f"the style function returned {a.dtype} images; return uint8 (0..255) or PIL images")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise LivedreamError(f"the style function returned an image of shape {a.shape}; expected [H, W, 3]")
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a[:, :, :3])
