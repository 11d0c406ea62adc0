"""A GL buffer registered with CUDA (the driver API through ctypes): CUDA can write straight into it.

Only the calls interop needs: register, map on a stream, get the device pointer, copy, unmap, unregister. The GL
context that owns the buffer must be current on the calling thread, and it must run on the same GPU as CUDA
(an EGL or GLX context of NVIDIA's driver; Mesa's software GL has no interop and registration fails).
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator

import torch

_WRITE_DISCARD = 2  # CU_GRAPHICS_REGISTER_FLAGS_WRITE_DISCARD: CUDA overwrites the whole buffer
_lib: ctypes.CDLL | None = None


def _driver() -> ctypes.CDLL:
    """libcuda, loaded once; OSError where there is no NVIDIA driver."""
    global _lib
    if _lib is None:
        lib = ctypes.CDLL("libcuda.so.1")
        vp, u, sz = ctypes.c_void_p, ctypes.c_uint, ctypes.c_size_t
        signatures = {
            "cuGetErrorName": [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)],
            "cuCtxGetCurrent": [ctypes.POINTER(vp)],
            "cuCtxSetCurrent": [vp],
            "cuDeviceGet": [ctypes.POINTER(ctypes.c_int), ctypes.c_int],
            "cuDevicePrimaryCtxRetain": [ctypes.POINTER(vp), ctypes.c_int],
            "cuGraphicsGLRegisterBuffer": [ctypes.POINTER(vp), u, u],
            "cuGraphicsMapResources": [u, ctypes.POINTER(vp), vp],
            "cuGraphicsResourceGetMappedPointer_v2": [ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(sz), vp],
            "cuGraphicsUnmapResources": [u, ctypes.POINTER(vp), vp],
            "cuGraphicsUnregisterResource": [vp],
            "cuMemcpyDtoDAsync_v2": [ctypes.c_uint64, ctypes.c_uint64, sz, vp],
        }
        for name, args in signatures.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, ctypes.c_int
        _lib = lib
    return _lib


def _check(rc: int, what: str) -> None:
    if rc != 0:
        name = ctypes.c_char_p()
        _driver().cuGetErrorName(rc, ctypes.byref(name))
        raise RuntimeError(f"{what} failed: {(name.value or b'CUDA error %d' % rc).decode()}")


def _ensure_context(device: torch.device) -> None:
    """Make the device's primary context (the one torch uses) current on this thread, if none is."""
    lib = _driver()
    torch.cuda.init()
    current = ctypes.c_void_p()
    _check(lib.cuCtxGetCurrent(ctypes.byref(current)), "cuCtxGetCurrent")
    if current.value:
        return
    dev, ctx = ctypes.c_int(), ctypes.c_void_p()
    index = device.index if device.index is not None else torch.cuda.current_device()
    _check(lib.cuDeviceGet(ctypes.byref(dev), index), "cuDeviceGet")
    _check(lib.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
    _check(lib.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")


class CudaGlBuffer:
    """A registered GL buffer object (its GL name); mapped() yields its device pointer for one stream's work."""

    def __init__(self, gl_buffer: int, device: torch.device) -> None:
        _ensure_context(device)
        self._resource = ctypes.c_void_p()
        rc = _driver().cuGraphicsGLRegisterBuffer(ctypes.byref(self._resource), int(gl_buffer), _WRITE_DISCARD)
        _check(rc, "cuGraphicsGLRegisterBuffer")

    @contextlib.contextmanager
    def mapped(self, stream: int) -> Iterator[tuple[int, int]]:
        """(device pointer, size in bytes) while mapped; work queued on `stream` meanwhile finishes before GL reads."""
        lib, stream_ptr = _driver(), ctypes.c_void_p(stream)
        _check(lib.cuGraphicsMapResources(1, ctypes.byref(self._resource), stream_ptr), "cuGraphicsMapResources")
        try:
            ptr, size = ctypes.c_uint64(), ctypes.c_size_t()
            rc = lib.cuGraphicsResourceGetMappedPointer_v2(ctypes.byref(ptr), ctypes.byref(size), self._resource)
            _check(rc, "cuGraphicsResourceGetMappedPointer")
            yield int(ptr.value), int(size.value)
        finally:
            rc = lib.cuGraphicsUnmapResources(1, ctypes.byref(self._resource), stream_ptr)
            _check(rc, "cuGraphicsUnmapResources")

    @staticmethod
    def copy_from(src: int, nbytes: int, dst: int, stream: int) -> None:
        """Queue a device-to-device copy of nbytes from src into the mapped dst on `stream`."""
        _check(_driver().cuMemcpyDtoDAsync_v2(dst, src, nbytes, ctypes.c_void_p(stream)), "cuMemcpyDtoDAsync")

    def release(self) -> None:
        if self._resource.value:
            _check(_driver().cuGraphicsUnregisterResource(self._resource), "cuGraphicsUnregisterResource")
            self._resource = ctypes.c_void_p()
