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


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gl") and (problem := _gl_problem()):
        pytest.skip(problem)
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
