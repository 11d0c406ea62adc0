"""Lucid Sonic Dreams' API on livedream: LSD's README examples (file names adapted), real MP4s reopened and checked."""

import inspect
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch
from PIL import Image

from livedream import EffectsGenerator, LucidSonicDream, show_styles
from livedream.errors import LivedreamError
from livedream.lsd import resolve_style
from livedream.lsd.params import output_size, shuffle_times, table_values
from livedream.models.base import to_uint8
from livedream.models.callable import CallableGenerator
from tests.helpers.synth import click_track, clicks_and_chord, write_song
from tests.helpers.video import read_video

RATE = 22050
SECONDS = 2.0


def _t(seconds):
    return np.arange(int(seconds * RATE)) / RATE


def _write(path, x):
    return str(write_song(path, x, RATE))


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """The song (a C major chord under clicks) and the stems and soundtracks the examples use."""
    d = tmp_path_factory.mktemp("audio")
    t = _t(SECONDS)
    late = t >= 1.0
    t_long = _t(2.6)
    return {
        "song": _write(d / "song.flac", clicks_and_chord(np.arange(0.1, SECONDS - 0.05, 0.5), SECONDS, RATE)),
        "drums": _write(
            d / "drums.flac", click_track(np.arange(1.05, SECONDS - 0.05, 0.25), SECONDS, RATE, gain=0.8, decay_s=0.006)
        ),  # silent for 1 s, then hits
        "a440": _write(d / "a440.flac", 0.3 * np.sin(2 * np.pi * 440 * t)),  # the pitch class A, nothing else
        "swell": _write(d / "swell.flac", 0.5 * np.random.default_rng(2).standard_normal(len(t)) * late),
        # 300 Hz for 0.5 s, then 880 Hz: which one is heard tells where the soundtrack was cut.
        "soundtrack": _write(
            d / "soundtrack.flac", 0.4 * np.sin(2 * np.pi * np.where(t_long < 0.5, 300, 880) * t_long)
        ),
    }


def peak_hz(samples, rate):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]


@pytest.mark.gl
def test_defaults_with_tuning_exactly_43_fps(audio, tmp_path):
    # LSD README, "modern art" example; style left at the default (the built-in style: no download in CI).
    L = LucidSonicDream(audio["song"])
    L.hallucinate(str(tmp_path / "ModernArt_song.mp4"),
                  speed_fpm=0,
                  motion_percussive=True,
                  motion_react=0.8,
                  contrast_strength=0.5,
                  flash_strength=0.7)  # fmt: skip
    video = read_video(tmp_path / "ModernArt_song.mp4")
    frames = video.frames
    assert video.codec == "h264" and video.fps == Fraction(43) and video.size == (512, 512)
    assert len(frames) == 86  # 2 s at exactly 43 fps (LSD made 22050 / 512 = 43.07)
    assert video.audio_codec == "aac" and abs(video.audio_s - SECONDS) < 1 / 43
    # speed_fpm=0: no drift; the picture still moves, with the music
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ModernArt_song.mp4"]


@pytest.mark.gl
def test_custom_numpy_effect_on_its_own_audio(audio, tmp_path):
    # LSD README, custom effect example; swirl (scikit-image) replaced by a numpy band that shows the amplitude.
    seen = []

    def band_func(array, strength, amplitude):
        seen.append(amplitude)
        out = array.copy()
        out[:24] = np.uint8(round(255 * min(1.0, 5 * strength * amplitude)))
        return out

    band_effect = EffectsGenerator(band_func,
                                   audio=audio["swell"],
                                   strength=0.2,
                                   percussive=False)  # fmt: skip
    L = LucidSonicDream(audio["song"])
    L.hallucinate(str(tmp_path / "textures_song.mp4"),
                  motion_react=0.15,
                  speed_fpm=2,
                  pulse_react=1.5,
                  contrast_strength=1,
                  flash_strength=1,
                  custom_effects=[band_effect])  # fmt: skip
    video = read_video(tmp_path / "textures_song.mp4")
    frames = video.frames
    assert len(frames) == len(seen) == 86 and video.fps == 43
    band = np.array([f[2:20].mean() for f in frames])
    # Driven by its own audio: silent for the first second, loud after (the song itself never stops).
    assert max(seen[:40]) < 0.1 and min(seen[50:]) > 0.6
    # Applied after the shaders: the band is exactly what the effect drew, not flashed or contrasted afterwards.
    assert np.abs(band - 255 * np.minimum(1, np.array(seen))).max() < 8
    body = np.array([f[100:].mean() for f in frames])
    assert body.std() > 1  # flash and contrast on the song's clicks still move the rest of the picture


