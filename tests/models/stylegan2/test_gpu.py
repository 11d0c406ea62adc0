"""StyleGAN2 on CUDA (skipped without one): fp16 against fp32, CUDA against the CPU, each speed option
against the eager default, and every GPU->GL upload route against the host route."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch

from livedream.models.stylegan2 import SpeedOptions, StyleGAN2Config, StyleGAN2Generator, StyleGAN2Network

pytestmark = pytest.mark.gpu


@contextlib.contextmanager
def strict_fp32():
    """TF32 off: CUDA's "fp32" convolutions and matrix products round to 10 mantissa bits by default."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def tiny_net(seed: int = 0) -> StyleGAN2Network:
    """64 px, 32 channels, fp16 from 16 px up, toRGB scaled so that images are not saturated (std about 0.5)."""
    torch.manual_seed(seed)
    res = [4, 8, 16, 32, 64]
    cfg = StyleGAN2Config(
        z_dim=32, w_dim=32, img_resolution=64, channels={r: 32 for r in res}, num_fp16_res=3, conv_clamp=256
    )
    net = StyleGAN2Network(cfg)
    with torch.inference_mode():
        std = float(StyleGAN2Generator(net, "cpu")(z(2), None).std())
    with torch.no_grad():
        for r in res:
            getattr(net.synthesis, f"b{r}").torgb.weight.mul_(0.5 / std)
    return net


def z(batch: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, 32, generator=torch.Generator().manual_seed(seed))  # [B, 32]


def run(net, device, batch=2, seed=1, **kw) -> torch.Tensor:
    with torch.inference_mode():
        return StyleGAN2Generator(net, device, **kw)(z(batch, seed), None, truncation=0.8).float().cpu()


def levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| of the displayed images in 0..255 levels."""
    return (a.clamp(-1, 1) - b.clamp(-1, 1)).abs() * 127.5


@pytest.fixture(scope="module")
def net():
    return tiny_net()


def test_fp16_is_within_2_levels_of_fp32_on_99_percent_of_pixels(net):
    img16 = run(net, "cuda", batch=4, fp16=True)
    with strict_fp32():
        img32 = run(net, "cuda", batch=4, fp16=False)
    d = levels(img16, img32)
    assert torch.isfinite(img16).all() and img32.std() > 0.2  # a real picture, not clipped flat
    assert (d <= 2).float().mean() >= 0.99 and d.max() < 16
    assert d.max() > 0  # it really ran in half precision


def test_cuda_fp32_matches_the_cpu(net):
    cpu = run(net, "cpu", batch=2)
    with strict_fp32():
        strict = run(net, "cuda", batch=2, fp16=False)
    default = run(net, "cuda", batch=2, fp16=False)  # TF32 as torch leaves it
    assert (strict - cpu).abs().max() < 5e-4
    assert levels(default, cpu).max() < 2


@pytest.mark.parametrize("batch", [1, 2])
def test_cuda_graph_replays_the_eager_network(net, batch):
    graphed = StyleGAN2Generator(net, "cuda", speed=SpeedOptions(cuda_graph=True))
    eager = StyleGAN2Generator(net, "cuda")
    with torch.inference_mode():
        first = graphed(z(batch, 1).cuda(), None, truncation=0.7)
        second = graphed(z(batch, 2).cuda(), None, truncation=0.7)  # the same graph, new input
        assert torch.allclose(first, eager(z(batch, 1).cuda(), None, truncation=0.7), atol=1e-2, rtol=0)
        assert torch.allclose(second, eager(z(batch, 2).cuda(), None, truncation=0.7), atol=1e-2, rtol=0)
    assert not torch.equal(first, second)  # a copy is returned, not the graph's buffer
    assert len(graphed._graphed._graphs) == 1


@pytest.mark.parametrize(("batch", "modconv"), [(1, "auto"), (4, "auto"), (4, "grouped"), (1, "scaled")])
def test_channels_last_and_modconv_forms_match_the_default_in_fp16(net, batch, modconv):
    ref = run(net, "cuda", batch=batch, fp16=True)
    alt = run(net, "cuda", batch=batch, fp16=True, speed=SpeedOptions(channels_last=True, modconv=modconv))
    d = levels(alt, ref)
    assert (d <= 2).float().mean() >= 0.99 and d.max() < 16


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["reduce-overhead", "max-autotune-no-cudagraphs"])
def test_compiled_synthesis_matches_eager(net, mode):
    torch._dynamo.reset()
    ref = run(net, "cuda", batch=1, fp16=True)
    out = run(net, "cuda", batch=1, fp16=True, speed=SpeedOptions(compile_mode=mode))
    d = levels(out, ref)
    assert (d <= 2).float().mean() >= 0.99 and d.max() < 16


@pytest.mark.gl
def test_every_upload_route_fills_the_texture_like_the_host_route(ctx):
    from livedream.render.effects import mean_grey
    from livedream.render.upload import UPLOAD_MODES, make_uploader, to_rgb8

    img = (torch.randn(3, 37, 37, generator=torch.Generator().manual_seed(0)) * 0.6).cuda()
    host = to_rgb8(img).cpu().numpy()
    texture = ctx.texture((37, 37), 3)
    nvidia_gl = "nvidia" in str(ctx.info.get("GL_VENDOR", "")).lower()
    try:
        for mode in UPLOAD_MODES:
            up = make_uploader(ctx, (37, 37), "cuda", mode)
            try:
                if mode == "interop" and not nvidia_gl:
                    assert up.name == "host"  # Mesa's GL: no interop, the clean fallback
                else:
                    assert up.name == mode
                for seed in range(2):
                    frame = img if seed == 0 else img.flip(1)
                    texture.write(np.zeros((37, 37, 3), np.uint8), alignment=1)  # poison first
                    grey = up.upload(frame, texture)
                    texels = np.frombuffer(texture.read(alignment=1), np.uint8).reshape(37, 37, 3)
                    expect = to_rgb8(frame).cpu().numpy()
                    assert np.array_equal(texels, expect), mode
                    assert grey == mean_grey(expect), mode
            finally:
                up.release()
        assert host.std() > 10
    finally:
        texture.release()
