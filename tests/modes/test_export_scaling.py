"""Export's large-output path: the encoder's converter scales the generator's picture (contain, fill) in one pass.

It must give the picture the GPU fit gives (the frames path keeps the GPU fit), up to the scaler's rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.audio.synth import demo_song
from livedream.modes.export import ExportSettings, export
from livedream.params import defaults
from livedream.sinks.yuv import fit_yuv420
from tests.helpers.video import read_video

pytestmark = pytest.mark.gl


def decoded(path) -> list[np.ndarray]:
    return [frame.astype(int) for frame in read_video(path).frames]


@pytest.mark.parametrize("fit", ["contain", "fill"])
def test_scaling_in_the_encoder_matches_the_gpu_fit(tmp_path, fit):
    song = tmp_path / "song.wav"
    write_audio(song, demo_song(1.5, 44100, seed=2), 44100)
    common = dict(song=song, params=defaults(), fps=Fraction(10), size=(320, 180), fit=fit, model_resolution=64)
    export(ExportSettings(output=tmp_path / "encoder.mp4", **common))
    export(ExportSettings(output=tmp_path / "gpu.mp4", save_frames_dir=tmp_path / "frames", **common))
    fast, gpu = decoded(tmp_path / "encoder.mp4"), decoded(tmp_path / "gpu.mp4")
    assert len(fast) == len(gpu) == 15
    for a, b in zip(fast, gpu, strict=True):
        assert a.shape == (180, 320, 3)
        assert np.abs(a - b).mean() < 6.0  # bicubic against bilinear, both through H.264
    if fit == "contain":  # bars stay black on both sides of the square picture
        assert fast[5][:, :60].max() <= 20 and fast[5][:, -60:].max() <= 20
        assert fast[5][:, 80:240].std() > 20


def test_fit_yuv420_places_and_crops():
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    boxed = fit_yuv420(red, (40, 0, 90, 90), (160, 90)).to_ndarray(format="rgb24").astype(int)
    assert boxed[45, 85, 0] > 240 and boxed[45, 85, 1:].max() < 20  # red inside
    assert boxed[45, 10].max() < 20 and boxed[45, 150].max() < 20  # black bars
    cropped = fit_yuv420(red, (0, -35, 160, 160), (160, 90)).to_ndarray(format="rgb24").astype(int)
    assert cropped[..., 0].min() > 240  # fill: the picture overhangs and covers everything
