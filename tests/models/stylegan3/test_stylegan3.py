"""StyleGAN3 T and R: NVIDIA's pixels from pickles in NVIDIA's layout, and bad or hostile files refused in one line.

tests/models/stylegan3/data/stylegan3_reference.npz holds what NVIDIA's own stylegan3 code (networks_stylegan3.py,
gen_images.py's steps: z = RandomState(seed).randn(1, z_dim), one-hot class, truncation, inverse
translate/rotate matrix in synthesis.input.transform) rendered on the CPU from exactly the weights
tests/helpers/stylegan3_writers.tiny_model makes, for each case in data/stylegan3_cases.json. NVIDIA's
code is not needed to run these tests; it was run once to make the file (see the report of issue 15).
"""

from __future__ import annotations

import json
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from livedream.cli.main import main
from livedream.errors import LivedreamError
from livedream.models.base import Generator, to_uint8
from livedream.models.registry import load_generator
from livedream.models.stylegan3 import StyleGAN3Generator
from tests.helpers.stylegan2_writers import Evil, dump
from tests.helpers.stylegan3_writers import snapshot, state_of, tiny_model, write_sg3_pickle
from tests.helpers.video import read_video

DATA = Path(__file__).parent / "data"
CASES = json.loads((DATA / "stylegan3_cases.json").read_text())


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sg3")
    paths = {}
    for name, spec in CASES["models"].items():
        paths[name] = root / f"{name}.pkl"
        write_sg3_pickle(paths[name], tiny_model(**spec), marker=root / "executed")
    paths["marker"] = root / "executed"
    return paths


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(DATA / "stylegan3_reference.npz") as f:
        return {k: f[k] for k in f.files}


def _inputs(gen: Generator, case: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    z = torch.from_numpy(np.random.RandomState(case["seed"]).randn(1, gen.z_dim))
    c = torch.zeros([1, gen.c_dim])
    if case["class"] is not None:
        c[0, case["class"]] = 1
    return z, c, torch.tensor([[*case["translate"], case["rotate"]]], dtype=torch.float32)


@pytest.mark.parametrize("index", range(len(CASES["renders"])))
def test_pixels_equal_nvidia_gen_images(models, reference, index):
    case = CASES["renders"][index]
    gen = load_generator(str(models[case["model"]]), device="cpu")  # the registry tells StyleGAN3 by content
    assert isinstance(gen, StyleGAN3Generator) and isinstance(gen, Generator)
    assert (gen.resolution, gen.z_dim, gen.device.type, gen.use_fp16) == (16, 12, "cpu", False)
    z, c, cam = _inputs(gen, case)
    out = gen(z, c, truncation=case["trunc"], camera=cam)
    expected = torch.from_numpy(reference[f"render{index}"])[None]
    assert out.shape == (1, 3, 16, 16) and expected.abs().max() > 0.1
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=2e-5)
    assert not models["marker"].exists()  # the module source in the file never ran


def test_configs_batches_and_camera(models):
    t = load_generator(str(models["t16"]), device="cpu")
    r = load_generator(str(models["r16"]), device="cpu")
    assert (t.net.cfg.config_name, r.net.cfg.config_name) == ("T", "R")
    z = torch.from_numpy(np.random.RandomState(1).randn(2, 12))
    cams = torch.tensor([[0.0, 0.0, 0.0], [0.2, 0.1, 45.0]])
    both = t(z, None, camera=cams)
    assert torch.allclose(both[0:1], t(z[0:1], None), atol=1e-6)  # a zero camera is the stored transform
    assert torch.allclose(both[1:2], t(z[1:2], None, camera=cams[1:2]), atol=1e-6)  # frames are independent
    assert not torch.allclose(t(z[1:2], None), both[1:2], atol=1e-3)  # the camera moves the picture


