"""The controller: Lucid Sonic Dreams' pulse / motion / class semantics, causal, seeded, frame-rate independent."""

import dataclasses

import numpy as np
import pytest

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.errors import LivedreamError
from livedream.params import resolve

Z, C = 64, 16


def feat(t, perc=0.0, harm=0.0, level=0.0, chroma=None):
    chroma = np.zeros(12, np.float32) if chroma is None else np.asarray(chroma, np.float32)
    return dataclasses.replace(
        AudioFeatures.silent(t), percussive_env=perc, harmonic_env=harm, level_env=level, chroma_norm=chroma
    )


def run(params=None, seed=0, fps=30.0, seconds=2.0, make=lambda t: feat(t)):
    ctl = Controller(Z, C, resolve(params or {}), seed=seed)
    return [ctl.step(k / fps, by_role(make(k / fps))) for k in range(int(seconds * fps) + 1)]


def test_same_seed_same_frames_other_seed_other_frames():
    a, b, c = run(seed=1), run(seed=1), run(seed=2)
    assert all(np.array_equal(x.z, y.z) and np.array_equal(x.c, y.c) for x, y in zip(a, b, strict=True))
    assert not np.allclose(a[-1].z, c[-1].z)


def test_base_motion_follows_speed_fpm():
    still = run({"speed_fpm": 0})
    assert np.allclose(still[0].z, still[-1].z)
    slow, fast = run({"speed_fpm": 6}), run({"speed_fpm": 60})
    assert np.linalg.norm(fast[-1].z - fast[0].z) > 3 * np.linalg.norm(slow[-1].z - slow[0].z)


def test_pulse_is_added_for_that_frame_only():
    hit = lambda t: feat(t, perc=1.0 if abs(t - 1.0) < 1e-6 else 0.0)  # noqa: E731
    quiet, pulsed = run({"speed_fpm": 0}), run({"speed_fpm": 0, "pulse_react": 0.8}, make=hit)
    diffs = [np.abs(p.z - q.z).max() for p, q in zip(pulsed, quiet, strict=True)]
    assert diffs[30] == pytest.approx(0.8, rel=1e-5)  # the frame at t = 1 s, +-0.8 in every dimension
    assert max(diffs[:30] + diffs[31:]) < 1e-6


def test_pulse_follows_the_percussive_part_unless_told_otherwise():
    harmonic_only = lambda t: feat(t, harm=1.0)  # noqa: E731
    frames = run({"speed_fpm": 0, "motion_react": 0}, make=harmonic_only)
    assert frames[10].amplitudes["pulse"] == 0.0
    frames = run(
        {"speed_fpm": 0, "motion_react": 0, "pulse_harmonic": True, "pulse_percussive": False}, make=harmonic_only
    )
    assert frames[10].amplitudes["pulse"] == 1.0


def test_motion_accumulates_with_the_harmonic_part_and_turns_back_at_twice_truncation():
    playing = lambda t: feat(t, harm=1.0)  # noqa: E731
    frames = run({"speed_fpm": 0, "motion_react": 1.0, "truncation": 0.5}, seconds=6, make=playing)
    travel = [np.linalg.norm(f.z - frames[0].z) for f in frames]
    assert travel[15] > 0 and travel[30] > travel[15]
    assert np.abs(frames[-1].z).max() < 2 * 0.5 + 0.2  # turned back near the limit
    silent = run({"speed_fpm": 0, "motion_react": 1.0})
    assert np.allclose(silent[0].z, silent[-1].z)


def test_frame_rate_independent():
    playing = lambda t: feat(t, harm=0.5)  # noqa: E731
    at30 = run({"motion_randomness": 0}, fps=30, seconds=2, make=playing)[-1]
    at60 = run({"motion_randomness": 0}, fps=60, seconds=2, make=playing)[-1]
    assert at30.time == at60.time == 2.0
    diff = np.abs(at30.z - at60.z)  # [z_dim]
    # Identical but for dimensions that turned back at the limit, which differ by at most a frame's travel.
    assert np.median(diff) < 1e-4 and diff.max() < 2 * 0.5 / 30 + 1e-3


def test_chroma_drives_the_chosen_classes():
    classes = [3, 1, 4, 15, 9, 2, 6, 5, 0, 7, 8, 10]
    g_major = lambda t: feat(t, chroma=np.eye(12)[7])  # noqa: E731
    frames = run({"classes": classes, "class_smooth_seconds": 0.1, "class_pitch_react": 2.0}, make=g_major)
    c = frames[-1].c
    assert c.argmax() == classes[7] and c[classes[7]] > 0.8 and c.sum() == pytest.approx(1.0, abs=1e-4)


def test_class_smoothing_slows_changes():
    switch = lambda t: feat(t, chroma=np.eye(12)[0 if t < 1 else 9])  # noqa: E731
    common = {"classes": list(range(12)), "class_pitch_react": 2.0}
    fast = run({**common, "class_smooth_seconds": 0.05}, make=switch)
    slow = run({**common, "class_smooth_seconds": 3.0}, make=switch)
    assert fast[40].c[9] > 0.8 and slow[40].c[9] < 0.5


def test_dominant_classes_first_gives_the_first_class_to_the_most_heard_pitch():
    mostly_e = lambda t: feat(t, chroma=np.eye(12)[4] + 0.3 * np.eye(12)[0])  # noqa: E731
    frames = run(
        {"classes": list(range(12)), "dominant_classes_first": True, "class_smooth_seconds": 0.1},
        seconds=6,
        make=mostly_e,
    )
    assert frames[-1].c.argmax() == 0


def test_class_shuffle_changes_the_mapping():
    steady = lambda t: feat(t, chroma=np.eye(12)[2])  # noqa: E731
    common = {"classes": list(range(12)), "class_smooth_seconds": 0.05, "class_pitch_react": 3.0}
    unshuffled = run(common, seconds=10, make=steady)
    shuffled = run({**common, "class_shuffle_seconds": 0.5, "class_shuffle_strength": 1.0}, seconds=10, make=steady)
    assert all(f.c.argmax() == 2 for f in unshuffled)
    assert len({f.c.argmax() for f in shuffled}) > 1


def test_effect_amounts_are_amplitude_times_strength():
    params = resolve({"flash_strength": 0.5, "contrast_strength": 0.0})
    amps = by_role(feat(0, perc=0.8, level=0.2))
    from livedream.control.amplitudes import amplitudes

    a = amplitudes(amps, params)
    assert effect_amounts(a, params) == {"flash": pytest.approx(0.4), "contrast": 0.0, "flash_mode": 0.0}
    assert effect_amounts(a, {**params, "flash_mode": "lsd"})["flash_mode"] == 1.0
    a = amplitudes(amps, resolve({"flash_percussive": False}))
    assert a["flash"] == pytest.approx(0.2)


def test_set_params_validates_and_keeps_the_value_in_force():
    ctl = Controller(Z, C, resolve({}), seed=0)
    ctl.set_params({"pulse_react": 1.5})
    with pytest.raises(LivedreamError):
        ctl.set_params({"pulse_react": float("nan")})
    assert ctl.params["pulse_react"] == 1.5


def test_unconditional_generators_get_an_empty_class_vector():
    ctl = Controller(Z, 0, resolve({}), seed=0)
    assert ctl.step(0.0, by_role(feat(0, chroma=np.ones(12)))).c.shape == (0,)
