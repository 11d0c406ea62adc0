"""A pickle reader that admits only the classes model files need and never runs code stored in them.

NVIDIA's pickles name `torch_utils.persistence._reconstruct_persistent_obj` (which would exec the
embedded Python source) and `dnnlib.tflib.network.Network` (which would exec its build module). Here
those names map to inert stand-ins that keep the pickled state: tensors, arrays and init kwargs.
Every other global is refused, so a pickle whose reduce calls os.system cannot run anything.
"""

from __future__ import annotations

import io
import math
import pickle
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import numpy as np
import torch

from livedream.errors import LivedreamError


class UnsafePickleError(LivedreamError):
    """The file names a Python global outside the admitted set."""


class PersistentStub:
    """Stands in for an object of NVIDIA's persistent classes: its class name and pickled __dict__."""

    def __init__(self, class_name: str, state: dict[str, Any]) -> None:
        self.class_name = class_name
        self.state = state

    def __repr__(self) -> str:
        return f"PersistentStub({self.class_name})"


class EasyDictStub(dict):
    """Stands in for dnnlib's EasyDict: a plain dict (attribute access is not needed here)."""


class TFNetworkStub:
    """Stands in for dnnlib.tflib.network.Network; __setstate__ only stores the state dict."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise UnsafePickleError("the TensorFlow network in the model file has an unexpected state")
        self.state = dict(state)


def _reconstruct_persistent(meta: Any) -> PersistentStub:
    """Safe stand-in for NVIDIA's persistence reconstructor: keeps class name and state, ignores module_src."""
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("class_name"), str):
        raise UnsafePickleError("the model file holds a persistent object of an unknown kind")
    state = meta.get("state") or {}
    if not isinstance(state, dict):
        raise UnsafePickleError("the model file holds a persistent object with an unexpected state")
    return PersistentStub(meta["class_name"], dict(state))


def _load_storage_from_bytes(data: bytes) -> Any:
    """Safe stand-in for torch.storage._load_from_bytes: the bytes are read with torch's weights-only loader."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnsafePickleError("the model file holds a tensor storage that is not bytes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # TypedStorage deprecation
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


MAX_DIMS = 8  # no layer of a generator has more


def _storage_elements(storage: Any) -> int:
    if isinstance(storage, torch.storage.TypedStorage):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # TypedStorage deprecation
            return int(storage.size())
    raise UnsafePickleError("the model file holds a tensor whose storage is not a tensor storage")


def check_tensor_layout(elements: int, offset: Any, size: Any, stride: Any) -> None:
    """Refuse a tensor whose declared shape is not backed by its storage, before it is built.

    A real weight is a view of its own bytes: it reaches no element past the storage's end, and it has no
    more elements than the storage holds. A zero or overlapping stride would let 47 KB of file declare a
    35 TB tensor that the first copy (.float(), .contiguous(), building the network) tries to allocate.
    """
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise UnsafePickleError("the model file holds a tensor with a bad storage offset")
    if not isinstance(size, (tuple, list, torch.Size)) or not isinstance(stride, (tuple, list)):
        raise UnsafePickleError("the model file holds a tensor with a bad shape")
    dims = list(size), list(stride)
    if len(dims[0]) != len(dims[1]) or len(dims[0]) > MAX_DIMS:
        raise UnsafePickleError("the model file holds a tensor whose shape and strides do not match")
    for x in (*dims[0], *dims[1]):
        if not isinstance(x, int) or isinstance(x, bool) or x < 0:
            raise UnsafePickleError("the model file holds a tensor with a negative or non-integer size")
    numel = math.prod(dims[0])
    if numel == 0:
        return
    extent = offset + sum((n - 1) * st for n, st in zip(*dims, strict=True)) + 1
    if numel > elements or extent > elements:
        raise UnsafePickleError(
            f"the model file declares a tensor of shape {tuple(dims[0])} ({numel} values) over a storage of "
            f"{elements}; refused (a real weight is backed by its own data)"
        )


def check_tensor(t: torch.Tensor, name: str = "a tensor") -> None:
    """The same check on a tensor another loader built (torch.load of a checkpoint), before any copy of it."""
    if not isinstance(t, torch.Tensor):
        raise UnsafePickleError(f"the model file's {name} is not a tensor")
    if t.is_sparse or t.layout != torch.strided:
        raise UnsafePickleError(f"the model file's {name} is not a dense tensor")
    elements = t.untyped_storage().nbytes() // max(1, t.element_size())
    try:
        check_tensor_layout(elements, t.storage_offset(), tuple(t.shape), t.stride())
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{name}: {exc}") from None


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    """torch._utils._rebuild_tensor_v2 after check_tensor_layout; hooks and metadata are dropped (inert)."""
    check_tensor_layout(_storage_elements(storage), storage_offset, size, stride)
    return torch._utils._rebuild_tensor_v2(storage, storage_offset, tuple(size), tuple(stride), bool(requires_grad), {})


def _rebuild_tensor(storage, storage_offset, size, stride):
    check_tensor_layout(_storage_elements(storage), storage_offset, size, stride)
    return torch._utils._rebuild_tensor(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *rest):
    if not isinstance(data, torch.Tensor):
        raise UnsafePickleError("the model file holds a parameter that is not a tensor")
    return torch.nn.Parameter(data, requires_grad=False)


@contextmanager
def reading_model(what: str) -> Iterator[None]:
    """Around the code that walks an unpickled model (converters, layout, building the network): the
    structure came from a file, so any Python error in walking it is the file's fault, and one line."""
    try:
        yield
    except LivedreamError:
        raise
    except (AttributeError, IndexError, TypeError, ValueError, KeyError, RuntimeError, OverflowError) as e:
        detail = " ".join(str(e).split())[:160]
        raise LivedreamError(f"{what}: not a usable model file ({type(e).__name__}: {detail})") from None


def _admitted() -> dict[tuple[str, str], Any]:
    np_core = np._core if hasattr(np, "_core") else np.core  # numpy 2 / numpy 1
    table: dict[tuple[str, str], Any] = {
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent,
        ("dnnlib", "EasyDict"): EasyDictStub,
        ("dnnlib.util", "EasyDict"): EasyDictStub,
        ("dnnlib.tflib.network", "Network"): TFNetworkStub,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): _load_storage_from_bytes,
        ("collections", "OrderedDict"): __import__("collections").OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
    }
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(mod, "_reconstruct")] = np_core.multiarray._reconstruct
        table[(mod, "scalar")] = np_core.multiarray.scalar
    table[("numpy", "ndarray")] = np.ndarray
    table[("numpy", "dtype")] = np.dtype
    return table


class RestrictedUnpickler(pickle.Unpickler):
    """pickle.Unpickler whose find_class consults a fixed table and whose persistent ids are refused."""

    _table: dict[tuple[str, str], Any] | None = None

    def find_class(self, module: str, name: str) -> Any:
        if RestrictedUnpickler._table is None:
            RestrictedUnpickler._table = _admitted()
        found = RestrictedUnpickler._table.get((module, name))
        if found is None and module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            found = getattr(torch, name)
        if found is None:
            raise UnsafePickleError(
                f"refused to load {module}.{name} from the model file: livedream reads weights only and runs no code from it"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("the model file uses pickle persistent ids, which a model pickle does not need")


def safe_load(f: BinaryIO) -> Any:
    """Unpickle f with RestrictedUnpickler. Raises UnsafePickleError or pickle/EOF errors for bad data."""
    return RestrictedUnpickler(f).load()
