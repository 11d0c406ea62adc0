"""Shared fixtures, and the gl and gpu markers: such tests skip cleanly where there is no OpenGL or no CUDA."""

from __future__ import annotations

import functools

import pytest


@functools.cache
def _gl_problem() -> str | None:
    """Why no headless OpenGL context can be made here, or None when one can."""
    from livedream.errors import LivedreamError
    from livedream.render.gl import headless_context

    try:
        headless_context().release()
    except LivedreamError as exc:
        return str(exc)
    return None


@functools.cache
def netns_prefix() -> list[str] | None:
    """A command prefix that runs a program in a new network namespace with only loopback up, or None.

    NDI announces its sources with mDNS multicast; tests send no multicast, so NDI tests run in such a namespace.
    """
    import shutil
    import subprocess

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


def _ndi_problem() -> str | None:
    import importlib.util

    if importlib.util.find_spec("NDIlib") is None:
        return "NDI's runtime is not installed (pip install 'livedream[ndi]')"
    if netns_prefix() is None:
        return "no private network namespace (unshare -n): NDI's discovery would send multicast, which tests never do"
    return None


def _virtualcam_problem() -> str | None:
    import importlib.util

    if importlib.util.find_spec("pyvirtualcam") is None:
        return "pyvirtualcam is not installed (pip install 'livedream[virtualcam]')"
    if not loopback_devices():
        return "no v4l2loopback device /dev/video* (sudo modprobe v4l2loopback)"
    return None


def loopback_devices() -> list[str]:
    """The /dev/video* devices made by v4l2loopback (their sysfs name says so)."""
    import glob
    from pathlib import Path

    found = []
    for name_file in sorted(glob.glob("/sys/class/video4linux/video*/name")):
        name = Path(name_file).read_text(errors="replace").lower()
        if "loopback" in name or "dummy" in name or "virtual" in name:
            found.append("/dev/" + Path(name_file).parent.name)
    return found


def _browser_problem() -> str | None:
    import importlib.util
    import shutil

    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gl") and (problem := _gl_problem()):
        pytest.skip(problem)
    for marker, problem in (("ndi", _ndi_problem), ("virtualcam", _virtualcam_problem), ("browser", _browser_problem)):
        if item.get_closest_marker(marker) and (why := problem()):
            pytest.skip(why)
    if item.get_closest_marker("gpu"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip("no CUDA GPU here")


@pytest.fixture(scope="module")
def ctx():
    """A headless OpenGL context (EGL; Mesa's llvmpipe where there is no GPU)."""
    from livedream.render.gl import headless_context

    context = headless_context()
    yield context
    context.release()
