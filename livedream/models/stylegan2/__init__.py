"""StyleGAN2 in plain PyTorch: one `load` for NVIDIA's PyTorch and TensorFlow pickles and rosinality checkpoints."""

from __future__ import annotations

import logging
import os
import pickle
import zipfile
from typing import TYPE_CHECKING

import torch

from livedream.errors import LivedreamError
from livedream.models.stylegan2.generator import StyleGAN2Generator
from livedream.models.stylegan2.network import StyleGAN2Config, StyleGAN2Network
from livedream.models.stylegan2.speed import SpeedOptions

if TYPE_CHECKING:
    from livedream.models.stylegan3 import StyleGAN3Generator

__all__ = [
    "SpeedOptions",
    "StyleGAN2Config",
    "StyleGAN2Generator",
    "StyleGAN2Network",
    "build_network",
    "load",
    "read_model",
]

log = logging.getLogger(__name__)

_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def _read_data(path: str, what: str) -> object:
    """Unpickle safely: torch's weights-only loader for torch.save files, our restricted unpickler otherwise."""
    from livedream.models.stylegan2.load_rosinality import read_checkpoint
    from livedream.models.stylegan2.safe_pickle import UnsafePickleError, safe_load

    with open(path, "rb") as f:
        head = f.read(len(_TORCH_LEGACY_MAGIC))
    if not head:
        raise LivedreamError(f"{what} is empty")
    if head.startswith(b"PK\x03\x04") or head == _TORCH_LEGACY_MAGIC:
        try:
            return read_checkpoint(path)
        except UnsafePickleError as e:
            raise LivedreamError(f"{what}: {e}") from None
        except pickle.UnpicklingError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else "unsupported content"
            raise LivedreamError(f"{what}: refused, it holds more than weights ({first[:160]})") from None
        except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
            raise LivedreamError(f"{what} is truncated or corrupt ({type(e).__name__})") from None
    if head[0] != 0x80:
        raise LivedreamError(f"{what} is not a StyleGAN2 model file (not a pickle or a PyTorch checkpoint)")
    try:
        with open(path, "rb") as f:
            return safe_load(f)
    except UnsafePickleError as e:
        raise LivedreamError(f"{what}: {e}") from None
    except LivedreamError:
        raise
    except EOFError:
        raise LivedreamError(f"{what} is truncated (the pickle ends early)") from None
    except pickle.UnpicklingError as e:
        if "truncated" in str(e):
            raise LivedreamError(f"{what} is truncated (the pickle ends early)") from None
        raise LivedreamError(f"{what} is not a valid model pickle ({e})") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError, MemoryError, OverflowError) as e:
        raise LivedreamError(f"{what} is corrupt or not a model pickle ({type(e).__name__}: {str(e)[:120]})") from None


def read_model(path: str) -> tuple[StyleGAN2Config, dict[str, torch.Tensor], str]:
    """Config, state dict in NVIDIA's PyTorch naming, and the format name ('ada', 'tf' or 'rosinality')."""

    what = os.path.basename(path) or path
    return _convert(_read_data(path, what), what)


def _convert(data: object, what: str) -> tuple[StyleGAN2Config, dict[str, torch.Tensor], str]:
    from livedream.models.stylegan2.load_ada import convert_ada, is_ada
    from livedream.models.stylegan2.load_rosinality import convert_rosinality, is_rosinality
    from livedream.models.stylegan2.load_tf import convert_tf, is_tf
    from livedream.models.stylegan2.safe_pickle import reading_model

    with reading_model(what):  # the structure is the file's: any error walking it is one line
        if is_ada(data):
            return (*convert_ada(data, what), "ada")
        if is_tf(data):
            return (*convert_tf(data, what), "tf")
        if is_rosinality(data):
            return (*convert_rosinality(data, what), "rosinality")
    raise LivedreamError(f"{what} holds no StyleGAN2 generator (looked for G_ema, a TensorFlow Gs, or g_ema)")


def build_network(cfg: StyleGAN2Config, state: dict[str, torch.Tensor], what: str = "model") -> StyleGAN2Network:
    """Build the network and copy the weights in; a mismatch is the user's file, so LivedreamError.

    The network the config describes is first built on the meta device (no memory) and every tensor of the
    file is checked against the shape it claims there, so a file cannot make us allocate more than it holds.
    """
    from livedream.models.stylegan2.safe_pickle import reading_model

    with reading_model(what):
        with torch.device("meta"):
            shapes = {k: tuple(v.shape) for k, v in StyleGAN2Network(cfg).state_dict().items()}
        missing = sorted(set(shapes) - set(state))
        extra = sorted(set(state) - set(shapes))
        wrong = [k for k in shapes if k in state and not _fits(tuple(state[k].shape), shapes[k])]
        if missing or extra or wrong:
            k = (wrong or missing or extra)[0]
            got = tuple(state[k].shape) if k in state else "missing"
            raise LivedreamError(
                f"{what}: weights do not fit a StyleGAN2 generator ({k}: expected {shapes.get(k, 'nothing')}, got {got})"
            )
        net = StyleGAN2Network(cfg)
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as e:
            detail = " ".join(str(e).split())[:300]
            raise LivedreamError(f"{what}: weights do not fit a StyleGAN2 generator ({detail})") from None
    return net


def _fits(got: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """The same shape; or a scalar stored as one value, which load_state_dict accepts too."""
    return got == expected or (expected == () and got == (1,))


def load(
    path_or_name: str,
    device: str | torch.device | None = None,
    model_resolution: int | None = None,
    noise_mode: str = "const",
    truncation_cutoff: int | None = None,
    fp16: bool | None = None,
    speed: SpeedOptions | None = None,
) -> StyleGAN2Generator | StyleGAN3Generator:
    """Load a StyleGAN2 or StyleGAN3 model file (or a catalogue name, downloaded once) into a ready generator.

    Formats: stylegan2-ada-pytorch and stylegan3 pickles (G_ema), TensorFlow stylegan2/stylegan2-ada
    pickles (Gs), rosinality .pt checkpoints (g_ema); which one is read off the file's content.
    Nothing stored in the file is executed. speed: see SpeedOptions (StyleGAN2 only).
    """
    path = path_or_name
    if not os.path.isfile(path):
        from livedream.models import catalogue

        if catalogue.find(path_or_name) is None:
            raise LivedreamError(
                f"{path_or_name}: no such model file, and no style of that name (see `livedream styles`)"
            )
        path = str(catalogue.fetch(path_or_name))
    if device is None:
        from livedream.models.registry import default_device

        device = default_device()
    what = os.path.basename(path) or path
    data = _read_data(path, what)
    from livedream.models import stylegan3

    if stylegan3.is_stylegan3(data):
        if model_resolution is not None:
            raise LivedreamError(f"--model-resolution: {what} is a StyleGAN3 model, which renders at its own size only")
        gen3 = stylegan3.from_data(data, what, device, fp16)
        gen3.truncation_cutoff = truncation_cutoff
        return gen3
    cfg, state, fmt = _convert(data, what)
    net = build_network(cfg, state, what)
    gen = StyleGAN2Generator(net, device, model_resolution, noise_mode, truncation_cutoff, fp16, what, speed)
    if fmt == "rosinality" and not bool(state["mapping.w_avg"].abs().sum()):
        gen.estimate_w_avg()
    log.info(
        "loaded %s (%s format): %dx%d, z_dim %d, c_dim %d, %s architecture, rendering at %d",
        what, fmt, cfg.img_resolution, cfg.img_resolution, cfg.z_dim, cfg.c_dim, cfg.architecture, gen.resolution,
    )  # fmt: skip
    return gen