def test_matrix_and_convolution_filter_paths_agree(models, monkeypatch):
    """Short axes filter by matrix products, long ones by strided convolutions: the same numbers either way."""
    from livedream.models.stylegan3 import ops

    z = torch.from_numpy(np.random.RandomState(4).randn(1, 12))
    for name in ("t16",):
        default = load_generator(str(models[name]), device="cpu")(z, None)
        with monkeypatch.context() as m:
            m.setattr(ops, "MATMUL_UP_MAX", 0)
            m.setattr(ops, "MATMUL_DOWN_MAX", 0)
            convs = load_generator(str(models[name]), device="cpu")(z, None)
        torch.testing.assert_close(convs, default, atol=2e-5, rtol=1e-5)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fp16_matches_cpu(models):
    cpu = load_generator(str(models["t16c"]), device="cpu")
    gpu = load_generator(str(models["t16c"]), device="cuda")
    assert gpu.use_fp16
    z = torch.from_numpy(np.random.RandomState(0).randn(2, 12))
    c = torch.eye(4)[[1, 3]]
    cam = torch.tensor([[0.1, 0.0, 10.0], [0.0, 0.0, 0.0]])
    diff = (gpu(z, c, camera=cam).cpu() - cpu(z, c, camera=cam)).abs().max()
    assert diff < 0.05


def test_fp16_layers_run_and_stay_close(models):
    """fp16 plumbing on the CPU (the layers NVIDIA marks fp16, conv_clamp); CUDA is checked on a GPU."""
    g32 = load_generator(str(models["t16"]), device="cpu")
    from livedream.models.stylegan2 import load

    g16 = load(str(models["t16"]), device="cpu", fp16=True)
    marked = [getattr(g16.net.synthesis, n).spec.use_fp16 for n in g16.net.synthesis.layer_names]
    assert any(marked)  # at 16 px every layer is below NVIDIA's fp16 limit (4 highest resolutions)
    z = torch.from_numpy(np.random.RandomState(0).randn(2, 12))
    try:
        out16 = g16(z, None)
    except RuntimeError as e:  # a torch build without CPU half convolutions
        pytest.skip(f"no fp16 convolution on this CPU build: {e}")
    out32 = g32(z, None)
    assert out16.dtype == torch.float32 and torch.isfinite(out16).all()
    assert 0 < (out16 - out32).abs().max() < 0.05 * out32.abs().max()


def test_still_matches_reference_and_takes_translate_rotate(models, reference, tmp_path):
    index = 1
    case = CASES["renders"][index]
    assert case["model"] == "t16" and case["rotate"]
    args = ["still", "--style", str(models["t16"]), "--seeds", f"{case['seed']},2", "--trunc", str(case["trunc"]),
            "--translate", ",".join(map(str, case["translate"])), "--rotate", str(case["rotate"]),
            "--outdir", str(tmp_path), "--device", "cpu"]  # fmt: skip
    assert main(args) == 0
    got = np.asarray(Image.open(tmp_path / f"seed{case['seed']:04d}.png").convert("RGB")).astype(int)
    expected = to_uint8(torch.from_numpy(reference[f"render{index}"])[None])[0].astype(int)
    assert np.abs(got - expected).max() <= 1 and (got == expected).mean() > 0.99
    assert (tmp_path / "seed0002.png").exists()
    with pytest.raises(LivedreamError, match="StyleGAN3 model"):
        load_generator(str(models["t16"]), device="cpu", model_resolution=8)


# ---------------------------------------------------------------- bad and hostile files


def _layer(data: dict, i: int) -> dict:
    names = state_of(data, "G_ema", "synthesis")["layer_names"]
    return state_of(data, "G_ema", "synthesis", names[i])


def _edit_missing(data):
    del _layer(data, 2)["_buffers"]["magnitude_ema"]


def _edit_extra(data):
    _layer(data, 3)["_buffers"]["noise_const"] = torch.zeros(4, 4)


def _edit_shape(data):
    layer = _layer(data, 4)
    w = layer["_parameters"]["weight"]
    layer["_parameters"]["weight"] = torch.nn.Parameter(torch.zeros(w.shape[0], w.shape[1] + 1, *w.shape[2:]))


def _edit_padding(data):
    _layer(data, 5)["padding"] = [0, 0, 0, 0]


def _edit_attribute(data):
    del _layer(data, 1)["up_factor"]


def _edit_huge_channels(data):
    _layer(data, 1)["out_channels"] = 10**9


def _edit_module(data):
    state_of(data, "G_ema", "synthesis")["layer_names"].append("L99_36_16")


