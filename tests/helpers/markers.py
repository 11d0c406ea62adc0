"""Why a marked test cannot run here, or None: the checks behind the markers conftest.py applies.

Each marker names a part that CI machines may lack (OpenGL, CUDA, NDI, a v4l2loopback device, Chromium,
programs such as jackd, Xvfb and oscsend); a test carrying it skips with the reason instead of failing.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import shutil
import subprocess
from pathlib import Path

LIVE_TOOLS = ("Xvfb", "jackd", "jack_metro", "jack_connect", "jack_lsp")  # what a live run under Xvfb and JACK needs


def missing_programs(*names: str) -> list[str]:
    """The programs among names (default: LIVE_TOOLS) that are not on PATH."""
    return [n for n in (names or LIVE_TOOLS) if shutil.which(n) is None]


def programs_problem(*names: str) -> str | None:
    """`@pytest.mark.needs("jackd", "oscsend")`'s check (no names: LIVE_TOOLS)."""
    missing = missing_programs(*names)
    return f"not installed: {', '.join(missing)}" if missing else None


@functools.cache
def gl_problem() -> str | None:
    """Why no headless OpenGL context can be made here, or None when one can."""
    from livedream.errors import LivedreamError
    from livedream.render.gl import headless_context

    try:
        headless_context().release()
    except LivedreamError as exc:
        return str(exc)
    return None


def gpu_problem() -> str | None:
    import torch

    return None if torch.cuda.is_available() else "no CUDA GPU here"


@functools.cache
def netns_prefix() -> list[str] | None:
    """A command prefix that runs a program in a new network namespace with only loopback up, or None.

    NDI announces its sources with mDNS multicast; tests send no multicast, so NDI tests run in such a namespace.
    """
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    for flags in ("-n", "-rn"):  # root, or an unprivileged user namespace
        prefix = ["unshare", flags, "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def ndi_problem() -> str | None:
    if importlib.util.find_spec("NDIlib") is None:
        return "NDI's runtime is not installed (pip install 'livedream[ndi]')"
    if netns_prefix() is None:
        return "no private network namespace (unshare -n): NDI's discovery would send multicast, which tests never do"
    return None


def loopback_devices() -> list[str]:
    """The /dev/video* devices made by v4l2loopback (their sysfs name says so)."""
    found = []
    for name_file in sorted(glob.glob("/sys/class/video4linux/video*/name")):
        name = Path(name_file).read_text(errors="replace").lower()
        if "loopback" in name or "dummy" in name or "virtual" in name:
            found.append("/dev/" + Path(name_file).parent.name)
    return found


def virtualcam_problem() -> str | None:
    if importlib.util.find_spec("pyvirtualcam") is None:
        return "pyvirtualcam is not installed (pip install 'livedream[virtualcam]')"
    if not loopback_devices():
        return "no v4l2loopback device /dev/video* (sudo modprobe v4l2loopback)"
    return None


def browser_problem() -> str | None:
    missing = missing_programs("chromium", "chromedriver")
    if missing:
        return f"not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    return None