@pytest.mark.gl
def test_custom_generator_function_with_stems_and_another_soundtrack(audio, tmp_path):
    # LSD README, BigGAN example; BigGAN replaced by a numpy function of the same contract.
    calls = []
    palette = np.random.default_rng(0).integers(0, 256, (1000, 3), dtype=np.uint8)

    def biggan_func(noise_batch, class_batch):
        calls.append((noise_batch.shape, noise_batch.dtype, class_batch.copy()))
        images = []
        for z, c in zip(noise_batch, class_batch, strict=True):
            img = np.empty((64, 64, 3), np.uint8)
            img[:] = palette[int(np.argmax(c))]
            img[:, : int(np.clip(32 + 8 * z[0], 0, 64))] //= 2
            images.append(Image.fromarray(img))
        return images

    L = LucidSonicDream(audio["song"],
                        pulse_audio=audio["drums"],
                        class_audio=audio["a440"],
                        contrast_audio=audio["drums"],
                        style=biggan_func,
                        input_shape=128,
                        num_possible_classes=1000)  # fmt: skip
    L.hallucinate(str(tmp_path / "biggan_song.mp4"),
                  output_audio=audio["soundtrack"],
                  speed_fpm=3,
                  classes=[13, 14, 22, 24, 301, 84, 99, 100, 134, 143, 393, 394],
                  class_shuffle_seconds=10,
                  class_shuffle_strength=0.1,
                  class_complexity=0.5,
                  class_smooth_seconds=4,
                  motion_react=0.35,
                  flash_strength=1,
                  contrast_strength=1)  # fmt: skip
    video = read_video(tmp_path / "biggan_song.mp4", audio=True)
    frames, sound = video.frames, video.audio
    # resolution=None: the style function's own size, as in LSD (it was 512 x 512 whatever the function drew)
    assert len(frames) == 86 and video.fps == 43 and video.size == (64, 64)
    rendered = [c for c in calls[1:]]  # calls[0] is the one probe that learns the image size
    assert all(shape == (1, 128) and dtype == np.float32 for shape, dtype, _ in rendered) and len(rendered) == 86
    classes = np.concatenate([c for _, _, c in rendered])  # [86, 1000]
    assert classes.shape == (86, 1000)
    # The class stem is a pure A: pitch class A (the 10th) drives classes[9] = 143, not the song's C-E-G classes.
    assert all(int(np.argmax(c)) == 143 for c in classes[10:])
    # The other soundtrack, whole (start 0), for exactly the video's length.
    assert abs(video.audio_s - SECONDS) < 1 / 43
    assert abs(peak_hz(sound[: video.audio_rate // 3], video.audio_rate) - 300) < 15
    assert abs(peak_hz(sound[video.audio_rate :], video.audio_rate) - 880) < 15


@pytest.mark.gl
def test_lsd_slips_are_not_reproduced(audio, tmp_path):
    """A name without .mp4, frames not a multiple of batch_size, output_audio cut at start, save_frames."""
    seen = []

    def record(noise_batch, class_batch):
        seen.append(len(noise_batch))
        return np.full((len(noise_batch), 32, 32, 3), 128, np.uint8)

    L = LucidSonicDream(audio["song"], style=record, input_shape=8)
    out = L.hallucinate(
        str(tmp_path / "clip"),
        output_audio=audio["soundtrack"],
        fps=20,
        resolution=64,
        start=0.5,
        duration=1.05,
        save_frames=True,
        batch_size=4,
    )
    assert out == tmp_path / "clip.mp4"
    video = read_video(out, audio=True)
    frames, sound = video.frames, video.audio
    # 21 frames: the last partial batch is kept; the first call is the one probe for the function's own size
    assert len(frames) == 21 and seen == [1, 4, 4, 4, 4, 4, 1]
    assert video.size == (64, 64) and video.fps == 20
    assert abs(video.audio_s - 1.05) < 1 / 20
    assert abs(peak_hz(sound[: video.audio_rate // 3], video.audio_rate) - 880) < 15  # cut at start=0.5
    pngs = sorted((tmp_path / "clip_frames").iterdir())
    # LSD's names: zero-padded to the width of (batches x batch_size + batch_size) = 28 (they were 6 digits)
    assert [p.name for p in pngs] == [f"{k:02d}.png" for k in range(21)]
    for png, frame in zip(pngs, frames, strict=True):
        assert np.abs(np.asarray(Image.open(png)).astype(int) - frame).mean() < 3
    # Rendering again, shorter, leaves exactly the new frames.
    L.hallucinate(str(tmp_path / "clip.mp4"), fps=10, resolution=64, duration=0.5, save_frames=True)
    assert sorted(p.name for p in (tmp_path / "clip_frames").iterdir()) == [f"{k}.png" for k in range(5)]


def test_arguments_map_onto_the_parameter_table():
    base = table_values({}, {})
    assert base["contrast_strength"] == 0 and base["flash_strength"] == 0  # LSD: no effect arguments, no effects
    on = table_values({"flash_percussive": False}, {})
    assert on["flash_strength"] == 0.5 and on["flash_percussive"] is False  # LSD turned False into True
    assert table_values({}, {"contrast_audio": "drums.wav"})["contrast_strength"] == 0.5
    assert table_values({"contrast_strength": 0}, {})["contrast_strength"] == 0  # LSD turned 0 into 0.5
    assert table_values({"class_shuffle_seconds": 2.5}, {})["class_shuffle_seconds"] == 2.5  # LSD ignored floats
    stem = table_values({"pulse_percussive": True}, {"pulse_audio": "drums.wav"})
    assert stem["pulse_percussive"] is False and stem["pulse_harmonic"] is False  # a stem drives pulse whole
    # LSD's list of timestamps (it was refused): shuffles at those times, counted from start
    assert table_values({"class_shuffle_seconds": [4, 8]}, {})["class_shuffle_seconds"] is None
    assert shuffle_times([4, 8, 1.5], start=2.0) == (2.0, 6.0)
    with pytest.raises(LivedreamError, match="class_shuffle_seconds"):
        shuffle_times([4, "x"], start=0.0)
    with pytest.raises(LivedreamError, match="resolution 65 is odd"):
        output_size(65, 512)
    assert output_size(None, 1024) == (1024, 1024)
    with pytest.raises(LivedreamError, match="even sides"):
        output_size(None, 33)
    with pytest.raises(LivedreamError, match="motion_randomness"):
        table_values({"motion_randomness": 2}, {})


def test_signatures_and_defaults_are_lsd_04s():
    init = inspect.signature(LucidSonicDream.__init__).parameters
    assert list(init)[1:] == [
        "song",
        "pulse_audio",
        "motion_audio",
        "class_audio",
        "contrast_audio",
        "flash_audio",
        "style",
        "input_shape",
        "num_possible_classes",
    ]
    lsd = dict(
        output_audio=None,
        fps=43,
        resolution=None,
        start=0,
        duration=None,
        save_frames=False,
        batch_size=1,
        speed_fpm=12,
        pulse_percussive=True,
        pulse_harmonic=False,
        pulse_react=0.5,
        motion_percussive=False,
        motion_harmonic=True,
        motion_react=0.5,
        motion_randomness=0.5,
        truncation=1,
        classes=None,
        dominant_classes_first=False,
        class_pitch_react=0.5,
        class_smooth_seconds=1,
        class_complexity=1,
        class_shuffle_seconds=None,
        class_shuffle_strength=0.5,
        contrast_strength=None,
        contrast_percussive=None,
        flash_strength=None,
        flash_percussive=None,
        custom_effects=None,
    )
    params = inspect.signature(LucidSonicDream.hallucinate).parameters
    positional = [p for p in params.values() if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
    assert [p.name for p in positional] == ["file_name", *lsd]
    assert {p.name: p.default for p in positional[1:]} == lsd
    effect = inspect.signature(EffectsGenerator).parameters
    assert [(p.name, p.default) for p in effect.values()][1:] == [
        ("audio", None),
        ("strength", 0.5),
        ("percussive", True),
    ]
    # import livedream stays cheap: the LSD names are loaded on first use
    code = "import sys, livedream; assert 'torch' not in sys.modules; livedream.EffectsGenerator; print('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "ok"


def test_a_style_function_output_comes_back_pixel_exact():
    rng = np.random.default_rng(3)
    drawn = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    gen = CallableGenerator(lambda noise_batch, class_batch: drawn[: len(noise_batch)], z_dim=4, c_dim=2)
    assert gen.resolution == 16
    assert np.array_equal(to_uint8(gen(torch.zeros(3, 4), torch.zeros(3, 2))), drawn)


@pytest.mark.gl
def test_style_names_and_user_errors(audio, tmp_path, capsys):
    show_styles()
    names = capsys.readouterr().out.split()
    assert names[0] == "builtin" and "wikiart" in names
    assert resolve_style("Grumpy Cat") == "grumpy-cat" and resolve_style("builtin") is None
    with pytest.raises(LivedreamError, match="show_styles"):
        LucidSonicDream(audio["song"], style="no such style")
    with pytest.raises(LivedreamError, match="array, strength, amplitude"):
        EffectsGenerator(lambda image, amount: image)
    with pytest.raises(LivedreamError, match="EffectsGenerator"):
        LucidSonicDream(audio["song"]).hallucinate(str(tmp_path / "x"), custom_effects=[lambda a: a])
    bad = EffectsGenerator(lambda array, strength, amplitude: array / 255.0)
    with pytest.raises(LivedreamError, match="float64"):
        LucidSonicDream(audio["song"]).hallucinate(
            str(tmp_path / "x"), resolution=32, duration=0.2, custom_effects=[bad]
        )
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.mark.gl
def test_a_conditional_model_file_as_style(audio, tmp_path):
    # LSD's wikiart case: a TensorFlow StyleGAN2 pickle with classes, given by path.
    from tests.helpers.stylegan2_writers import tf_variables, write_tf_pickle

    model = tmp_path / "wikiart-like.pkl"
    write_tf_pickle(model, tf_variables(resolution=16, z_dim=8, w_dim=8, c_dim=4, seed=5))
    L = LucidSonicDream(audio["song"], class_audio=audio["a440"], style=str(model))
    L.hallucinate(str(tmp_path / "wikiart.mp4"), resolution=32, fps=10, duration=1, classes=[0, 1, 2, 3],
                  flash_strength=0.5, device="cpu")  # fmt: skip
    video = read_video(tmp_path / "wikiart.mp4")
    frames = video.frames
    assert len(frames) == 10 and video.size == (32, 32) and video.fps == 10
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 2
