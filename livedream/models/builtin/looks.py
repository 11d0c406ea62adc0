"""The built-in style's classes: one hand-made look (palette and character) per class id."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Look:
    """How one class draws: a colour ramp from shadow to highlight, and the knobs that shape the pattern.

    symmetry is the order of rotational symmetry (1: none) and fold how much of it is applied, so
    that a mix of classes blends coordinates continuously; scale zooms out (more detail), warp is
    the strength of the swirl, bands the number of colour cycles across the field, gloss the
    strength of the specular highlight.
    """

    name: str
    stops: tuple[str, ...]
    symmetry: int = 1
    fold: float = 0.0
    scale: float = 1.0
    warp: float = 1.0
    bands: float = 1.0
    gloss: float = 0.5


# fmt: off
LOOKS: tuple[Look, ...] = (
    Look("aurora",    ("#03060f", "#0b3553", "#138f8c", "#6fe0a0", "#f1f5c4"), scale=1.0, warp=1.0),
    Look("sunset",    ("#10031c", "#55104a", "#c0265a", "#f56d1e", "#ffd36a"), scale=0.9, warp=1.1, bands=1.2),
    Look("ember",     ("#070101", "#360a05", "#962a0c", "#ee6418", "#ffe6a0"), scale=1.2, warp=1.3, gloss=0.7),
    Look("ocean",     ("#020a18", "#053866", "#0a78bc", "#4ccfe6", "#ddf8ff"), symmetry=6, fold=1.0, scale=1.1),
    Look("neon",      ("#080012", "#360ca0", "#f2288a", "#48c6ef", "#eeeeff"), scale=1.0, warp=1.2, bands=1.6),
    Look("acid",      ("#020902", "#0e3b12", "#38b048", "#d2f512", "#fbfbdc"), symmetry=4, fold=1.0, bands=1.4),
    Look("orchid",    ("#0c0220", "#2c165e", "#8a44ab", "#de58fa", "#ffd8fe"), symmetry=5, fold=1.0, warp=0.9),
    Look("gold",      ("#0d0903", "#3a290a", "#a47a02", "#fcbd04", "#fff3d4"), scale=0.8, warp=0.9, gloss=0.9),
    Look("ice",       ("#03070e", "#1a2947", "#5a7cb0", "#b5d5f5", "#eef6ff"), symmetry=3, fold=1.0, warp=0.8),
    Look("rose",      ("#130509", "#5a1a32", "#ce4a6a", "#f5a6a6", "#fff0e4"), scale=1.1, bands=1.3),
    Look("jungle",    ("#020f07", "#0a4d3a", "#2c916a", "#f2a058", "#f3e083"), scale=1.3, warp=1.2),
    Look("synthwave", ("#0a0220", "#2a02e8", "#f00288", "#fe8b40", "#fff2ae"), symmetry=8, fold=1.0, bands=1.2),
    Look("copper",    ("#090505", "#3e2117", "#ad653b", "#e6a67a", "#c6eee2"), scale=0.9, gloss=0.9),
    Look("lagoon",    ("#001118", "#005d70", "#0a9294", "#ec9a04", "#fbe3b0"), symmetry=6, fold=0.6, warp=1.1),
    Look("magma",     ("#04010b", "#390b50", "#a2205d", "#ef5f3a", "#fad28c"), scale=1.2, warp=1.4, bands=1.5),
    Look("duotone",   ("#050505", "#1e1146", "#02b2d6", "#fd026c", "#fdf9de"), symmetry=4, fold=0.7, bands=1.3),
)
# fmt: on


def _hex(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def ramp_table(look: Look, size: int) -> torch.Tensor:
    """The look's colour ramp sampled at `size` points, in linear light so that blends don't darken: [size, 3]."""
    stops = (
        torch.tensor([_hex(s) for s in look.stops], dtype=torch.float64) ** 2
    )  # [S, 3]; gamma 2: sqrt brings it back cheaply
    pos = torch.linspace(0, len(look.stops) - 1, size, dtype=torch.float64)  # [size]
    lo = pos.floor().long().clamp(max=len(look.stops) - 2)
    frac = (pos - lo).unsqueeze(1)  # [size, 1]
    frac = frac * frac * (3 - 2 * frac)  # smoothstep between stops: no visible kinks in the gradient
    return (stops[lo] * (1 - frac) + stops[lo + 1] * frac).float()  # [size, 3]
