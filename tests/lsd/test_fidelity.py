"""LSD's kind of movement through the LSD API: a recording style function on a song of swelling chords and clicks."""

import numpy as np
import pytest

from livedream import EffectsGenerator, LucidSonicDream
from livedream.errors import LivedreamError
from tests.helpers.synth import click_track, write_song
from tests.helpers.video import read_video

RATE, SECONDS, FPS = 22050, 6.0, 20
CLICKS = np.arange(0.25, SECONDS - 0.1, 0.5)  # s
SWELL_S = 3.0  # the chords swell from silence to full and back every 3 s


def swell(t):
    return 0.5 - 0.5 * np.cos(2 * np.pi * t / SWELL_S)


def clicks(t):
    return click_track(CLICKS, SECONDS, RATE, seed=1, gain=0.6)[: len(t)]


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    d = tmp_path_factory.mktemp("fidelity")
    t = np.arange(int(SECONDS * RATE)) / RATE
    # sustained chords, C major then A minor, under the swell
    chord = np.where(t % 2 < 1, 1, 0)[:, None] * np.array([261.63, 329.63, 392.0]) + np.where(t % 2 >= 1, 1, 0)[
        :, None
    ] * np.array([220.0, 261.63, 329.63])
    tones = sum(0.1 * np.sin(2 * np.pi * np.cumsum(chord[:, k]) / RATE) for k in range(3))
    out = {}
    a440 = 0.3 * np.sin(2 * np.pi * 440 * t)
    for name, x in (("song", swell(t) * tones + clicks(t)), ("drums", clicks(t)), ("a440", a440)):
        write_song(d / f"{name}.flac", x, RATE)
        out[name] = str(d / f"{name}.flac")
    out["dir"] = d
    return out


def render(songs, name, class_audio=None, **kw):
    """Hallucinate with a style function that records what it is given and draws mid grey."""
    seen = {"z": [], "c": []}

    def record(noise_batch, class_batch):
        seen["z"].extend(noise_batch)
        seen["c"].extend(class_batch)
        return np.full((len(noise_batch), 32, 32, 3), 128, np.uint8)

    L = LucidSonicDream(songs["song"], class_audio=class_audio, style=record, input_shape=64, num_possible_classes=100)
    out = L.hallucinate(str(songs["dir"] / name), fps=FPS, **kw)
    n = round(SECONDS * FPS)
    return np.asarray(seen["z"][-n:]), np.asarray(seen["c"][-n:]), out


def speed(z):
    return np.linalg.norm(np.diff(z, axis=0), axis=1)  # [n - 1]


def frame_times():
    return (np.arange(round(SECONDS * FPS)) + 0.5) / FPS


@pytest.mark.gl
def test_motion_follows_the_harmony_or_with_motion_percussive_the_drums(songs):
    z, _, _ = render(songs, "harmonic", pulse_react=0)
    harmony = swell(frame_times()) ** 2  # the chords' power
    r = np.corrcoef(speed(z), harmony[1:])[0, 1]
    assert r >= 0.6, r
    z_drums, _, _ = render(songs, "percussive", pulse_react=0, motion_percussive=True, motion_harmonic=False)
    t = frame_times()
    near_click = np.array([np.any((t_k - CLICKS >= -0.05) & (t_k - CLICKS < 0.15)) for t_k in t])
    s = speed(z_drums)
    assert np.corrcoef(s, harmony[1:])[0, 1] < 0.3
    assert s[near_click[1:]].mean() > 2 * s[~near_click[1:]].mean()


@pytest.mark.gl
def test_z_stays_in_range_the_flash_rests_and_the_class_has_lsds_scale(songs):

    custom = []

    def recording_effect(array, strength, amplitude):
        custom.append(amplitude)
        return array

    z, c, out = render(
        songs,
        "range",
        pulse_react=1.0,
        motion_react=1.0,
        flash_strength=1.0,
        class_complexity=0.8,
        custom_effects=[EffectsGenerator(recording_effect)],
    )
    assert np.mean(np.abs(z) > 2.5) < 0.01
    top = c[FPS:].max(axis=1)  # after the first second
    assert top.min() >= 0.5 * 0.8 and top.max() <= 0.8 + 1e-6
    means = np.array([frame.astype(float).mean() for frame in read_video(out).frames])
    t = frame_times()
    between = np.array([np.min(np.abs(t_k - CLICKS)) > 0.12 for t_k in t])
    untouched = np.abs(means - 128) < 1.5  # the flash brightens; at rest the grey is the style's own
    assert untouched[between].mean() >= 1 / 3
    assert not untouched[~between].all()  # and it does flash on the hits
    custom = np.asarray(custom)  # a custom effect's amplitude rests at 0 between hits too
    assert len(custom) == len(t) and np.mean(custom[between] == 0) >= 1 / 3 and custom[~between].max() > 0.5


@pytest.mark.gl
def test_drums_alone_hold_the_class_and_a_class_id_out_of_range_is_an_error(songs):
    _, c, _ = render(songs, "drums_class", class_audio=songs["drums"], classes=list(range(12)))
    heard = c[c.max(axis=1) > 0]  # from the first pitch on (LSD starts from the first chroma heard)
    # The class holds: one class all along, or (the analyser hears no pitch in drums at all) none ever set.
    assert len(set(heard.argmax(axis=1).tolist())) <= 1 and len(heard) in (0, *range(int(0.9 * len(c)), len(c) + 1))
    with pytest.raises(LivedreamError, match="class id 150 is out of range"):
        render(songs, "bad", classes=[3, 150])


@pytest.mark.gl
def test_dominant_classes_first_gives_the_first_class_to_the_pitch_heard_most(songs):
    # hallucinate ranks the pitches over the whole song (a first pass), in force from the first frame
    classes = [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51]
    _, c, _ = render(songs, "dominant", class_audio=songs["a440"], classes=classes, dominant_classes_first=True)
    heard = c[c.max(axis=1) > 0]
    assert len(heard) > 0.9 * len(c) and set(heard.argmax(axis=1).tolist()) == {40}  # A, the only pitch: classes[0]
