"""`livedream still` and `livedream styles`, and named styles downloaded once from a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from livedream.cli.main import main
from livedream.cli.still import parse_seeds
from livedream.errors import LivedreamError
from livedream.models import catalogue
from livedream.models.registry import load_generator
from livedream.models.stylegan2 import load
from tests.helpers.stylegan2_writers import tf_to_ada, tf_variables, write_ada_pickle, write_tf_pickle


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("m") / "tiny.pkl"
    write_tf_pickle(path, tf_variables(resolution=16, z_dim=8, w_dim=8, seed=21))
    return path


def test_parse_seeds():
    assert parse_seeds("1,2,5-7") == [1, 2, 5, 6, 7]
    assert parse_seeds("0") == [0]
    for bad in ("", "a", "3-1", "-1", "1,,2", str(2**32)):
        with pytest.raises(LivedreamError):
            parse_seeds(bad)


def test_still_writes_nvidia_seed_convention(tmp_path, model, capsys):
    out = tmp_path / "out"
    assert (
        main(
            [
                "still",
                "--style",
                str(model),
                "--seeds",
                "1,2,5-6",
                "--trunc",
                "0.7",
                "--outdir",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["seed0001.png", "seed0002.png", "seed0005.png", "seed0006.png"]
    gen = load(str(model), device="cpu")
    for seed in (1, 5):
        z = torch.from_numpy(np.random.RandomState(seed).randn(1, gen.z_dim))
        img = gen(z, torch.zeros([1, 0]), truncation=0.7)
        expected = (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8)[0].numpy()
        got = np.asarray(Image.open(out / f"seed{seed:04d}.png").convert("RGB"))
        assert got.shape == (16, 16, 3)
        assert np.array_equal(got, expected)
    a = np.asarray(Image.open(out / "seed0001.png"))
    assert not np.array_equal(a, np.asarray(Image.open(out / "seed0002.png")))


def test_still_reduced_resolution_and_noise_mode(tmp_path, model):
    assert main(["still", "--style", str(model), "--seeds", "3", "--model-resolution", "8", "--noise-mode", "none",
                 "--outdir", str(tmp_path)]) == 0  # fmt: skip
    with Image.open(tmp_path / "seed0003.png") as image:
        assert image.size == (8, 8)


def test_still_conditional_needs_class(tmp_path, capsys):
    path = tmp_path / "cond.pkl"
    write_ada_pickle(path, tf_to_ada(tf_variables(resolution=8, c_dim=4, seed=1)))
    assert main(["still", "--style", str(path), "--seeds", "1", "--outdir", str(tmp_path / "o")]) != 0
    err = capsys.readouterr().err.strip()
    assert "conditional (4 classes)" in err and len(err.splitlines()) == 1
    assert main(["still", "--style", str(path), "--seeds", "1", "--class", "7", "--outdir", str(tmp_path / "o")]) != 0
    assert main(["still", "--style", str(path), "--seeds", "1", "--class", "2", "--outdir", str(tmp_path / "o")]) == 0
    c2 = np.asarray(Image.open(tmp_path / "o" / "seed0001.png"))
    assert main(["still", "--style", str(path), "--seeds", "1", "--class", "3", "--outdir", str(tmp_path / "o")]) == 0
    assert not np.array_equal(c2, np.asarray(Image.open(tmp_path / "o" / "seed0001.png")))


def test_still_bad_model_is_one_line_and_nothing_written(tmp_path, capsys):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"\x80\x04not really")
    out = tmp_path / "out"
    assert main(["still", "--style", str(bad), "--seeds", "1", "--outdir", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.pkl" in err
    assert not out.exists()
    assert main(["still", "--style", "no-such-style-or-file", "--seeds", "1", "--outdir", str(out)]) == 2
    assert "no such model file" in capsys.readouterr().err


# ---------------------------------------------------------------- catalogue, served from 127.0.0.1


class _Handler(http.server.SimpleHTTPRequestHandler):
    hits: list[str] = []
    truncate: set[str] = set()

    def do_GET(self):  # noqa: N802
        _Handler.hits.append(self.path)
        if self.path.lstrip("/") in _Handler.truncate:  # announce the full length, send half, hang up
            data = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server(tmp_path, monkeypatch, model):
    root = tmp_path / "www"
    root.mkdir()
    (root / "tiny.pkl").write_bytes(model.read_bytes())
    (root / "other.pkl").write_bytes(model.read_bytes())
    handler = lambda *a, **k: _Handler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    styles = tmp_path / "styles.yaml"
    styles.write_text(
        f"- {{name: tiny, url: {url}/tiny.pkl, resolution: 16, classes: 0, source: test, licence: MIT, sha256: {sha}}}\n"
        f"- {{name: badsum, url: {url}/other.pkl, resolution: 16, classes: 0, source: test, licence: MIT, sha256: '{'0' * 64}'}}\n"
        f"- {{name: nosum, url: {url}/other.pkl, resolution: 16, classes: 0, source: test, licence: MIT}}\n"
        f"- {{name: cut, url: {url}/cut.pkl, resolution: 16, classes: 0, source: test, licence: MIT}}\n"
        f"- {{name: gone, url: {url}/missing.pkl, resolution: 16, classes: 0, source: test, licence: MIT}}\n"
        f"- {{name: offline, url: 'http://127.0.0.1:9/x.pkl', source: test, licence: MIT}}\n"
    )
    (root / "cut.pkl").write_bytes(model.read_bytes())
    _Handler.truncate = {"cut.pkl"}
    _Handler.hits = []
    monkeypatch.setenv(catalogue.EXTRA_STYLES_ENV, str(styles))
    monkeypatch.setenv(catalogue.CACHE_ENV, str(tmp_path / "cache"))
    yield tmp_path / "cache"
    httpd.shutdown()
    httpd.server_close()


def test_named_style_downloads_once_and_verifies(server, tmp_path, model):
    gen = load_generator("tiny", device="cpu")
    assert gen.resolution == 16 and _Handler.hits == ["/tiny.pkl"]
    cached = server / catalogue.find("tiny").file_name
    assert cached.read_bytes() == model.read_bytes()
    load_generator("tiny", device="cpu")
    assert _Handler.hits == ["/tiny.pkl"]  # second use: from the cache
    assert [p.name for p in server.iterdir()] == [cached.name]
    assert load_generator("nosum", device="cpu").z_dim == 8


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("badsum", "wrong checksum"),
        ("cut", "stopped after|could not download"),
        ("gone", "HTTP 404"),
        ("offline", "download it yourself"),
    ],
)
def test_failed_downloads_leave_nothing(server, name, message):
    with pytest.raises(LivedreamError, match=message) as info:
        load_generator(name, device="cpu")
    assert "\n" not in str(info.value)
    assert not server.exists() or list(server.iterdir()) == []
    if name == "offline":
        assert str(catalogue.cached_path(catalogue.find("offline"))) in str(info.value)


def test_styles_command_lists_catalogue(server, capsys):
    load_generator("tiny", device="cpu")
    assert main(["styles"]) == 0
    out = capsys.readouterr().out
    assert "ffhq" in out and "NVIDIA Source Code License-NC" in out
    line = next(li for li in out.splitlines() if li.startswith("tiny "))
    assert line.split()[:4] == ["tiny", "16", "0", "yes"]
    assert str(server) in out


def test_shipped_catalogue_is_well_formed(monkeypatch):
    monkeypatch.delenv(catalogue.EXTRA_STYLES_ENV, raising=False)
    styles = catalogue.styles()
    assert len(styles) >= 10 and len({s.name for s in styles}) == len(styles)
    for s in styles:
        assert s.url.startswith(("http://", "https://")) and s.licence and s.source
        assert s.resolution in (None, 32, 256, 512, 1024)


def test_registry_builtin_and_bad_style(tmp_path):
    gen = load_generator(None, device="cpu", model_resolution=32, seed=1)
    assert gen.resolution == 32
    assert load_generator("builtin", device="cpu").resolution > 0
    with pytest.raises(LivedreamError, match="is a directory"):
        load_generator(str(tmp_path), device="cpu")
    with pytest.raises(LivedreamError, match="not a torch device"):
        load_generator(None, device="tpu:x")
