"""Generator image (a tensor on its device) -> the effect chain's source texture, by one of four routes.

    host     tensor -> uint8 on the host (pageable) -> glTexSubImage2D from client memory (what live does today)
    pinned   the same through a page-locked host buffer (a faster, asynchronous device-to-host copy; CUDA only)
    pbo      the host bytes go into a GL pixel-unpack buffer, and the texture is filled from that buffer
    interop  CUDA writes the bytes straight into that pixel buffer (CUDA-GL interop): no host round trip

Every route gives the same texels and the same mean grey. interop needs a CUDA tensor and a GL context on
the same NVIDIA GPU; where it cannot be set up, make_uploader falls back to the host route with one log line.
"""

from __future__ import annotations

import logging
from typing import Protocol

import moderngl
import numpy as np
import torch

from livedream.render.effects import mean_grey

log = logging.getLogger(__name__)

UPLOAD_MODES = ("host", "pinned", "pbo", "interop")
_LUMA = (19595, 38470, 7471)  # mean_grey's 16-bit fixed-point ITU-R 601 weights


def to_rgb8(image: torch.Tensor) -> torch.Tensor:
    """[3, H, W] in [-1, 1] -> [H, W, 3] uint8 on the same device, rounded as models.base.to_uint8 rounds."""
    x = (image.detach() * 127.5 + 128).clamp(0, 255).to(torch.uint8)  # [3, H, W]
    return x.permute(1, 2, 0).contiguous()


def mean_grey_tensor(rgb: torch.Tensor) -> int:
    """mean_grey() computed where the pixels are: rgb [H, W, 3] uint8; exact, so equal to the host's figure."""
    w = torch.tensor(_LUMA, dtype=torch.int32, device=rgb.device)
    luma = ((rgb.to(torch.int32) * w).sum(dim=-1) + 0x8000) >> 16  # [H, W]
    total = int(luma.sum(dtype=torch.int64).item())
    return int(total / luma.numel() + 0.5)


class FrameUploader(Protocol):
    """Writes one image into a texture of its size; returns the image's mean grey (0..255)."""

    name: str

    def upload(self, image: torch.Tensor, texture: moderngl.Texture) -> int: ...  # image [3, H, W] in [-1, 1]

    def release(self) -> None: ...


class HostUpload:
    """Today's route: the bytes come to the host, and GL copies them from there."""

    name = "host"

    def upload(self, image: torch.Tensor, texture: moderngl.Texture) -> int:
        rgb = to_rgb8(image).cpu().numpy()  # [H, W, 3]
        texture.write(rgb, alignment=1)
        return mean_grey(rgb)

    def release(self) -> None:
        pass


class PinnedUpload:
    """Through a page-locked host buffer: the device-to-host copy runs at full bus speed, without a staging copy."""

    name = "pinned"

    def __init__(self, size: tuple[int, int], device: torch.device) -> None:
        if device.type != "cuda":
            raise RuntimeError("pinned host buffers need a CUDA device")
        width, height = size
        self._host = torch.empty((height, width, 3), dtype=torch.uint8, pin_memory=True)  # [H, W, 3]

    def _to_host(self, image: torch.Tensor) -> np.ndarray:
        self._host.copy_(to_rgb8(image), non_blocking=True)
        torch.cuda.current_stream(image.device).synchronize()
        return self._host.numpy()

    def upload(self, image: torch.Tensor, texture: moderngl.Texture) -> int:
        rgb = self._to_host(image)
        texture.write(rgb, alignment=1)
        return mean_grey(rgb)

    def release(self) -> None:
        pass


class PboUpload:
    """The host bytes go into a GL pixel buffer first; the texture is then filled from it on the GPU's side."""

    name = "pbo"

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], device: torch.device) -> None:
        width, height = size
        self._pinned = PinnedUpload(size, device) if device.type == "cuda" else None
        self._pbo = ctx.buffer(reserve=width * height * 3, dynamic=True)

    def upload(self, image: torch.Tensor, texture: moderngl.Texture) -> int:
        rgb = self._pinned._to_host(image) if self._pinned else to_rgb8(image).cpu().numpy()
        self._pbo.orphan()  # a fresh store: no wait for the previous frame's transfer
        self._pbo.write(rgb)
        texture.write(self._pbo, alignment=1)
        return mean_grey(rgb)

    def release(self) -> None:
        self._pbo.release()


class InteropUpload:
    """CUDA writes the image into a GL pixel buffer registered with CUDA; GL fills the texture from it.

    Built on the CUDA driver API (livedream.render.cuda_gl); unverified on a GPU until bench/gpu has run.
    """

    name = "interop"

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], device: torch.device) -> None:
        from livedream.render.cuda_gl import CudaGlBuffer

        if device.type != "cuda":
            raise RuntimeError("CUDA-GL interop needs a CUDA device")
        width, height = size
        self._device = device
        self._pbo = ctx.buffer(reserve=width * height * 3, dynamic=True)
        try:
            self._cuda = CudaGlBuffer(self._pbo.glo, device)
        except BaseException:
            self._pbo.release()
            raise

    def upload(self, image: torch.Tensor, texture: moderngl.Texture) -> int:
        rgb = to_rgb8(image.to(self._device))  # [H, W, 3] uint8 on the GPU
        stream = torch.cuda.current_stream(self._device)
        with self._cuda.mapped(stream.cuda_stream) as (ptr, nbytes):
            if nbytes < rgb.numel():
                raise RuntimeError(f"mapped pixel buffer holds {nbytes} bytes, the image {rgb.numel()}")
            self._cuda.copy_from(rgb.data_ptr(), rgb.numel(), ptr, stream.cuda_stream)
        texture.write(self._pbo, alignment=1)  # GL runs after the unmap, which waits for the copy
        return mean_grey_tensor(rgb)

    def release(self) -> None:
        self._cuda.release()
        self._pbo.release()


def make_uploader(
    ctx: moderngl.Context, size: tuple[int, int], device: torch.device | str, mode: str = "host"
) -> FrameUploader:
    """An uploader for images of size (width, height) coming from `device`; one that cannot work falls back to host."""
    device = torch.device(device)
    if mode not in UPLOAD_MODES:
        raise ValueError(f"upload mode {mode!r} is not one of {', '.join(UPLOAD_MODES)}")
    try:
        if mode == "pinned":
            return PinnedUpload(size, device)
        if mode == "pbo":
            return PboUpload(ctx, size, device)
        if mode == "interop":
            return InteropUpload(ctx, size, device)
    except (RuntimeError, OSError, AttributeError) as exc:  # no CUDA, no driver library, or GL without interop
        log.info("%s upload unavailable (%s); uploading through the host", mode, exc)
    return HostUpload()
