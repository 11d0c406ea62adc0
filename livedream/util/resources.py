"""Where the shipped data lives: shaders/ and presets/, inside the installed wheel or the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # livedream/


def data_dir(name: str) -> Path:
    """The directory of shipped files `name` ("shaders" or "presets").

    A wheel installs them inside the package (livedream/shaders); a source checkout or an
    editable install keeps them at the repository root, beside livedream/.
    """
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"livedream's {name}/ directory is missing from this installation")
