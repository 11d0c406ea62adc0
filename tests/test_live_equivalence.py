"""The live path, driven by a file and a simulated clock, draws the same frames as export for the same audio and seed.

What is compared, frame by frame (30 fps, 2.5 s of the demo song, built-in style at 64 px, 96 x 96 output):
- the AudioFeatures each path hands the controller (same hop, same values),
- the LatentFrame (z, c, truncation, amplitudes) and the effect amounts,
- the final RGB pixels read back from GL.
The export side is export's own loop built from the same pieces, with FeatureTimeline(compensate_delay=False):
live mode cannot look ahead, so it reads at t + 0.5 / fps the newest hop that has ended, as the live path does
when the simulated sound card has delivered the audio up to t + 0.5 / fps. The live side is the real live
objects: FileInput's ring buffer, the AnalysisThread's step, FeatureFeed, LiveCore and the InferenceWorker thread.
"""

from __future__ import annotations

import numpy as np
import pytest

from livedream.audio.analyzer import ANALYSIS_RATE
from livedream.audio.encode import write_audio
from livedream.audio.feed import AnalysisThread, FeatureFeed
from livedream.audio.synth import demo_song
from livedream.audio.timeline import FeatureTimeline
from livedream.control.amplitudes import by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.models.builtin import BuiltinStyle
from livedream.models.inference import InferenceWorker
from livedream.modes.engine import LiveCore
from livedream.modes.export import generate_frames
from livedream.params import defaults
from livedream.render.effects import EffectChain
from livedream.sources.device import FileInput

pytestmark = pytest.mark.gl

FPS = 30
N_FRAMES = 75
OUT = (96, 96)
SEED = 3


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "demo.wav"
    write_audio(path, demo_song(3.0, 44100, seed=1), 44100)
    return path


def export_frames(ctx, song, params, batch_size=1):
    """export()'s loop (livedream/pipeline.py) at `livedream export --batch-size 1`, look-ahead switched off.

    Live generates one frame per call; the built-in style on the CPU gives a few grey levels of difference
    between a frame generated alone and inside a batch of 4 (float reduction order), so the batch size
    matches for an exact comparison.
    """
    gen = BuiltinStyle(resolution=64, seed=SEED)
    timeline = FeatureTimeline(song, compensate_delay=False)
    controller = Controller(gen.z_dim, gen.c_dim, params, seed=SEED)
    chain = EffectChain(ctx, (64, 64), OUT)
    feats, frames, amounts, pixels = [], [], [], []
    try:
        for first in range(0, N_FRAMES, batch_size):
            batch = []
            for k in range(first, min(first + batch_size, N_FRAMES)):
                t = k / FPS
                f = timeline.at(t + 0.5 / FPS)
                feats.append(f)
                batch.append(controller.step(t, by_role(f)))
            for frame, image in zip(batch, generate_frames(gen, batch), strict=True):
                amounts.append(effect_amounts(frame.amplitudes, params))
                pixels.append(chain.process(image, amounts[-1], frame.time).copy())
            frames.extend(batch)
    finally:
        chain.release()
    return feats, frames, amounts, pixels


def live_frames(ctx, song, params):
    """The live objects, with the sound card replaced by FileInput and the display clock by k / fps."""
    gen = BuiltinStyle(resolution=64, seed=SEED)
    source = FileInput(str(song), ANALYSIS_RATE)
    feed = FeatureFeed()
    analysis = AnalysisThread(source, feed)  # stepped here instead of on its thread: the clock is simulated
    worker = InferenceWorker(gen).start()
    core = LiveCore(ctx, Controller(gen.z_dim, gen.c_dim, params, seed=SEED), worker, OUT)
    feats, frames, amounts, pixels = [], [], [], []
    try:
        for k in range(N_FRAMES):
            t = k / FPS
            source.advance(t + 0.5 / FPS)  # what the sound card has delivered by the middle of the frame
            analysis.step()
            feats.append(feed.latest)
            amounts.append(core.tick(t, feed.latest, wait=True))
            frames.append(core.frame)
            assert core.shown.seq == core.seq, "the simulated clock waits for each frame's own image"
            pixels.append(core.read().copy())
    finally:
        worker.stop()
        core.release()
        source.close()
    return feats, frames, amounts, pixels


def test_live_path_matches_export(ctx, song):
    params = {**defaults(), "pulse_react": 1.5, "flash_strength": 0.8, "contrast_strength": 0.7}
    e_feats, e_frames, e_amounts, e_pixels = export_frames(ctx, song, params)
    l_feats, l_frames, l_amounts, l_pixels = live_frames(ctx, song, params)

    assert sum(f.onset for f in {f.time: f for f in e_feats}.values()) >= 2, "the song must have onsets"
    assert max(a["flash"] for a in e_amounts) > 0.2, "the effects must be exercised"
    for k in range(N_FRAMES):
        assert l_feats[k].time == e_feats[k].time, k
        assert l_feats[k].percussive_env == e_feats[k].percussive_env, k
        np.testing.assert_array_equal(l_frames[k].z, e_frames[k].z)
        np.testing.assert_array_equal(l_frames[k].c, e_frames[k].c)
        assert l_frames[k].amplitudes == e_frames[k].amplitudes, k
        assert l_amounts[k] == e_amounts[k], k
    for k in range(N_FRAMES):
        np.testing.assert_array_equal(l_pixels[k], e_pixels[k], err_msg=f"frame {k}")
    moved = np.abs(l_pixels[0].astype(int) - l_pixels[-1].astype(int)).mean()
    assert moved > 5, "the frames must change over the song, or the comparison proves little"
