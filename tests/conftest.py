"""Shared fixtures, and the markers (gl, gpu, ndi, virtualcam, browser, needs): such tests skip, with the reason,
where the part is missing (tests/helpers/markers.py has the checks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers import markers

PROBLEMS: dict[str, Callable[[], str | None]] = {
    "gl": markers.gl_problem,
    "ndi": markers.ndi_problem,
    "virtualcam": markers.virtualcam_problem,
    "browser": markers.browser_problem,
    "gpu": markers.gpu_problem,
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, problem in PROBLEMS.items():
        if item.get_closest_marker(marker) and (why := problem()):
            pytest.skip(why)
    for mark in item.iter_markers("needs"):  # a class's and a module's marks too
        if why := markers.programs_problem(*mark.args):
            pytest.skip(why)


@pytest.fixture(scope="module")
def ctx():
    """A headless OpenGL context (EGL; Mesa's llvmpipe where there is no GPU)."""
    from livedream.render.gl import headless_context

    context = headless_context()
    yield context
    context.release()
