"""YAML presets: named looks stored as parameter values, validated against the parameter table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from livedream.errors import LivedreamError
from livedream.params import validate_values
from livedream.resources import data_dir

# Keys a preset may hold besides parameters.
META_KEYS = ("description",)


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path
    description: str
    values: dict[str, Any]  # validated parameter values, only those the preset sets


def shipped() -> list[Path]:
    """The presets that come with livedream, sorted by name."""
    return sorted(data_dir("presets").glob("*.yaml"))


def find(name_or_path: str) -> Path:
    """A preset file from a shipped name ("rave") or a path ("my.yaml")."""
    path = Path(name_or_path).expanduser()
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        if not path.is_file():
            raise LivedreamError(f"preset file not found: {path}")
        return path
    candidate = data_dir("presets") / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(p.stem for p in shipped())
    raise LivedreamError(f"unknown preset {name_or_path!r}; shipped presets: {names} (or give a path to a .yaml file)")


def load(name_or_path: str) -> Preset:
    """Read and validate a preset; every problem is one line naming the file, the key, the value and what is allowed."""
    path = find(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LivedreamError(f"{path}: cannot read preset: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise LivedreamError(f"{path}: not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LivedreamError(f"{path}: a preset must be a mapping of parameter: value")
    description = data.pop("description", "")
    if not isinstance(description, str):
        raise LivedreamError(f"{path}: description must be text")
    values = validate_values(data, source=str(path))
    return Preset(name=path.stem, path=path, description=description.strip(), values=values)
