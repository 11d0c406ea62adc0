"""Generator tensor -> GL texture: every upload route gives the host route's texels, mean grey and final frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from livedream.models.base import to_uint8
from livedream.render.effects import EffectChain, mean_grey
from livedream.render.upload import UPLOAD_MODES, make_uploader, mean_grey_tensor, to_rgb8

AMOUNTS = {"contrast": 0.6, "flash": 0.3}


def _image(seed: int, h: int = 37, w: int = 37) -> torch.Tensor:
    """[3, H, W] in about [-1.3, 1.3]: some values clip, as a generator's do."""
    return torch.randn(3, h, w, generator=torch.Generator().manual_seed(seed)) * 0.6


def _texels(texture) -> np.ndarray:
    w, h = texture.size
    return np.frombuffer(texture.read(alignment=1), np.uint8).reshape(h, w, 3)


def test_rgb8_and_grey_on_the_device_equal_the_hosts():
    for seed in range(3):
        img = _image(seed)
        host = to_uint8(img[None])[0]  # [H, W, 3], the conversion export uses
        assert np.array_equal(to_rgb8(img).numpy(), host)
        assert mean_grey_tensor(to_rgb8(img)) == mean_grey(host)


@pytest.mark.gl
def test_host_and_pbo_routes_fill_the_texture_alike(ctx):
    """An odd width (37 x 3 bytes a row) checks the 1-byte row alignment of both routes."""
    chain = EffectChain(ctx, (37, 37), (50, 40), fit="contain")
    outs = {}
    try:
        for mode in ("host", "pbo"):
            up = make_uploader(ctx, (37, 37), "cpu", mode)
            assert up.name == mode
            for seed in range(2):  # twice: the second frame goes into an orphaned buffer
                img = _image(seed)
                grey = up.upload(img, chain.source)
                host = to_uint8(img[None])[0]
                assert np.array_equal(_texels(chain.source), host) and grey == mean_grey(host)
            chain.render_source(AMOUNTS, 0.5, grey=grey)
            outs[mode] = chain.read()
            up.release()
        chain.render(to_uint8(_image(1)[None])[0], AMOUNTS, 0.5)  # the numpy entry point
        assert np.array_equal(outs["host"], outs["pbo"]) and np.array_equal(outs["host"], chain.read())
        assert outs["host"].std() > 10  # a picture, not a blank
    finally:
        chain.release()


@pytest.mark.gl
def test_routes_that_need_cuda_fall_back_to_the_host_route_on_the_cpu(ctx, caplog):
    with caplog.at_level("INFO", logger="livedream.render.upload"):
        for mode in ("pinned", "interop"):
            assert make_uploader(ctx, (8, 8), "cpu", mode).name == "host"
    assert "interop upload unavailable" in caplog.text
    with pytest.raises(ValueError, match="upload mode"):
        make_uploader(ctx, (8, 8), "cpu", "teleport")
    assert UPLOAD_MODES == ("host", "pinned", "pbo", "interop")
