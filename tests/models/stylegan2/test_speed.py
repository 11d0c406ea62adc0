"""StyleGAN2's speed options on the CPU: the same pictures as the default path, and the option really taken."""

from __future__ import annotations

import time

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from livedream.errors import LivedreamError
from livedream.models.stylegan2 import SpeedOptions, StyleGAN2Config, StyleGAN2Generator, StyleGAN2Network


@pytest.fixture(scope="module")
def net() -> StyleGAN2Network:
    torch.manual_seed(0)
    res = [4, 8, 16, 32]
    cfg = StyleGAN2Config(
        z_dim=16, w_dim=16, img_resolution=32, channels={r: 8 for r in res}, num_fp16_res=2, conv_clamp=256
    )
    return StyleGAN2Network(cfg)


def _z(batch: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 16, generator=torch.Generator().manual_seed(seed))


class _Convs(TorchFunctionMode):
    """Records (groups, input is NHWC) for every F.conv2d / conv_transpose2d call with several channels and pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, bool]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (F.conv2d, F.conv_transpose2d):
            x = args[0]
            groups = kwargs.get("groups", args[6] if len(args) > 6 else 1)
            if x.shape[1] > 3 and x.shape[2] > 1 and groups < x.shape[1]:  # not the depthwise FIR filters
                nhwc = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
                self.calls.append((groups, nhwc))
        return func(*args, **kwargs)


def _run(net, speed: SpeedOptions, batch: int, fp16: bool = False) -> tuple[torch.Tensor, list[tuple[int, bool]]]:
    gen = StyleGAN2Generator(net, "cpu", fp16=fp16, speed=speed)
    with _Convs() as convs:
        img = gen(_z(batch), None, truncation=0.8)
    return img, convs.calls


@pytest.mark.parametrize(("batch", "modconv"), [(1, "auto"), (3, "scaled")])
def test_channels_last_gives_the_same_pixels_through_nhwc_convolutions(net, batch, modconv):
    """Batch 1, or the scaled form: every modulated convolution runs on NHWC maps. (Grouped batches are
    reshaped to [1, B*C, H, W], which no layout keeps: the benchmark measures what that costs.)"""
    ref, ref_calls = _run(net, SpeedOptions(modconv=modconv), batch)
    img, calls = _run(net, SpeedOptions(modconv=modconv, channels_last=True), batch)
    torch.testing.assert_close(img, ref, atol=1e-5, rtol=1e-5)
    assert img.is_contiguous() and img.shape == (batch, 3, 32, 32)
    assert len(calls) == len(ref_calls) == 11  # 7 3x3 convolutions and 4 toRGB
    assert not any(nhwc for _, nhwc in ref_calls)
    assert all(nhwc for _, nhwc in calls)


def test_grouped_and_scaled_modconv_agree_and_each_is_taken(net):
    grouped, g_calls = _run(net, SpeedOptions(modconv="grouped"), 3)
    scaled, s_calls = _run(net, SpeedOptions(modconv="scaled"), 3)
    auto, a_calls = _run(net, SpeedOptions(), 3)
    torch.testing.assert_close(scaled, grouped, atol=1e-5, rtol=1e-5)
    assert torch.equal(auto, grouped) and a_calls == g_calls  # fp32: NVIDIA's choice is the grouped form
    assert {g for g, _ in g_calls} == {3} and {g for g, _ in s_calls} == {1}
    assert not torch.equal(scaled, grouped)  # really two computations


def test_fp16_modconv_forms_agree(net):
    try:
        grouped, _ = _run(net, SpeedOptions(modconv="grouped"), 2, fp16=True)
    except RuntimeError as e:  # a torch build without CPU half convolutions
        pytest.skip(f"no fp16 convolution on this CPU build: {e}")
    scaled, _ = _run(net, SpeedOptions(modconv="scaled", channels_last=True), 2, fp16=True)
    assert torch.isfinite(grouped).all()
    assert (grouped - scaled).abs().max() < 0.02 * grouped.abs().max()


def test_the_synthesis_traces_as_one_graph(net):
    """torch.compile gets one graph (no breaks) for each option set; traced with the eager backend, which is fast."""
    gen = StyleGAN2Generator(net, "cpu", model_resolution=8, speed=SpeedOptions(channels_last=True))  # 2 blocks: fast
    ws = gen.mapping(_z(1), None)
    t0 = time.perf_counter()
    traced = torch.compile(gen._synthesis_eager, backend="eager", fullgraph=True)
    with torch.inference_mode():
        out = traced(ws)
    assert time.perf_counter() - t0 < 30
    torch.testing.assert_close(out, gen.synthesis(ws), atol=0, rtol=0)


def test_options_that_cannot_work_are_refused(net):
    with pytest.raises(LivedreamError, match="CUDA graphs need a CUDA device"):
        StyleGAN2Generator(net, "cpu", speed=SpeedOptions(cuda_graph=True))
    with pytest.raises(LivedreamError, match="modconv 'fast'"):
        StyleGAN2Generator(net, "cpu", speed=SpeedOptions(modconv="fast"))
    with pytest.raises(LivedreamError, match="compile mode"):
        StyleGAN2Generator(net, "cpu", speed=SpeedOptions(compile_mode="turbo"))
    with pytest.raises(LivedreamError, match="makes its own CUDA graphs"):
        SpeedOptions(cuda_graph=True, compile_mode="reduce-overhead").check(torch.device("cuda"))
