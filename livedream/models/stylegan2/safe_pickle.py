"""A pickle reader that admits only the classes model files need and never runs code stored in them.

NVIDIA's pickles name `torch_utils.persistence._reconstruct_persistent_obj` (which would exec the
embedded Python source) and `dnnlib.tflib.network.Network` (which would exec its build module). Here
those names map to inert stand-ins that keep the pickled state: tensors, arrays and init kwargs.
Every other global is refused, so a pickle whose reduce calls os.system cannot run anything.
"""

from __future__ import annotations

import io
import pickle
import warnings
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


def _check_view(storage: Any, offset: Any, size: Any, stride: Any) -> None:
    """Refuse a tensor that declares more elements than its storage holds (a zero-stride giant, say).

    torch checks that a view stays inside its storage, but a stride-0 view of one number can declare
    trillions of elements, and the first copy of it would allocate them all.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # TypedStorage deprecation
            n_storage = int(storage.size())
        dims = [int(d) for d in size]
        steps = [int(s) for s in stride]
        start = int(offset)
    except (TypeError, ValueError):
        raise UnsafePickleError("the model file holds a tensor with a malformed size") from None
    if len(dims) != len(steps) or any(d < 0 for d in dims) or any(s < 0 for s in steps) or start < 0:
        raise UnsafePickleError("the model file holds a tensor with a malformed size")
    numel = 1
    for d in dims:
        numel *= d
    if numel > max(n_storage, 1) or any(s == 0 and d > 1 for d, s in zip(dims, steps, strict=True)):
        raise UnsafePickleError(
            f"the model file declares a tensor of {numel} elements on a storage of {n_storage}: refused"
        )


def _rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, *args: Any) -> Any:
    _check_view(storage, offset, size, stride)
    return torch._utils._rebuild_tensor_v2(storage, offset, size, stride, *args)


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any) -> Any:
    _check_view(storage, offset, size, stride)
    return torch._utils._rebuild_tensor(storage, offset, size, stride)


def _admitted() -> dict[tuple[str, str], Any]:
    np_core = np._core if hasattr(np, "_core") else np.core  # numpy 2 / numpy 1
    table: dict[tuple[str, str], Any] = {
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent,
        ("dnnlib", "EasyDict"): EasyDictStub,
        ("dnnlib.util", "EasyDict"): EasyDictStub,
        ("dnnlib.tflib.network", "Network"): TFNetworkStub,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
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
