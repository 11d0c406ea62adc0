"""Loading StyleGAN2 files in all three formats, and refusing bad or malicious ones without running anything."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from livedream.errors import LivedreamError
from livedream.models.base import Generator
from livedream.models.stylegan2 import load, read_model
from tests.helpers.stylegan2_writers import (
    Evil,
    tf_to_ada,
    tf_variables,
    write_ada_pickle,
    write_rosinality,
    write_tf_pickle,
)


@pytest.fixture(scope="module")
def variables():
    return tf_variables(resolution=16, z_dim=8, w_dim=8, seed=11)


def _z(seed: int, n: int = 8) -> torch.Tensor:
    return torch.from_numpy(np.random.RandomState(seed).randn(1, n))


def test_three_formats_give_identical_pictures(tmp_path, variables):
    marker = tmp_path / "executed"
    write_tf_pickle(tmp_path / "tf.pkl", variables, marker=marker)
    write_ada_pickle(tmp_path / "ada.pkl", tf_to_ada(variables), marker=marker)
    write_rosinality(tmp_path / "ros.pt", variables)
    formats = {read_model(str(tmp_path / f))[2] for f in ("tf.pkl", "ada.pkl", "ros.pt")}
    assert formats == {"tf", "ada", "rosinality"}
    gens = [load(str(tmp_path / f), device="cpu") for f in ("tf.pkl", "ada.pkl", "ros.pt")]
    for g in gens:
        assert isinstance(g, Generator)
        assert (g.z_dim, g.c_dim, g.resolution, g.device.type, g.noise_mode) == (8, 0, 16, "cpu", "const")
    for seed, psi in ((0, 1.0), (7, 0.7)):
        imgs = [g(_z(seed), None, truncation=psi) for g in gens]
        assert imgs[0].dtype == torch.float32 and imgs[0].shape == (1, 3, 16, 16)
        assert torch.equal(imgs[0], imgs[1]) and torch.equal(imgs[0], imgs[2])
    assert not marker.exists()  # the embedded build/module source was never executed


def test_rosinality_without_latent_avg_estimates_it(tmp_path, variables):
    write_rosinality(tmp_path / "ros.pt", variables, latent_avg=False)
    gen = load(str(tmp_path / "ros.pt"), device="cpu")
    w_avg = gen.net.mapping.w_avg
    assert w_avg.abs().sum() > 0
    # it is the mean w of many random z, so truncation 0 gives (nearly) that mean
    z = torch.from_numpy(np.random.RandomState(123).randn(2000, 8))
    with torch.inference_mode():
        mean_w = gen.mapping(z, None)[:, 0].mean(0)
    torch.testing.assert_close(w_avg, mean_w, atol=0.15 * mean_w.abs().max().item(), rtol=0)


def test_ada_settings_conditional_and_fp16_flags(tmp_path):
    v = tf_variables(resolution=32, z_dim=8, w_dim=8, c_dim=5, seed=2)
    write_ada_pickle(tmp_path / "c.pkl", tf_to_ada(v), num_fp16_res=2, conv_clamp=256)
    write_tf_pickle(tmp_path / "c_tf.pkl", v, {"label_size": 5, "num_fp16_res": 2, "conv_clamp": 256})
    cfg, _, fmt = read_model(str(tmp_path / "c.pkl"))
    assert (fmt, cfg.c_dim, cfg.z_dim, cfg.conv_clamp, cfg.num_fp16_res) == ("ada", 5, 8, 256.0, 2)
    a = load(str(tmp_path / "c.pkl"), device="cpu")
    b = load(str(tmp_path / "c_tf.pkl"), device="cpu")
    assert not a.use_fp16  # fp32 on the CPU by default
    assert [getattr(a.net.synthesis, f"b{r}").use_fp16 for r in (4, 8, 16, 32)] == [False, False, True, True]
    c = torch.eye(5)[[3]]
    assert torch.equal(a(_z(1), c), b(_z(1), c))
    assert not torch.allclose(a(_z(1), c), a(_z(1), torch.eye(5)[[0]]))  # the class matters


def test_fp16_path_runs_and_stays_close(tmp_path):
    """fp16 plumbing on the CPU (NVIDIA's prescaling, unfused batches, clamp); the GPU check is separate."""
    v = tf_variables(resolution=16, z_dim=8, w_dim=8, seed=5)
    write_ada_pickle(tmp_path / "m.pkl", tf_to_ada(v), num_fp16_res=2, conv_clamp=256)
    g32 = load(str(tmp_path / "m.pkl"), device="cpu")
    g16 = load(str(tmp_path / "m.pkl"), device="cpu", fp16=True)
    z = torch.from_numpy(np.random.RandomState(0).randn(3, 8))
    try:
        out16 = g16(z, None)
    except RuntimeError as e:  # a torch build without CPU half convolutions
        pytest.skip(f"no fp16 convolution on this CPU build: {e}")
    out32 = g32(z, None)
    assert out16.dtype == torch.float32 and torch.isfinite(out16).all()
    assert (out16 - out32).abs().max() < 0.05 * out32.abs().max()
    assert not torch.equal(out16, out32)  # it really ran in half precision


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fp16_matches_cpu(tmp_path):
    v = tf_variables(resolution=32, z_dim=8, w_dim=8, seed=5)
    write_ada_pickle(tmp_path / "m.pkl", tf_to_ada(v), num_fp16_res=2, conv_clamp=256)
    cpu = load(str(tmp_path / "m.pkl"), device="cpu")
    gpu = load(str(tmp_path / "m.pkl"), device="cuda")
    assert gpu.use_fp16
    z = torch.from_numpy(np.random.RandomState(0).randn(2, 8))
    diff = (gpu(z, None).cpu() - cpu(z, None)).abs().max()
    assert diff < 0.05


def test_generator_validates_options(tmp_path, variables):
    write_tf_pickle(tmp_path / "m.pkl", variables, {"architecture": "skip"})
    with pytest.raises(LivedreamError, match="power of two"):
        load(str(tmp_path / "m.pkl"), device="cpu", model_resolution=12)
    with pytest.raises(LivedreamError, match="power of two"):
        load(str(tmp_path / "m.pkl"), device="cpu", model_resolution=32)
    with pytest.raises(LivedreamError, match="noise mode"):
        load(str(tmp_path / "m.pkl"), device="cpu", noise_mode="loud")
    v = tf_variables(resolution=16, architecture="resnet", seed=1)
    write_tf_pickle(tmp_path / "r.pkl", v, {"architecture": "resnet"})
    with pytest.raises(LivedreamError, match="skip-architecture"):
        load(str(tmp_path / "r.pkl"), device="cpu", model_resolution=8)


# ---------------------------------------------------------------- refusing bad input


def _evil_payloads(marker):
    return [
        Evil(os.system, f"touch {marker}"),
        Evil(eval, f"open({str(marker)!r}, 'w')"),
        Evil(exec, f"open({str(marker)!r}, 'w')"),
    ]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_malicious_pickles_are_refused_and_nothing_runs(tmp_path, which):
    marker = tmp_path / "pwned"
    evil = _evil_payloads(marker)[which]
    cases = {
        "top.pkl": lambda p: p.write_bytes(pickle.dumps(evil)),
        "in_dict.pkl": lambda p: p.write_bytes(pickle.dumps({"G_ema": evil})),
        "in_ada.pkl": lambda p: write_ada_pickle(p, tf_to_ada(tf_variables(resolution=8)), extra={"progress": evil}),
        "in_tf.pkl": lambda p: write_tf_pickle(p, tf_variables(resolution=8), {"architecture": evil}),
        "in_pt.pt": lambda p: torch.save({"g_ema": {}, "latent_avg": evil}, p),
    }
    for name, write in cases.items():
        path = tmp_path / name
        write(path)
        with pytest.raises(LivedreamError) as info:
            load(str(path), device="cpu")
        msg = str(info.value)
        assert "\n" not in msg and name in msg and "refused" in msg, msg
        assert not marker.exists(), name


def test_stylegan3_pickle_goes_to_the_stylegan3_loader(tmp_path):
    write_ada_pickle(tmp_path / "sg3.pkl", tf_to_ada(tf_variables(resolution=8)), stylegan3=True)
    with pytest.raises(LivedreamError, match="not a StyleGAN3 generator"):
        load(str(tmp_path / "sg3.pkl"))
    with pytest.raises(LivedreamError, match="is a StyleGAN3 model"):
        read_model(str(tmp_path / "sg3.pkl"))


@pytest.mark.parametrize("fmt", ["tf.pkl", "ada.pkl", "ros.pt"])
@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.98])
def test_truncated_files_give_one_clear_line(tmp_path, variables, fmt, fraction):
    path = tmp_path / fmt
    {"tf.pkl": lambda: write_tf_pickle(path, variables), "ada.pkl": lambda: write_ada_pickle(path, tf_to_ada(variables)),
     "ros.pt": lambda: write_rosinality(path, variables)}[fmt]()  # fmt: skip
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(LivedreamError, match="truncated|corrupt") as info:
        load(str(path), device="cpu")
    assert "\n" not in str(info.value)


