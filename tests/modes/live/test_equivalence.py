"""The live engine, fed by a simulated sound card and clock, draws the same frames as the real export().

export() writes lossless PNG frames (save_frames, look-ahead off, batch size 1: live generates one frame per
call, and a batch of 4 differs by a few grey levels in float reduction order); the live side is modes.live's
own engine and analysis (FileInput's ring buffer, AnalysisThread.step, FeatureFeed, the InferenceWorker thread).
Both run through modes.engine.Engine: a change to either mode's wiring that alters a pixel fails here.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song
from livedream.modes.export import ExportSettings, export
from livedream.modes.live import LiveSettings, run_simulated
from livedream.params import defaults
from livedream.render.gl import headless_context
from tests.helpers.stylegan2_writers import tf_to_ada, tf_variables, write_ada_pickle

pytestmark = pytest.mark.gl

FPS = 30
SECONDS = 2.5
N_FRAMES = round(SECONDS * FPS)
OUT = (96, 96)
SEED = 3
PARAMS = {**defaults(), "pulse_react": 1.5, "flash_strength": 0.8, "contrast_strength": 0.7}


class Collect:
    """A FrameSink that keeps each frame's pixels."""

    def __init__(self):
        self.frames: list[np.ndarray] = []

    def write(self, frame) -> None:
        self.frames.append(frame.pixels().copy())

    def close(self) -> None: ...

    def abort(self) -> None: ...


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "demo.wav"
    write_audio(path, demo_song(3.0, 44100, seed=1), 44100)
    return path


@pytest.fixture(scope="module")
def tiny_stylegan2(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.pkl"
    write_ada_pickle(path, tf_to_ada(tf_variables(resolution=16, z_dim=8, w_dim=8, seed=5)))
    return path


def exported(tmp_path: Path, song: Path, style: str | None, resolution: int | None) -> list[np.ndarray]:
    frames_dir = tmp_path / "frames"
    export(
        ExportSettings(
            song=song,
            output=tmp_path / "out.mp4",
            params=PARAMS,
            seed=SEED,
            fps=Fraction(FPS),
            size=OUT,
            duration=SECONDS,
            style=style,
            model_resolution=resolution,
            device="cpu",
            batch_size=1,
            look_ahead=False,
            save_frames_dir=frames_dir,
        )
    )
    return [np.asarray(Image.open(p)) for p in sorted(frames_dir.glob("*.png"))]


def simulated_live(song: Path, style: str | None, resolution: int | None) -> list[np.ndarray]:
    sink = Collect()
    s = LiveSettings(params=PARAMS, seed=SEED, size=OUT, style=style, model_resolution=resolution, torch_device="cpu")
    ctx = headless_context()
    try:
        run_simulated(ctx, s, song, FPS, N_FRAMES, [sink])
    finally:
        ctx.release()
    return sink.frames


@pytest.mark.parametrize("style,resolution", [(None, 64), ("stylegan2", None)], ids=["builtin", "stylegan2"])
def test_live_engine_matches_export(tmp_path, song, tiny_stylegan2, style, resolution):
    style = str(tiny_stylegan2) if style == "stylegan2" else style
    e_frames = exported(tmp_path, song, style, resolution)
    l_frames = simulated_live(song, style, resolution)
    assert len(e_frames) == len(l_frames) == N_FRAMES
    for k in range(N_FRAMES):
        np.testing.assert_array_equal(l_frames[k], e_frames[k], err_msg=f"frame {k}")
    moved = np.abs(l_frames[0].astype(int) - l_frames[-1].astype(int)).mean()
    assert moved > 5, "the frames must change over the song, or the comparison proves little"
    lifted = max(f.mean() for f in e_frames) - np.median([f.mean() for f in e_frames])
    assert lifted > 3, "the flash must fire in these frames, or the effects are not compared"


def test_lsd_api_renders_what_export_renders(tmp_path, song):
    """hallucinate() is a mapping onto export(): the same frames as export() given the mapped settings."""
    from livedream import LucidSonicDream
    from livedream.lsd.params import table_values
    from livedream.models.callable import CallableGenerator

    def style(noise_batch, class_batch):  # a user's function: colour from the noise
        level = np.clip(128 + 60 * noise_batch[:, :3], 0, 255).astype(np.uint8)  # [B, 3]
        return np.broadcast_to(level[:, None, None, :], (len(noise_batch), 32, 32, 3)).copy()

    lsd = LucidSonicDream(str(song), style=style, input_shape=16)
    lsd.hallucinate(str(tmp_path / "lsd.mp4"), fps=FPS, resolution=32, duration=1.0, save_frames=True, pulse_react=2)
    lsd_frames = sorted((tmp_path / "lsd_frames").glob("*.png"))
    params = table_values({"pulse_react": 2}, {})
    export(
        ExportSettings(
            song=song,
            output=tmp_path / "ex.mp4",
            params=params,
            fps=Fraction(FPS),
            size=(32, 32),
            duration=1.0,
            generator=CallableGenerator(style, z_dim=16),
            batch_size=1,
            normalize="global",
            save_frames_dir=tmp_path / "ex_frames",
        )  # fmt: skip
    )
    ex_frames = sorted((tmp_path / "ex_frames").glob("*.png"))
    assert len(lsd_frames) == len(ex_frames) == FPS
    for a, b in zip(lsd_frames, ex_frames, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)), err_msg=a.name)
    values = [np.asarray(Image.open(p)).mean() for p in ex_frames]
    assert np.ptp(values) > 5, "the pulse must move the picture, or the comparison proves little"