def _edit_names(data):
    state_of(data, "G_ema", "synthesis")["layer_names"][0] = "__class__"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_edit_missing, "missing tensor synthesis.L2_.*magnitude_ema"),
        (_edit_extra, "unexpected tensor synthesis.L3_.*noise_const"),
        (_edit_shape, r"L4_.*weight has shape .* the layout needs"),
        (_edit_padding, "L5_.*padding .* does not turn"),
        (_edit_attribute, "L1_.* has no attribute 'up_factor'"),
        (_edit_huge_channels, "out_channels = 1e\\+09 is out of range"),
        (_edit_module, "missing module synthesis.L99_36_16"),
        (_edit_names, "not a layer name"),
    ],
)
def test_extra_missing_or_misshapen_pieces_are_one_line(tmp_path, edit, message):
    data = snapshot(tiny_model("T", seed=4))
    edit(data)
    path = tmp_path / "bad.pkl"
    dump(data, path, protocol=4)
    with pytest.raises(LivedreamError, match=message) as info:
        load_generator(str(path), device="cpu")
    assert "\n" not in str(info.value) and "bad.pkl" in str(info.value)


class _GiantView:
    """Pickles as torch's tensor rebuild with a zero stride: 10**12 float32 elements declared on 1 stored."""

    def __reduce__(self):
        storage = torch.zeros(1).storage()
        return (torch._utils._rebuild_tensor_v2, (storage, 0, (10**12,), (0,), False, OrderedDict()))


@pytest.mark.parametrize("where", ["extra", "attribute", "kwargs", "giant"])
def test_hostile_pickles_are_refused_and_nothing_runs(tmp_path, where):
    marker = tmp_path / "pwned"
    evil = Evil(os.system, f"touch {marker}")
    data = snapshot(tiny_model("R", seed=5), marker=marker)
    if where == "extra":
        data["progress"] = evil
    elif where == "attribute":
        _layer(data, 0)["conv_clamp"] = evil
    elif where == "kwargs":
        state_of(data, "G_ema")["_init_kwargs"]["channel_base"] = Evil(eval, f"open({str(marker)!r}, 'w')")
    else:
        _layer(data, 0)["_parameters"]["bias"] = _GiantView()
    path = tmp_path / "evil.pkl"
    dump(data, path, protocol=4)
    with pytest.raises(LivedreamError, match="refused") as info:
        load_generator(str(path), device="cpu")
    assert "\n" not in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.98])
def test_truncated_stylegan3_files_are_refused(tmp_path, fraction):
    path = tmp_path / "cut.pkl"
    write_sg3_pickle(path, tiny_model("T", seed=6))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(LivedreamError, match="truncated|corrupt") as info:
        load_generator(str(path), device="cpu")
    assert "\n" not in str(info.value)


def test_a_plain_pickle_of_the_right_shape_runs_nothing(tmp_path):
    """A pickle naming NVIDIA's classes directly (not through persistence) is refused by name."""
    path = tmp_path / "direct.pkl"
    path.write_bytes(pickle.dumps({"G_ema": Evil(print, "hello")}))
    with pytest.raises(LivedreamError, match=r"refused to load \S*print"):
        load_generator(str(path), device="cpu")


@pytest.mark.gl
def test_export_renders_a_stylegan3_model_with_camera_and_direction(models, tmp_path):

    from livedream.audio.encode import write_audio

    t = np.arange(int(0.6 * 44100)) / 44100
    song = tmp_path / "song.wav"
    write_audio(
        song, (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 4 * t))).astype(np.float32)[:, None], 44100
    )
    out = tmp_path / "out.mp4"
    args = ["export", str(song), "--style", str(models["t16"]), "-o", str(out), "--fps", "10", "--size", "32x32",
            "--device", "cpu", "--sg3-rotate", "30", "--direction-1", "0.1", "--direction-audio", "level", "--direction-react", "0.3",
            "--flash-strength", "0", "--contrast-strength", "0"]  # fmt: skip
    assert main(args) == 0
    frames = read_video(out).frames
    assert len(frames) == 6 and frames[0].shape == (32, 32, 3)
    assert frames[0].std() > 1  # a picture, not a flat colour
    assert max(np.abs(f.astype(int) - frames[0]).mean() for f in frames[1:]) > 1  # the loudness moves direction 1