def test_files_that_are_not_models(tmp_path):
    cases = {
        "empty.pkl": (b"", "empty"),
        "text.pkl": (b"hello, this is not a model\n", "not a StyleGAN2 model file"),
        "noise.pkl": (
            bytes(np.random.RandomState(0).randint(0, 256, 4096, dtype=np.uint8)),
            "not a StyleGAN2 model file",
        ),
        "png.pkl": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a StyleGAN2 model file"),
        "dict.pkl": (pickle.dumps({"weights": [1, 2, 3]}), "holds no StyleGAN2 generator"),
        "garbage_pickle.pkl": (b"\x80\x04\x95garbage-after-a-pickle-header", "corrupt|not a valid|truncated"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LivedreamError, match=message):
            load(str(tmp_path / name), device="cpu")
    torch.save({"model": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(LivedreamError, match="holds no StyleGAN2 generator"):
        load(str(tmp_path / "other.pt"), device="cpu")
    with pytest.raises(LivedreamError, match="no such model file"):
        load(str(tmp_path / "missing.pkl"), device="cpu")


def test_tf_stylegan1_and_unknown_variables_are_refused(tmp_path, variables):
    v = dict(variables)
    v["synthesis/4x4/Const/StyleMod/weight"] = np.zeros([8, 32], np.float32)
    write_tf_pickle(tmp_path / "v1.pkl", v)
    with pytest.raises(LivedreamError, match="version 1"):
        load(str(tmp_path / "v1.pkl"))
    v = dict(variables)
    v["synthesis/16x16/Extra/weight"] = np.zeros([3], np.float32)
    write_tf_pickle(tmp_path / "x.pkl", v)
    with pytest.raises(LivedreamError, match="unrecognised TensorFlow variable"):
        load(str(tmp_path / "x.pkl"))
    v = dict(variables)
    v["synthesis/16x16/Conv1/weight"] = np.zeros([3, 3, 5, 8], np.float32)  # wrong in-channels
    write_tf_pickle(tmp_path / "shape.pkl", v)
    with pytest.raises(LivedreamError, match="do not fit"):
        load(str(tmp_path / "shape.pkl"))
