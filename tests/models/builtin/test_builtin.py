"""The built-in style renders varied, smooth, colourful pictures from (z, c), deterministically and fast enough."""

from __future__ import annotations

import pytest
import torch

from livedream.models.base import Generator, to_uint8
from livedream.models.builtin import BuiltinStyle

RES = 128  # small renders keep the file fast; the look is resolution-independent


@pytest.fixture(scope="module")
def gen() -> BuiltinStyle:
    return BuiltinStyle(resolution=RES, seed=0)


def latents(n: int, seed: int, z_dim: int = 128) -> torch.Tensor:
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def one_hot(classes: list[int], c_dim: int = 16) -> torch.Tensor:
    return torch.eye(c_dim)[classes]


def saturation(images: torch.Tensor) -> torch.Tensor:
    """HSV saturation per pixel, [B, H, W], of images in [-1, 1]."""
    rgb = (images + 1) / 2
    hi, lo = rgb.max(dim=1).values, rgb.min(dim=1).values
    return (hi - lo) / hi.clamp(min=1e-3)


def hue_histogram(images: torch.Tensor, bins: int = 12) -> torch.Tensor:
    """Saturation-weighted hue histogram over a batch, normalised to sum 1."""
    rgb = ((images + 1) / 2).clamp(0, 1)
    r, g, b = rgb.unbind(dim=1)
    hue = torch.atan2(3**0.5 * (g - b), 2 * r - g - b)  # [-pi, pi]
    idx = ((hue + torch.pi) / (2 * torch.pi) * bins).long().clamp(0, bins - 1)
    hist = torch.zeros(bins).index_add_(0, idx.flatten(), saturation(images).flatten())
    return hist / hist.sum()


def test_implements_the_generator_protocol_with_shape_range_and_device(gen: BuiltinStyle) -> None:
    assert isinstance(gen, Generator)
    assert gen.device == torch.device("cpu") and gen.resolution == RES
    out = gen(latents(3, 0, gen.z_dim), one_hot([0, 3, 7], gen.c_dim))
    assert out.shape == (3, 3, RES, RES) and out.dtype == torch.float32 and out.device == gen.device
    assert out.min() >= -1 and out.max() <= 1
    assert to_uint8(out).shape == (3, RES, RES, 3)


@pytest.mark.parametrize("resolution", [64, 256, 512])
def test_resolution_is_a_constructor_argument(resolution: int) -> None:
    g = BuiltinStyle(resolution=resolution)
    out = g(latents(1, 0), one_hot([2]))
    assert out.shape == (1, 3, resolution, resolution)
    assert out.flatten(1).std() > 0.2


def test_same_picture_at_any_resolution() -> None:
    """Resolution is sampling density, not composition: 256 downsampled matches 128."""
    z, c = latents(2, 4), one_hot([1, 6])
    small = BuiltinStyle(128)(z, c)
    large = torch.nn.functional.avg_pool2d(BuiltinStyle(256)(z, c), 2)
    assert (small - large).abs().mean() < 0.08


def test_deterministic_for_a_seed_and_different_across_seeds(gen: BuiltinStyle) -> None:
    z, c = latents(2, 1), one_hot([0, 5])
    again = BuiltinStyle(resolution=RES, seed=0)
    assert torch.equal(gen(z, c), again(z, c))
    other = BuiltinStyle(resolution=RES, seed=1)
    assert (gen(z, c) - other(z, c)).abs().mean() > 0.2


def test_small_z_steps_are_small_changes_and_independent_z_are_large(gen: BuiltinStyle) -> None:
    z, c = latents(8, 2), one_hot([0, 1, 2, 3, 4, 5, 6, 7])
    step = latents(8, 3)
    base = gen(z, c)
    tinier = (gen(z + 0.002 * step, c) - base).abs().mean()
    tiny = (gen(z + 0.01 * step, c) - base).abs().mean()
    small = (gen(z + 0.05 * step, c) - base).abs().mean()
    independent = (gen(latents(8, 4), c) - base).abs().mean()
    assert independent > 0.35  # different anchors look clearly different
    assert tiny < 0.2 * independent
    assert tinier < 0.35 * tiny  # near-linear for small steps: motion, not noise
    assert tinier < tiny < small < independent


def test_z_range_gives_varied_pictures(gen: BuiltinStyle) -> None:
    """Within one class, pictures from different z are mutually far apart, not variations of one."""
    out = gen(latents(6, 5), one_hot([0] * 6)).flatten(1)  # [6, 3*H*W]
    dist = torch.cdist(out, out, p=1) / out.shape[1]
    off_diagonal = dist[~torch.eye(6, dtype=torch.bool)]
    assert off_diagonal.min() > 0.25


