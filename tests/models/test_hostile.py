"""Crafted model files: tensors bigger than their data, layouts that lie, malformed structures the safe
unpickler admits. Each is refused with one line, inside a 3 GiB address-space limit (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import ROOT
from tests.helpers.stylegan2_writers import (
    Network,
    Persistent,
    dump,
    tf_to_ada,
    tf_to_rosinality,
    tf_variables,
    write_ada_pickle,
)

MEMORY_LIMIT = 3 << 30  # bytes of address space: torch fits, a 16 GiB tensor does not


def _load_limited(paths: list[Path]) -> dict[str, str]:
    """Load each file in one subprocess under MEMORY_LIMIT: {file name: the one-line error, or 'loaded'}."""
    script = textwrap.dedent(f"""
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
        from livedream.errors import LivedreamError
        from livedream.models.stylegan2 import load
        out = {{}}
        for path in sys.argv[1:]:
            try:
                load(path, device="cpu")
                out[path.rsplit("/", 1)[-1]] = "loaded"
            except LivedreamError as exc:
                out[path.rsplit("/", 1)[-1]] = str(exc)
        print(json.dumps(out))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # a MemoryError or a traceback ends up here
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def variables():
    return tf_variables(resolution=8, z_dim=8, w_dim=8, seed=3)


def _huge() -> torch.Tensor:
    return torch.zeros(1).expand(1 << 20, 1 << 20, 3, 3)  # 2**40 x 9 values over one float: 35 TB declared


def _crafted(tmp_path: Path, variables) -> dict:
    ada = tf_to_ada(variables)
    files = {}
    # Item 13: zero-stride tensors of huge declared shape, in each format.
    state = dict(ada)
    state["synthesis.b4.conv1.weight"] = _huge()
    files["zero_stride.pkl"] = lambda p: write_ada_pickle(p, state)
    ros = tf_to_rosinality(variables)
    ros_state = {"g_ema": {**ros, "convs.0.conv.weight": _huge()[None]}}
    files["zero_stride.pt"] = lambda p: torch.save(ros_state, p)
    w = torch.zeros(1 << 17)
    files["overlap.pkl"] = lambda p: write_ada_pickle(
        p, {**ada, "mapping.fc0.weight": w.as_strided((1 << 16, 1 << 16), (1, 1))}
    )  # overlapping rows: 2**32 values over 2**17
    # A layout that lies: real (small) weights whose shapes make the network 360 GB.
    lying = dict(ada)
    lying["synthesis.b4.conv1.weight"] = torch.zeros(100_000, 1, 1, 1)
    files["layout.pkl"] = lambda p: write_ada_pickle(p, lying)
    for name, write in files.items():
        write(tmp_path / name)
    write_ada_pickle(tmp_path / "good.pkl", ada)
    assert max((tmp_path / n).stat().st_size for n in files) < 2 << 20  # small files
    return files


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, variables) -> dict[str, str]:
    """Every crafted file, loaded in one subprocess (one torch import) under the memory limit."""
    tmp = tmp_path_factory.mktemp("models")
    names = [*_crafted(tmp, variables), "good.pkl"]
    for name, obj in MALFORMED.items():
        dump(obj, tmp / name, protocol=3)
        names.append(name)
    return _load_limited([tmp / n for n in names])


def test_crafted_tensors_and_layouts_are_refused_within_a_memory_limit(loaded):
    got = {k: v for k, v in loaded.items() if k not in MALFORMED}
    assert got.pop("good.pkl") == "loaded"
    for name, msg in got.items():
        assert msg.startswith(f"{name}: ") and "\n" not in msg and len(msg) < 400, (name, msg)
    for name in ("zero_stride.pkl", "zero_stride.pt", "overlap.pkl"):
        assert "refused (a real weight is backed by its own data)" in got[name], got[name]
    assert "weights do not fit a StyleGAN2 generator (synthesis.b4.const: expected (100000, 4, 4)" in got["layout.pkl"]


def _src() -> str:
    return "raise SystemExit('never run')\n"


def _tf(state: dict) -> tuple:
    g = Network(state)
    return (g, g, g)  # (G, D, Gs) as NVIDIA's TF snapshots hold them


MALFORMED = {
    "modules_list.pkl": {"G_ema": Persistent("Generator", {"_modules": [1, 2, 3]}, _src())},
    "sub_not_dict.pkl": {
        "G_ema": Persistent(
            "Generator",
            {
                "_modules": OrderedDict(
                    mapping=Persistent("M", {"_modules": 5}, _src()),
                    synthesis=Persistent("S", {"_modules": OrderedDict()}, _src()),
                )
            },
            _src(),
        )  # fmt: skip
    },
    "kwargs_wrong.pkl": {
        "G_ema": Persistent(
            "Generator",
            {
                "_init_kwargs": {"synthesis_kwargs": [1]},
                "_modules": OrderedDict(mapping=Persistent("M", {}, _src()), synthesis=Persistent("S", {}, _src())),
            },
            _src(),
        )  # fmt: skip
    },
    "tf_vars_wrong.pkl": _tf({"version": 4, "components": {}, "variables": 12, "static_kwargs": []}),
    "tf_vars_short.pkl": _tf({"version": 4, "components": {"mapping": Network({"variables": [("a",)]})}}),
    "tf_kwargs_wrong.pkl": _tf({"version": 4, "components": [], "variables": [], "static_kwargs": 7}),
    "tf_array_shape.pkl": _tf(
        {
            "version": 4,
            "components": {},
            "variables": [("dlatent_avg", np.zeros((2, 2), np.float32)), ("mapping/Dense0/weight", np.zeros(3))],
        }
    ),  # fmt: skip
}


def test_malformed_pickles_the_safe_loader_admits_are_one_line(loaded):
    got = {k: v for k, v in loaded.items() if k in MALFORMED}
    assert len(got) == len(MALFORMED)
    for name, msg in got.items():
        assert msg.startswith(f"{name}") and "\n" not in msg and len(msg) < 400 and msg != "loaded", (name, msg)
