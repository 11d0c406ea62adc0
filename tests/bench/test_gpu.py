"""The GPU benchmark rehearsed on the CPU at tiny sizes (--quick), so that the one device run cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from tests.helpers import ROOT


def test_quick_cpu_run_writes_every_section_in_the_results_format(tmp_path):
    from bench.gpu.model import QUICK
    from bench.gpu.results import ENTRY_KEYS, merge, table

    out = tmp_path / "r.json"
    cmd = [sys.executable, "-m", "bench.gpu.bench_gpu", "--device", "cpu", "--quick", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # tiny sizes: one thread is fastest on a shared machine
    proc = subprocess.run(
        [*cmd, "--artifacts", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())

    assert {"device", "date", "torch", "cuda", "fp16_vs_fp32_max_abs", "entries"} <= set(data)
    assert data["device"].startswith("CPU") and data["torch"] == torch.__version__ and data["cuda"] is None
    assert data["quick"] is True and data["date"].endswith("Z")
    assert 0 < data["fp16_vs_fp32_max_abs"] < 2  # fp16 really ran, and stayed within 2/255
    for e in data["entries"]:
        assert set(ENTRY_KEYS) <= set(e), e
        assert e["what"] in ("generator", "export", "live") and e["dtype"] in ("fp16", "fp32")
        assert e["model_resolution"] == QUICK.model_resolution and e["render_resolution"] <= QUICK.model_resolution
        assert e["fps"] > 0 and 0 < e["p50_ms"] <= e["p99_ms"]
    by = {(e["what"], e["variant"], e["render_resolution"], e["dtype"], e["batch"]) for e in data["entries"]}
    for render in QUICK.renders:
        for dtype in QUICK.dtypes:
            for batch in QUICK.batches:
                assert ("generator", "default", render, dtype, batch) in by
    variants = [e for e in data["entries"] if e["what"] == "generator" and e["variant"] != "default"]
    assert {e["variant"] for e in variants} == {"channels_last", "modconv_scaled"}
    assert all(e["max_abs_vs_default_255"] < 0.5 for e in variants)  # the same pixels
    exports = [e for e in data["entries"] if e["what"] == "export"]
    assert {(e["render_resolution"], e["variant"]) for e in exports} == {
        (s, v) for s in QUICK.export_sizes for v in ("encode_overlapped", "encode_serial")
    }
    assert all(e["frames_ok"] and e["frames"] == round(QUICK.song_s * 30) for e in exports)
    live = {e["variant"]: e for e in data["entries"] if e["what"] == "live"}
    assert set(live) == {"host", "pbo"} and all(e["max_abs_vs_host_255"] == 0 for e in live.values())
    assert set(live["host"]["parts_p50_ms"]) == {"controller", "generator", "upload", "effects"}
    skipped = {s["variant"]: s["why"] for s in data["skipped"]}
    assert "CUDA" in skipped["cuda_graph"] and "falls back to host" in skipped["interop"]
    assert {"compile_reduce_overhead", "compile_max_autotune", "pinned"} <= set(skipped)
    assert "llvmpipe" in data["checks"]["gl_renderer"] or data["checks"]["gl_renderer"]
    for png in ("export-32.png", "live-32.png"):
        assert np.asarray(Image.open(tmp_path / png)).std() > 5  # a picture, not a blank frame

    half = len(data["entries"]) // 2
    a, b = dict(data, entries=data["entries"][:half]), dict(data, entries=data["entries"][half:], checks={})
    merged = merge([a, b])
    assert merged["entries"] == data["entries"] and merged["checks"] == data["checks"]
    assert len(table(merged).splitlines()) > len(data["entries"]) + 2
    assert "fps" in proc.stdout and "channels_last" in proc.stdout  # the summary table was printed


def test_run_script_parses():
    assert subprocess.run(["bash", "-n", str(ROOT / "bench" / "gpu" / "run.sh")]).returncode == 0