def test_classes_have_their_own_colours(gen: BuiltinStyle) -> None:
    z = latents(6, 6)
    a, b = gen(z, one_hot([0] * 6)), gen(z, one_hot([5] * 6))
    assert (a.mean(dim=(0, 2, 3)) - b.mean(dim=(0, 2, 3))).abs().max() > 0.2
    # total variation distance between hue histograms: palettes, not just brightness
    assert (hue_histogram(a) - hue_histogram(b)).abs().sum() / 2 > 0.5
    means = torch.stack([gen(z[:2], one_hot([k, k])).mean(dim=(0, 2, 3)) for k in range(gen.c_dim)])  # [C, 3]
    dist = torch.cdist(means, means)
    assert dist[~torch.eye(gen.c_dim, dtype=torch.bool)].min() > 0.03  # every class its own mean colour


def test_class_mixes_blend_continuously(gen: BuiltinStyle) -> None:
    z = latents(4, 7)
    a, b = gen(z, one_hot([0] * 4)), gen(z, one_hot([5] * 4))
    half = torch.zeros(4, gen.c_dim)
    half[:, 0] = half[:, 5] = 0.5
    mix = gen(z, half)
    ab = (a - b).abs().mean()
    assert (mix - a).abs().mean() > 0.1 * ab and (mix - b).abs().mean() > 0.1 * ab  # neither end
    assert (mix - a).abs().mean() < ab and (mix - b).abs().mean() < ab  # between them
    # Continuity: the change shrinks with the nudge (a hard switch between looks would not).
    changes = []
    for eps in (0.02, 0.002):
        nudged = half.clone()
        nudged[:, 0], nudged[:, 5] = 0.5 - eps, 0.5 + eps
        changes.append((gen(z, nudged) - mix).abs().mean())
    assert changes[0] < 0.6 * ab and changes[1] < 0.1 * ab and changes[1] < 0.25 * changes[0]


def test_soft_chroma_mixes_stay_colourful(gen: BuiltinStyle) -> None:
    """A mix of twelve classes, as the controller makes from the chroma, is not averaged into grey."""
    c = torch.zeros(8, gen.c_dim)
    c[:, :12] = torch.softmax(2 * torch.randn(8, 12, generator=torch.Generator().manual_seed(8)), dim=1)
    mixed = gen(latents(8, 9), c)
    pure = gen(latents(8, 9), one_hot(list(range(8))))
    assert saturation(mixed).mean() > 0.6 * saturation(pure).mean()
    assert saturation(mixed).mean() > 0.3


def test_empty_or_zero_class_vector_is_class_zero(gen: BuiltinStyle) -> None:
    z = latents(2, 10)
    assert torch.equal(gen(z, torch.zeros(2, gen.c_dim)), gen(z, one_hot([0, 0])))
    assert torch.equal(gen(z, torch.zeros(2, 0)), gen(z, one_hot([0, 0])))


def test_not_flat_not_noise_not_blown_out(gen: BuiltinStyle) -> None:
    out = gen(latents(16, 11), one_hot(list(range(16))))
    assert out.flatten(1).std(dim=1).min() > 0.15  # structure in every picture
    right, left = out[..., 1:].flatten(), out[..., :-1].flatten()
    assert torch.corrcoef(torch.stack([right, left]))[0, 1] > 0.9  # neighbours alike: smooth, not speckle
    white = (out > 0.95).all(dim=1).float().mean(dim=(1, 2))  # fraction of near-white pixels
    assert white.max() < 0.25
    assert saturation(out).mean(dim=(1, 2)).min() > 0.2  # no grey pictures


def test_truncation_changes_the_picture_and_zero_is_the_class_mean(gen: BuiltinStyle) -> None:
    z, c = latents(4, 12), one_hot([1, 2, 3, 4])
    assert (gen(z, c, truncation=0.5) - gen(z, c, truncation=1.0)).abs().mean() > 0.1
    assert (gen(z, c, truncation=1.5) - gen(z, c, truncation=1.0)).abs().mean() > 0.1
    assert torch.equal(gen(z, c, truncation=0.0), gen(latents(4, 13), c, truncation=0.0))


def test_batch_equals_singles(gen: BuiltinStyle) -> None:
    z, c = latents(4, 14), torch.softmax(torch.randn(4, gen.c_dim, generator=torch.Generator().manual_seed(1)), 1)
    batch = gen(z, c)
    singles = torch.cat([gen(z[i : i + 1], c[i : i + 1]) for i in range(4)])
    # the colour ramp is quantised, so float rounding may move a rare pixel by one ramp step
    assert (batch - singles).abs().mean() < 1e-5
    assert (batch - singles).abs().max() < 0.02


def test_wrong_shapes_are_refused(gen: BuiltinStyle) -> None:
    with pytest.raises(ValueError):
        gen(torch.zeros(1, 7), one_hot([0]))
    with pytest.raises(ValueError):
        gen(latents(1, 0), torch.zeros(1, 3))
