"""The GLSL effect chain against Lucid Sonic Dreams' formulas (PIL, skimage), read back from real GL."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageStat

from livedream.errors import LivedreamError
from livedream.render.effects import EffectChain, mean_grey
from livedream.render.fit import fit_rect
from livedream.render.gl import compile_program
from livedream.util.resources import data_dir

pytestmark = pytest.mark.gl
LSD = 1.0  # flash_mode "lsd": Lucid Sonic Dreams' formula (the default, 0, is the tone-mapped flash)


@pytest.fixture
def chain_factory(ctx):
    chains = []

    def make(*args, **kwargs) -> EffectChain:
        chains.append(EffectChain(ctx, *args, **kwargs))
        return chains[-1]

    yield make
    for chain in chains:
        chain.release()


def random_image(width: int, height: int, seed: int = 0, high: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, (height, width, 3), dtype=np.uint8)


def lsd_contrast(image: np.ndarray, amount: float) -> np.ndarray:
    """ImageEnhance.Contrast(img).enhance(1 + amount) restated in numpy (rounded rather than truncated)."""
    luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    mean = int(np.round(luma).mean() + 0.5)
    return np.clip(np.round(mean + (1 + amount) * (image.astype(np.float64) - mean)), 0, 255).astype(np.uint8)


def lsd_flash(image: np.ndarray, amount: float) -> np.ndarray:
    """skimage rescale_intensity(img, in_range=(0, 255 * (1 - amount))) for uint8 input, restated in numpy."""
    top = 255.0 * (1.0 - amount)
    return np.round(np.clip(image.astype(np.float64), 0, top) / top * 255.0).astype(np.uint8)


def max_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def test_every_shader_compiles(ctx):
    frags = sorted(data_dir("shaders").glob("*.frag"))
    assert {p.stem for p in frags} >= {"contrast", "flash", "fit"}
    for path in frags:
        compile_program(ctx, path).release()


def test_broken_user_shader_names_its_file(ctx, tmp_path):
    bad = tmp_path / "broken.frag"
    bad.write_text("#version 330\nout vec4 f_color;\nvoid main() { f_color = nonsense; }\n")
    with pytest.raises(LivedreamError, match="broken.frag does not compile") as info:
        EffectChain(ctx, (8, 8), (8, 8), effects=[str(bad)])
    assert "\n" not in str(info.value)


def test_unknown_effect_lists_the_builtins(ctx):
    with pytest.raises(LivedreamError, match="unknown effect 'sparkle'.*contrast, flash"):
        EffectChain(ctx, (8, 8), (8, 8), effects=["sparkle"])


def test_amount_zero_is_identity_at_odd_size(chain_factory):
    image = random_image(37, 29)
    chain = chain_factory((37, 29), (37, 29))
    assert np.array_equal(chain.process(image, {}), image)
    assert np.array_equal(chain.process(image, {"contrast": 0.0, "flash": 0.0}), image)


def test_mean_grey_is_pils(chain_factory):
    for seed, high in ((1, 256), (2, 90), (3, 40)):
        image = random_image(53, 41, seed, high)
        expected = int(ImageStat.Stat(Image.fromarray(image).convert("L")).mean[0] + 0.5)
        assert mean_grey(image) == expected


@pytest.mark.parametrize("amount", [0.25, 0.5, 1.0, 2.5, -0.6])
@pytest.mark.parametrize("high", [256, 100])  # a dark image puts the mean far from mid-grey
def test_contrast_matches_lsd_and_pil(chain_factory, amount, high):
    image = random_image(64, 48, seed=int(amount * 100) + high, high=high)
    out = chain_factory((64, 48), (64, 48), effects=["contrast"]).process(image, {"contrast": amount})
    assert max_diff(out, lsd_contrast(image, amount)) <= 1
    pil = np.asarray(ImageEnhance.Contrast(Image.fromarray(image)).enhance(1 + amount))
    assert max_diff(out, pil) <= 2  # PIL truncates where GL rounds
    assert max_diff(out, image) > 10  # and it did something


@pytest.mark.parametrize("amount", [0.1, 0.3, 0.6, 0.95])
def test_flash_matches_skimage_formula(chain_factory, amount):
    image = random_image(64, 48, seed=7)
    out = chain_factory((64, 48), (64, 48), effects=["flash"]).process(image, {"flash": amount, "flash_mode": LSD})
    assert max_diff(out, lsd_flash(image, amount)) <= 1
    assert out.astype(int).sum() > image.astype(int).sum()


@pytest.mark.parametrize("amount", [1.0, 1.5])
def test_flash_at_one_and_beyond_is_white(chain_factory, amount):
    image = random_image(16, 16, seed=8)
    image[0, 0] = 0
    out = chain_factory((16, 16), (16, 16)).process(image, {"flash": amount, "flash_mode": LSD})
    assert out[0, 0].tolist() == [0, 0, 0]
    nonzero = image > 0
    assert (out[nonzero] == 255).all()


def test_effects_compose_in_order(chain_factory):
    image = random_image(40, 40, seed=9, high=180)
    out = chain_factory((40, 40), (40, 40)).process(image, {"contrast": 0.7, "flash": 0.3, "flash_mode": LSD})
    expected = lsd_flash(lsd_contrast(image, 0.7), 0.3)
    assert max_diff(out, expected) <= 2


def quadrants(width: int, height: int) -> np.ndarray:
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    image = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    image[:h2, :w2] = (255, 0, 0)
    image[:h2, w2:] = (0, 255, 0)
    image[h2:, :w2] = (0, 0, 255)
    image[h2:, w2:] = (255, 255, 255)
    return image


@pytest.mark.parametrize("fit", ["fill", "contain", "mirror"])
def test_orientation_top_row_stays_on_top(chain_factory, fit):
    out = chain_factory((32, 32), (48, 48), fit=fit).process(quadrants(32, 32), {"contrast": 0.2})
    assert out[2, 2].tolist() == [255, 0, 0]
    assert out[2, 45].tolist() == [0, 255, 0]
    assert out[45, 2].tolist() == [0, 0, 255]
    assert out[45, 45].tolist() == [255, 255, 255]


def test_flip_y_draws_upside_down_for_windows(ctx, chain_factory):
    chain = chain_factory((32, 32), (32, 32))
    target_texture = ctx.texture((32, 32), 4)
    target = ctx.framebuffer(color_attachments=[target_texture])
    chain.render(quadrants(32, 32), {}, target=target, flip_y=True)
    drawn = np.frombuffer(target.read(components=3), np.uint8).reshape(32, 32, 3)
    assert np.array_equal(drawn, quadrants(32, 32)[::-1])
    chain.render(quadrants(32, 32), {}, target=target)  # an offscreen framebuffer: no flip
    drawn = np.frombuffer(target.read(components=3), np.uint8).reshape(32, 32, 3)
    assert np.array_equal(drawn, quadrants(32, 32))
    target.release()
    target_texture.release()


def test_contain_pillarboxes_with_black_bars(chain_factory):
    image = np.full((256, 256, 3), (200, 120, 40), np.uint8)
    out = chain_factory((256, 256), (640, 360), fit="contain").process(image, {})
    assert out.shape == (360, 640, 3)
    assert (out[:, :140] == 0).all() and (out[:, 500:] == 0).all()
    assert (out[:, 140:500] == (200, 120, 40)).all()


def test_contain_letterboxes_portrait_output(chain_factory):
    image = np.full((64, 64, 3), 90, np.uint8)
    out = chain_factory((64, 64), (300, 500), fit="contain").process(image, {})
    assert (out[:100] == 0).all() and (out[400:] == 0).all()
    assert (out[100:400] == 90).all()


def test_fill_covers_and_crops_centred(chain_factory):
    rows = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, axis=1)  # value = source row
    image = np.stack([rows] * 3, axis=-1)
    out = chain_factory((256, 256), (640, 360), fit="fill").process(image, {})
    assert out.shape == (360, 640, 3)
    # 256 -> 640 scales by 2.5: 140 output rows (56 source rows) are cropped at the top and at the bottom.
    assert abs(int(out[0, 320, 0]) - 56) <= 1
    assert abs(int(out[-1, 320, 0]) - 199) <= 1
    assert (out[:, 0] == out[:, 639]).all()  # no bars: edge columns hold the image


def test_mirror_bars_reflect_the_edges(chain_factory):
    small = random_image(16, 16, seed=4)
    image = np.asarray(Image.fromarray(small).resize((256, 256), Image.BILINEAR))  # smooth but not flat
    out = chain_factory((256, 256), (640, 360), fit="mirror").process(image, {}).astype(int)
    assert out[:, :140].mean() > 20  # not black
    left, right = out[:, :140], out[:, 140:280]
    assert np.abs(left[:, ::-1] - right).max() <= 1  # column 139 - k mirrors column 140 + k
    assert np.abs(out[:, 500:] - out[:, 360:500][:, ::-1]).max() <= 1


def test_mirror_reflects_repeatedly_for_very_wide_outputs(chain_factory):
    image = quadrants(32, 32)
    out = chain_factory((32, 32), (200, 32), fit="mirror").process(image, {}).astype(int)
    # the image sits at x = 84..116; reflected copies alternate at 52..84, 20..52, and 0..20
    assert np.abs(out[:, 52:84] - out[:, 84:116][:, ::-1]).max() <= 1
    assert np.abs(out[:, 20:52] - out[:, 84:116]).max() <= 1


def test_shrinking_averages_instead_of_aliasing(chain_factory):
    yy, xx = np.mgrid[:384, :384]
    checker = (((yy + xx) % 2) * 255).astype(np.uint8)
    image = np.stack([checker] * 3, axis=-1)
    out = chain_factory((384, 384), (128, 128), fit="contain").process(image, {}).astype(float)
    assert abs(out.mean() - 127.5) < 8
    assert out.std() < 10  # plain bilinear at 3:1 lands on texel centres and returns the checkerboard


@pytest.mark.parametrize("fit", ["fill", "contain", "mirror"])
def test_odd_sizes(chain_factory, fit):
    image = random_image(37, 29, seed=5)
    chain = chain_factory((37, 29), (101, 57), fit=fit)
    out = chain.process(image, {"contrast": 0.5, "flash": 0.2})
    assert out.shape == (57, 101, 3)
    x0, y0, width, _ = fit_rect((37, 29), (101, 57), fit)
    if fit == "fill":
        assert x0 == 0 and y0 < 0  # as wide as the output, cropped top and bottom
        assert out[:, 0].max() > 0 and out[0].max() > 0 and out[-1].max() > 0
    else:
        assert x0 > 0 and (x0 + width) < 101
        side_bars = np.concatenate([out[:, :x0], out[:, x0 + width :]], axis=1)
        assert (side_bars == 0).all() == (fit == "contain")


def test_resize_and_read(chain_factory):
    image = quadrants(32, 32)
    chain = chain_factory((32, 32), (64, 64), fit="fill")
    first = chain.process(image, {})
    chain.resize((80, 40))
    second = chain.process(image, {})
    assert first.shape == (64, 64, 3) and second.shape == (40, 80, 3)
    assert np.array_equal(chain.read(), second) and second.flags.writeable
    assert second[1, 1].tolist() == [255, 0, 0] and second[-2, -2].tolist() == [255, 255, 255]


def test_user_effect_gets_time_and_resolution(chain_factory, tmp_path):
    shader = tmp_path / "clock.frag"
    shader.write_text(
        "#version 330\nin vec2 v_uv;\nuniform float u_amount;\nuniform float u_time;\nuniform vec2 u_resolution;\n"
        "out vec4 f_color;\n"
        "void main() { f_color = vec4(fract(u_time), u_amount, u_resolution.x / 100.0, 1.0); }\n"
    )
    chain = chain_factory((40, 20), (40, 20), effects=["contrast", str(shader)])
    out = chain.process(random_image(40, 20), {"clock": 0.5}, time=3.25)
    assert np.abs(out.astype(int) - [64, 128, 102]).max() <= 1


def test_bad_fit_and_image_shape(ctx, chain_factory):
    with pytest.raises(LivedreamError, match="unknown fit mode 'stretch'"):
        EffectChain(ctx, (8, 8), (8, 8), fit="stretch")
    chain = chain_factory((8, 8), (8, 8))
    with pytest.raises(ValueError, match=r"\[8, 8, 3\] uint8"):
        chain.process(np.zeros((8, 9, 3), np.uint8), {})
