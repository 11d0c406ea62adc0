"""Where a source image lies in the output for each fit mode: pure geometry, no GL."""

from __future__ import annotations

from livedream.errors import LivedreamError

FIT_MODES = ("fill", "contain", "mirror")
DEFAULT_FIT = "contain"  # bars, nothing cropped: a square model's whole picture on any screen


def fit_rect(src_size: tuple[int, int], out_size: tuple[int, int], fit: str) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) in output pixels of the scaled source, y counted from the top.

    "fill" covers the output and overhangs it (negative x0 or y0: the overflow is cropped, centred);
    "contain" and "mirror" fit inside and leave bars. Sizes are rounded to whole pixels so bars
    and mirror seams fall on pixel edges; the aspect ratio changes by under a pixel.
    """
    if fit not in FIT_MODES:
        raise LivedreamError(f"unknown fit mode {fit!r}; choose one of {', '.join(FIT_MODES)}")
    sw, sh = src_size
    ow, oh = out_size
    if min(sw, sh, ow, oh) < 1:
        raise LivedreamError(f"image sizes must be positive, got source {sw}x{sh} and output {ow}x{oh}")
    scale = max(ow / sw, oh / sh) if fit == "fill" else min(ow / sw, oh / sh)
    width = max(1, round(sw * scale))
    height = max(1, round(sh * scale))
    # Floor division keeps an odd leftover pixel on the right/bottom, for both bars and overhangs.
    return (ow - width) // 2, (oh - height) // 2, width, height
