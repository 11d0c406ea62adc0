"""SeFa latent directions: orthonormal, stable, smooth to play; routed from the parameters and the audio.

Generators without directions (the built-in style, a user's function) take the parameters and ignore them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import by_role
from livedream.control.controller import Controller
from livedream.control.latent import LatentFrame
from livedream.models.base import to_uint8
from livedream.models.builtin import BuiltinStyle
from livedream.models.directions import sefa
from livedream.models.inference import generate_frames
from livedream.models.registry import load_generator
from livedream.params import NUM_DIRECTIONS, defaults
from tests.helpers.stylegan2_writers import tf_to_ada, tf_variables, write_ada_pickle
from tests.helpers.stylegan3_writers import tiny_model, write_sg3_pickle


@pytest.fixture(scope="module")
def gens(tmp_path_factory):
    root = tmp_path_factory.mktemp("dirs")
    write_ada_pickle(root / "sg2.pkl", tf_to_ada(tf_variables(resolution=16, z_dim=8, w_dim=8, seed=7)))
    write_sg3_pickle(root / "t.pkl", tiny_model("T", seed=8))
    write_sg3_pickle(root / "r.pkl", tiny_model("R", seed=9))
    return {name: load_generator(str(root / f"{name}.pkl"), device="cpu") for name in ("sg2", "t", "r")}


@pytest.mark.parametrize("name", ["sg2", "t", "r"])
def test_directions_are_orthonormal_principal_axes(gens, name):
    d = gens[name].directions
    k = min(NUM_DIRECTIONS, d.vectors.shape[1])
    assert gens[name].num_directions == d.count == k
    torch.testing.assert_close(d.vectors @ d.vectors.T, torch.eye(k), atol=1e-5, rtol=0)
    assert (d.eigenvalues[:-1] >= d.eigenvalues[1:] - 1e-6).all() and (d.scales > 0).all()
    # The first direction is the one along which the stacked, row-normalised affine weights vary most.
    syn = gens[name].net.synthesis
    weights = (
        [
            syn.b4.conv1.affine.weight,
            syn.b8.conv0.affine.weight,
            syn.b8.conv1.affine.weight,
            syn.b16.conv0.affine.weight,
        ]
        if name == "sg2"
        else [getattr(syn, n).affine.weight for n in syn.layer_names[:4]]
    )
    a = torch.cat(weights).double()
    a = a / a.norm(dim=1, keepdim=True)
    gain = lambda v: float((a @ v.double()).norm())  # noqa: E731
    rng = torch.Generator().manual_seed(0)
    for _ in range(20):
        v = torch.randn(d.vectors.shape[1], generator=rng)
        assert gain(v / v.norm()) <= gain(d.vectors[0]) + 1e-6
    again = sefa(weights, d.rows)
    assert torch.equal(again.vectors, d.vectors)  # signs fixed: the same +1 on every load


@pytest.mark.parametrize("name", ["sg2", "t", "r"])
def test_moving_direction_1_changes_the_picture_smoothly(gens, name):
    gen = gens[name]
    z = torch.from_numpy(np.random.RandomState(3).randn(1, gen.z_dim)).float()
    c = torch.zeros([1, gen.c_dim])
    base = gen(z, c)
    assert torch.equal(gen(z, c, directions=torch.zeros(1, NUM_DIRECTIONS)), base)
    steps = torch.tensor([0.01, 0.02, 0.05, 0.1, 0.2, -0.1, 1.0])
    amounts = torch.zeros(len(steps), NUM_DIRECTIONS)
    amounts[:, 0] = steps
    imgs = gen(z.repeat(len(steps), 1), c.repeat(len(steps), 1), directions=amounts)
    far = (imgs - base).abs().mean(dim=(1, 2, 3))  # distance from the unmoved picture
    assert far[-1] > 0.05 * base.abs().mean()  # the full fader does something visible
    assert (far[1:4] > far[:3]).all() and far[4] > 0.5 * far[3]  # small moves: steadily further away
    ratio = float(far[0] / far[3])
    assert 0.05 < ratio < 0.2, ratio  # a 10x smaller move is about a 10x smaller change: smooth, no jumps
    assert 1 / 3 < float(far[5] / far[3]) < 3  # bipolar: -0.1 moves about as far as +0.1 ...
    assert (imgs[5] - imgs[3]).abs().mean() > far[3]  # ... the other way


def test_offsets_land_on_the_style_rows_only(gens):
    gen = gens["t"]
    z = torch.from_numpy(np.random.RandomState(1).randn(2, gen.z_dim)).float()
    ws = gen.mapping(z, None)
    moved = gen.directions.apply(ws, torch.tensor([[0.5, 0, 0, 0, 0, 0, 0, -1.0]] * 2))
    changed = (moved - ws).abs().sum(dim=(0, 2)) > 0
    assert changed.nonzero().flatten().tolist() == gen.directions.rows == list(range(1, gen.num_ws))  # not row 0


def _features(harmonic: float = 0.0, percussive: float = 0.0):
    f = AudioFeatures.silent(0.0)
    f = AudioFeatures(**{**f.__dict__, "harmonic_env": harmonic, "percussive_env": percussive})
    return by_role(f)


def test_controller_routes_parameters_and_audio_to_directions_and_camera():
    p = defaults()
    assert all(p[f"direction_{i}"] == 0 for i in range(1, 9)) and p["direction_audio"] == "off"
    ctl = Controller(8, 0, p)
    frame = ctl.step(0.0, _features(harmonic=0.8))
    assert not frame.directions.any() and not frame.camera.any()  # defaults: no change at all
    ctl.set_params({"direction_2": -0.5, "direction_audio": "harmonic", "direction_audio_target": 3,
                    "direction_react": 0.5, "sg3_translate_x": 0.25, "sg3_rotate": 90})  # fmt: skip
    frame = ctl.step(0.1, _features(harmonic=0.8, percussive=1.0))
    np.testing.assert_allclose(frame.directions, [0, -0.5, 0.4, 0, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(frame.camera, [0.25, 0, 90])
    ctl.set_params({"direction_audio": "percussive", "direction_react": -1.0})
    np.testing.assert_allclose(ctl.step(0.2, _features(harmonic=0.8, percussive=0.6)).directions[2], -0.6, atol=1e-6)


def test_camera_and_directions_reach_the_generator_through_the_frame_path(gens):
    gen = gens["t"]
    z = np.random.RandomState(2).randn(gen.z_dim).astype(np.float32)
    cam, push = np.array([0.3, -0.2, 60.0], np.float32), np.eye(8, dtype=np.float32)[0]
    frames = [LatentFrame(0.0, z, np.zeros(0, np.float32)), LatentFrame(0.0, z, np.zeros(0, np.float32), camera=cam),
              LatentFrame(0.0, z, np.zeros(0, np.float32), directions=push)]  # fmt: skip
    got = generate_frames(gen, frames)
    zt = torch.from_numpy(z)[None]
    expected = [gen(zt, None), gen(zt, None, camera=torch.from_numpy(cam)[None]),
                gen(zt, None, directions=torch.from_numpy(push)[None])]  # fmt: skip
    for g, e in zip(got, expected, strict=True):
        assert np.abs(g.astype(int) - to_uint8(e)[0]).max() <= 1  # batched vs alone: rounding only
    assert not np.array_equal(got[0], got[1]) and not np.array_equal(got[0], got[2])


def test_generators_without_directions_ignore_them():
    gen = BuiltinStyle(resolution=32, device=torch.device("cpu"))
    z = np.random.RandomState(0).randn(gen.z_dim).astype(np.float32)
    c = np.zeros(gen.c_dim, np.float32)
    plain = generate_frames(gen, [LatentFrame(0.0, z, c)])
    moved = generate_frames(gen, [LatentFrame(0.0, z, c, directions=np.ones(8, np.float32),
                                              camera=np.array([1.0, 1.0, 45.0], np.float32))])  # fmt: skip
    assert np.array_equal(plain, moved)
