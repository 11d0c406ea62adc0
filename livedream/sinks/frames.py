"""Every frame of a render as a numbered PNG in a folder (Lucid Sonic Dreams' save_frames), beside the MP4."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from livedream.errors import LivedreamError
from livedream.sinks.base import OutputFrame
from livedream.util.atomic import atomic_output

log = logging.getLogger(__name__)

DIGITS = 6  # 000000.png ...: sorts by name up to a million frames (6.5 h at 43 fps)


class FrameFolder:
    """Writes frame k as `<folder>/<k, zero-padded to digits>.png`.

    Numbered PNGs left there by an earlier render are removed first, so the folder holds exactly this
    render's frames; other files in it are left alone. Each PNG appears whole or not at all.
    """

    def __init__(self, folder: Path, digits: int | None = None) -> None:
        self.folder = Path(folder)
        self.digits = DIGITS if digits is None else int(digits)
        if self.folder.exists() and not self.folder.is_dir():
            raise LivedreamError(f"{self.folder}: exists and is not a folder; cannot save frames there")
        try:
            self.folder.mkdir(exist_ok=True)
        except OSError as e:
            raise LivedreamError(f"{self.folder}: cannot create the frames folder ({e.strerror})") from None
        stale = [p for p in self.folder.glob("*.png") if p.stem.isdigit()]
        for path in stale:
            path.unlink()
        if stale:
            log.info("removed %d frames of an earlier render from %s", len(stale), self.folder)

    def write(self, frame: OutputFrame) -> None:
        """The FrameSink side: the frame's own number."""
        self.save(frame.time.index, frame.pixels())

    def close(self) -> None:
        """Every PNG is already in place."""

    def abort(self) -> None:
        """Frames written so far stay: each is whole, and they are what the render got to."""

    def save(self, k: int, frame: np.ndarray) -> Path:
        """Save frame [H, W, 3] uint8 as number k; returns its path."""
        from PIL import Image

        path = self.folder / f"{k:0{self.digits}d}.png"
        with atomic_output(path, suffix=".png") as tmp:
            Image.fromarray(frame, "RGB").save(tmp, format="PNG", compress_level=1)
        return path
