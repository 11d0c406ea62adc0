"""livedream: music into moving images, live or offline."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names loaded on first use, so that `import livedream` stays cheap (no torch, no GL).
_LAZY = {
    "LucidSonicDream": "livedream.lsd",
    "show_styles": "livedream.lsd",
    "EffectsGenerator": "livedream.render.cpu_effects",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'livedream' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
