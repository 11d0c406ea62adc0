"""The built-in styles: procedural, weight-free families chosen with --style builtin:NAME (marbling by default)."""

from __future__ import annotations

import importlib

import torch

from livedream.errors import LivedreamError
from livedream.models.builtin.marbling import BuiltinStyle

# name -> (module, class, one line for `livedream styles`); the first is the default.
FAMILIES: dict[str, tuple[str, str, str]] = {
    "marbling": ("marbling", "BuiltinStyle", "glossy marbled ink, curl-noise swirls (the default)"),
    "crystal": ("crystal", "CrystalStyle", "faceted Voronoi cells like stained glass or gemstones"),
    "filament": ("filament", "FilamentStyle", "glowing threads that follow a curl-noise flow"),
    "tunnel": ("tunnel", "TunnelStyle", "a kaleidoscopic tunnel that flies with the music"),
}
DEFAULT = "marbling"

__all__ = ["BuiltinStyle", "DEFAULT", "FAMILIES", "make", "names"]


def names() -> tuple[str, ...]:
    """The built-in family names, default first."""
    return tuple(FAMILIES)


def make(name: str | None, resolution: int = 256, seed: int = 0, device: str | torch.device = "cpu"):
    """The built-in family `name` (None or "": the default) as a ready Generator; unknown names: one line."""
    key = (name or DEFAULT).strip().lower()
    if key not in FAMILIES:
        raise LivedreamError(
            f"--style builtin:{name}: no built-in style of that name; built-in styles: "
            + ", ".join(f"builtin:{n}" for n in FAMILIES)
        )
    module, cls, _ = FAMILIES[key]
    family = getattr(importlib.import_module(f"livedream.models.builtin.{module}"), cls)
    return family(resolution=resolution, seed=seed, device=device)
