"""The tone-mapped flash lifts toward white without blowing out; flash_mode lsd keeps LSD's formula (real GL)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from livedream.control.amplitudes import effect_amounts
from livedream.lsd.params import table_values
from livedream.models.base import to_uint8
from livedream.models.builtin import make
from livedream.params import BY_NAME, resolve
from livedream.render.effects import EffectChain

pytestmark = pytest.mark.gl

SIZE = 160


@pytest.fixture(scope="module")
def frames() -> dict[str, np.ndarray]:
    """One real frame of each built-in family (bright highlights included), [H, W, 3] uint8."""
    z = torch.randn(1, 128, generator=torch.Generator().manual_seed(5))
    return {name: to_uint8(make(name, resolution=SIZE)(z, torch.eye(16)[[2]]))[0] for name in ("marbling", "crystal")}


@pytest.fixture(scope="module")
def chain(ctx):
    chain = EffectChain(ctx, (SIZE, SIZE), (SIZE, SIZE), effects=["flash"])
    yield chain
    chain.release()


def newly_clipped(before: np.ndarray, after: np.ndarray) -> float:
    """Fraction of pixels that the flash drove to 255 in some channel that was below 255 before."""
    return float(((after == 255) & (before < 255)).any(axis=2).mean())


def luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def flash(chain: EffectChain, image: np.ndarray, params: dict, hit: float = 1.0) -> np.ndarray:
    return chain.process(image, effect_amounts({"flash": hit}, params))


@pytest.mark.parametrize("name", ["marbling", "crystal"])
def test_a_full_hit_at_default_strength_brightens_and_clips_at_most_two_percent(chain, frames, name):
    image = frames[name]
    params = resolve()
    assert params["flash_mode"] == "tonemap"
    out = flash(chain, image, params)
    assert newly_clipped(image, out) <= 0.02
    assert luma(out).mean() > luma(image).mean() + 35  # a flash you see
    # Detail survives: the picture is still there, not a flat white field.
    assert np.corrcoef(luma(out).ravel(), luma(image).ravel())[0, 1] > 0.95
    assert luma(out).std() > 0.4 * luma(image).std()
    # The same hit with LSD's formula cuts a large part of the frame to white.
    lsd = flash(chain, image, {**params, "flash_mode": "lsd"})
    assert newly_clipped(image, lsd) > 5 * max(newly_clipped(image, out), 0.01)


def test_tonemap_is_monotonic_in_the_amount_and_in_the_input(chain):
    ramp = np.repeat(np.linspace(0, 255, SIZE).round().astype(np.uint8)[None, :, None], SIZE, axis=0)
    ramp = np.repeat(ramp, 3, axis=2)  # [H, W, 3]: a grey ramp, black to white across
    params = resolve()
    rows = [flash(chain, ramp, params, hit)[0, :, 0].astype(int) for hit in (0.2, 0.5, 1.0)]
    for row in rows:
        assert (np.diff(row) >= 0).all()  # no level is inverted
        assert row[-1] == 255 and (row[:-3] < 255).all()  # only white stays white, even at a full strength-1 hit
    assert (rows[0] <= rows[1]).all() and (rows[1] <= rows[2]).all() and rows[2][0] > rows[0][0]
    # Gradations survive in the highlights: the top quarter still spans many levels at the default hit.
    assert len(np.unique(rows[1][3 * SIZE // 4 :])) > 12


def test_lsd_api_uses_lsd_flash_and_the_table_default_is_tonemap():
    assert BY_NAME["flash_mode"].default == "tonemap" and BY_NAME["flash_mode"].choices == ("tonemap", "lsd")
    assert table_values({}, {})["flash_mode"] == "lsd"
    assert table_values({"flash_mode": "tonemap"}, {})["flash_mode"] == "tonemap"
