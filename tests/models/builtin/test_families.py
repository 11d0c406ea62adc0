"""Every built-in family: sharp, non-flat, moving 1080p frames; smooth in z; palettes that follow the class."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from livedream.errors import LivedreamError
from livedream.models import builtin
from livedream.models.base import Generator, to_uint8
from livedream.models.registry import load_generator

FAMILIES = builtin.names()
SMALL = 96


def latents(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 128, generator=torch.Generator().manual_seed(seed))


def luma(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # [..., H, W]


def test_four_distinct_families_with_marbling_the_default():
    assert len(FAMILIES) >= 4 and FAMILIES[0] == "marbling" == builtin.DEFAULT
    assert type(load_generator(None, device="cpu")) is type(load_generator("builtin:marbling", device="cpu"))
    assert type(load_generator("builtin", device="cpu")).__name__ == "BuiltinStyle"


@pytest.mark.parametrize("name", FAMILIES)
def test_sharp_non_flat_moving_frames_at_1080(name):
    gen = load_generator(f"builtin:{name}", device="cpu", output_size=(1920, 1080))
    assert isinstance(gen, Generator) and gen.resolution == 540  # half the output's short side, then upscaled
    z = latents(1, 1)
    z = torch.cat([z, z + 0.3 * latents(1, 2)])  # a frame, and a step of the music later
    out = gen(z, torch.eye(gen.c_dim)[[4, 4]])  # [2, 3, 540, 540]
    assert out.shape == (2, 3, 540, 540) and out.min() >= -1 and out.max() <= 1
    # Bicubic to 1080, as export's encoder scales it.
    frames = np.stack(
        [np.asarray(Image.fromarray(f).resize((1080, 1080), Image.Resampling.BICUBIC)) for f in to_uint8(out)]
    )  # [2, 1080, 1080, 3]
    y = luma(frames)
    assert y[0].std() > 25  # not flat
    assert (frames[0] >= 254).all(axis=2).mean() < 0.05  # not blown out
    moved = np.abs(y[1] - y[0]).mean()
    assert moved > 3  # the picture moves with z
    # Sharp at 1080: somewhere neighbouring pixels differ by many levels (edges, threads, veins one pixel wide).
    step = np.abs(np.diff(y[0], axis=1))
    assert np.percentile(step, 99.9) > 10, "soft: no pixel-scale detail at 1080"


@pytest.mark.parametrize("name", FAMILIES)
def test_smooth_in_z_and_varied_across_z(name):
    gen = builtin.make(name, resolution=SMALL)
    c = torch.eye(gen.c_dim)[[1, 1, 1]]
    z = latents(1, 3)
    imgs = gen(torch.cat([z, z + 0.02 * latents(1, 4), latents(1, 5)]), c)  # [3, 3, H, W]
    small = (imgs[1] - imgs[0]).abs().mean().item()
    large = (imgs[2] - imgs[0]).abs().mean().item()
    assert 0 < small < 0.25 * large
    assert torch.equal(gen(z, c[:1]), gen(z, c[:1]))  # deterministic


@pytest.mark.parametrize("name", FAMILIES)
def test_class_vector_changes_the_palette(name):
    gen = builtin.make(name, resolution=SMALL)
    z = latents(2, 6)
    means = []
    for cls in (0, 2, 11):  # aurora (teal), ember (red), synthwave (violet/pink)
        rgb = ((gen(z, torch.eye(gen.c_dim)[[cls, cls]]) + 1) / 2).mean(dim=(0, 2, 3))  # [3]
        means.append(rgb / rgb.sum())
    for i in range(3):
        for j in range(i + 1, 3):
            assert (means[i] - means[j]).abs().max() > 0.04, f"classes {i} and {j} look alike"
    # And a class mix moves continuously between them.
    a, b = torch.eye(gen.c_dim)[[0]], torch.eye(gen.c_dim)[[2]]
    mid = gen(z[:1], 0.5 * a + 0.5 * b)
    assert (mid - gen(z[:1], a)).abs().mean() > 0.01 and (mid - gen(z[:1], b)).abs().mean() > 0.01


def test_unknown_builtin_name_is_one_line_listing_the_names():
    with pytest.raises(LivedreamError) as err:
        load_generator("builtin:lava", device="cpu")
    text = str(err.value)
    assert "\n" not in text and "builtin:lava" in text
    assert all(f"builtin:{n}" in text for n in FAMILIES)
    run = subprocess.run(
        [sys.executable, "-m", "livedream", "still", "--style", "builtin:lava", "--seeds", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "builtin:tunnel" in run.stderr


def test_still_needs_no_class_for_the_builtin_style(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedream",
            "still",
            "--style",
            "builtin:crystal",
            "--seeds",
            "1-2",
            "--outdir",
            tmp_path,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    images = [np.asarray(Image.open(tmp_path / f"seed000{i}.png")) for i in (1, 2)]
    assert images[0].shape == (512, 512, 3) and luma(images[0]).std() > 20
    assert np.abs(images[0].astype(int) - images[1].astype(int)).mean() > 5  # seeds differ
