"""A chunked export's bookkeeping: the split into chunks, the work folder that keeps finished ones, the join.

    output.mp4                      the finished file (renamed into place by the join, as export() does)
    .output.mp4.chunks/job.json     what the chunks were rendered from (a fingerprint and its parts)
    .output.mp4.chunks/000003.mp4   chunk 3: video only, a closed GOP from an IDR frame, whole or absent

Nothing here knows Ray: modes/chunked.py renders the chunks in this process or hands them to
modes/distributed.py; either way a rerun with the same fingerprint renders only the chunks missing here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output

log = logging.getLogger(__name__)

MANIFEST = "job.json"
DIGITS = 6


@dataclass(frozen=True)
class Chunk:
    """Frames first .. first + count - 1 of the render."""

    index: int
    first: int
    count: int

    @property
    def frames(self) -> str:
        return f"frames {self.first}-{self.first + self.count - 1}"


def split(n_frames: int, fps: Fraction, chunk_seconds: float, batch_size: int) -> list[Chunk]:
    """Chunks of about chunk_seconds, each a whole number of generator batches.

    A chunk that starts on a multiple of batch_size batches its frames as export() does (a batch of 4 differs
    from 4 batches of 1 by a few grey levels in float reduction order), so every chunk draws export()'s pixels.
    """
    if not chunk_seconds > 0:
        raise LivedreamError(f"--chunk-seconds must be > 0, got {chunk_seconds:g}")
    batch = max(1, int(batch_size))
    size = max(batch, math.ceil(max(1, round(chunk_seconds * fps)) / batch) * batch)
    return [Chunk(i, first, min(size, n_frames - first)) for i, first in enumerate(range(0, n_frames, size))]


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, read in blocks (a two-hour WAV is about a second)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def fingerprint(parts: Mapping[str, Any]) -> str:
    """One hash of everything that changes a pixel or the split (the parts are JSON-able)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class WorkFolder:
    """The hidden folder beside the output that keeps finished chunks between runs.

    open() refuses a folder left by a render with other settings (naming what differs) unless restart
    is asked, so chunks of two renders are never mixed; a missing or unreadable manifest is a fresh start.
    """

    def __init__(self, output: Path):
        self.output = Path(output)
        self.path = self.output.with_name(f".{self.output.name}.chunks")

    def chunk_path(self, index: int) -> Path:
        return self.path / f"{index:0{DIGITS}d}.mp4"

    def done(self, chunks: Sequence[Chunk]) -> set[int]:
        """Indices of the chunks whose file is here (each was renamed into place whole)."""
        return {c.index for c in chunks if self.chunk_path(c.index).is_file()}

    def open(self, parts: Mapping[str, Any], restart: bool = False) -> None:
        """Make the folder ready for the render described by parts; raises when it holds another render's chunks."""
        key = fingerprint(parts)
        if self.path.is_dir():
            old = self._manifest()
            if restart or old is None:
                self.remove()
            elif old.get("key") != key:
                before = old.get("parts", {})
                differ = sorted(k for k in set(before) | set(parts) if before.get(k) != _plain(parts).get(k))
                n = len(list(self.path.glob("[0-9]*.mp4")))
                raise LivedreamError(
                    f"{self.path} holds {n} chunk(s) of an unfinished render with other settings "
                    f"({', '.join(differ) or 'version'}); rerun with --restart to throw them away"
                )
        elif self.path.exists():
            raise LivedreamError(f"{self.path}: exists and is not a folder; move it away to render {self.output}")
        self.path.mkdir(exist_ok=True)
        with atomic_output(self.path / MANIFEST, suffix=".json") as tmp:
            tmp.write_text(json.dumps({"key": key, "parts": _plain(parts)}, indent=1, sort_keys=True))

    def _manifest(self) -> dict | None:
        try:
            data = json.loads((self.path / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def store(self, index: int, data: bytes) -> None:
        """A chunk's encoded bytes (from a worker elsewhere), in place whole or not at all."""
        with atomic_output(self.chunk_path(index), suffix=".mp4") as tmp:
            tmp.write_bytes(data)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _plain(parts: Mapping[str, Any]) -> dict:
    """parts as they read back from the manifest (tuples become lists), so a comparison is like for like."""
    return json.loads(json.dumps(dict(parts), sort_keys=True, default=str))


def join(work: WorkFolder, chunks: Sequence[Chunk], fps: Fraction, size: tuple[int, int], soundtrack) -> Path:
    """The chunks remuxed in order into work.output (no video re-encoding), the soundtrack encoded once.

    Written under a hidden temporary name and renamed when complete; a chunk with the wrong frame count
    (a damaged work folder) fails the join with one line and leaves the output untouched.
    """
    from livedream.sinks.mp4 import Mp4Writer

    first = work.chunk_path(chunks[0].index)
    with Mp4Writer(work.output, size, fps, audio=soundtrack, video_from=first) as writer:
        for c in chunks:
            got = writer.append_encoded(work.chunk_path(c.index))
            if got != c.count:
                raise LivedreamError(
                    f"{work.chunk_path(c.index)}: {got} frames where chunk {c.index} has {c.count}; "
                    "rerun with --restart"
                )
    return work.output
