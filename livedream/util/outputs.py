"""The one output guard every command runs before it writes a file: never an input, never a preset, never a folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from livedream.errors import LivedreamError
from livedream.util.resources import data_dir

PRESET_SUFFIXES = (".yaml", ".yml")


def check_output(path: str | os.PathLike, flag: str, inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """The output path, expanded, once it is safe to write; else one LivedreamError naming the flag.

    Refused: a directory, a missing parent directory, any of `inputs` (the same file, through links too), an
    existing preset file (livedream never writes YAML), and anything in the shipped presets' folder.
    Writers still write through util.atomic, so what is refused here is never touched, and what is allowed is
    replaced whole or not at all.
    """
    out = Path(path).expanduser()
    where = f"{flag} {out}" if flag else str(out)
    if out.is_dir():
        raise LivedreamError(f"{where}: is a directory; give a file name")
    if not out.parent.is_dir():
        raise LivedreamError(f"{where}: directory {out.parent} does not exist")
    if out.exists():
        for src in inputs:
            if src is not None and Path(src).expanduser().exists() and _same(out, Path(src).expanduser()):
                raise LivedreamError(f"{where}: the output would overwrite the input {src}; choose another name")
        if out.suffix.lower() in PRESET_SUFFIXES:
            raise LivedreamError(f"{where}: is a preset file (livedream never overwrites one); choose another name")
    if out.resolve().parent == data_dir("presets").resolve():
        raise LivedreamError(f"{where}: is in livedream's presets folder; choose another place")
    return out


def check_outputs_differ(*outputs: tuple[str, Path | None]) -> None:
    """Two outputs of one command (--record and --stats-file, --json and --plot) must be different files."""
    seen: dict[Path, str] = {}
    for flag, path in outputs:
        if path is None:
            continue
        key = path.expanduser().resolve()
        if key in seen:
            raise LivedreamError(f"{flag} {path}: the same file as {seen[key]}; give each output its own name")
        seen[key] = flag


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()
