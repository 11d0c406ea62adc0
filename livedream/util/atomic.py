"""Outputs that appear whole or not at all: written under a hidden temporary name, renamed when complete."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path, suffix: str = "") -> Path:
    """A hidden, unique name in path's directory (same file system, so the final rename is atomic)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part{suffix}")


@contextmanager
def atomic_output(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write; it becomes `path` only if the block completes, else it is removed.

    An interrupted or failed write therefore never leaves a half-written file under the user's
    name, and never clobbers an existing file there. suffix keeps an extension for writers that
    pick the format from the name.
    """
    path = Path(path)
    tmp = temporary_sibling(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
