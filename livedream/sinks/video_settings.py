"""The video-out settings (NDI, a virtual camera), shared by live and export; cheap to import (no numpy, no GL)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoOutSettings:
    """Which video outputs to open; a render can be watched live as it goes, too."""

    ndi: str | None = None  # the NDI source name other software sees; None: no NDI
    virtual_camera: str | None = None  # "" the first loopback device, or a device path; None: no virtual camera
