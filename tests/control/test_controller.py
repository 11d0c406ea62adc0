"""The controller: Lucid Sonic Dreams' pulse / motion / class semantics, causal, seeded, frame-rate independent."""

import dataclasses
import logging

import numpy as np
import pytest

from livedream.audio.features import AudioFeatures
from livedream.control.amplitudes import HIT_DEAD_ZONE, Amplitudes, by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.control.motion import PULSE_GAIN
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
    # the frame at t = 1 s, in every dimension: LSD's size (it was pulse_react itself, 2-4x LSD's)
    assert diffs[30] == pytest.approx(PULSE_GAIN * 0.8, rel=1e-5)
    assert max(diffs[:30] + diffs[31:]) < 1e-6


def test_pulse_follows_the_percussive_part_unless_told_otherwise():
    harmonic_hit = lambda t: feat(t, harm=1.0 if abs(t - 1 / 3) < 1e-6 else 0.0)  # noqa: E731
    frames = run({"speed_fpm": 0, "motion_react": 0}, make=harmonic_hit)
    assert frames[10].amplitudes["pulse"] == 0.0
    frames = run(
        {"speed_fpm": 0, "motion_react": 0, "pulse_harmonic": True, "pulse_percussive": False}, make=harmonic_hit
    )
    assert frames[10].amplitudes["pulse"] == 1.0


def test_motion_accumulates_with_the_harmonic_part_and_turns_back_at_twice_truncation():
    playing = lambda t: feat(t, harm=1.0)  # noqa: E731
    frames = run({"speed_fpm": 0, "motion_react": 1.0, "truncation": 0.5}, seconds=6, make=playing)
    travel = [np.linalg.norm(f.z - frames[0].z) for f in frames]
    assert 0 < travel[2] < travel[4]
    # z is in units of truncation (the generator multiplies): turned back at 1.5, never beyond the 2.5 bound
    z = np.stack([f.z for f in frames[30:]])
    assert np.abs(z).max() <= 2.5 and np.mean(np.abs(z) > 2.0) < 0.1
    silent = run({"speed_fpm": 0, "motion_react": 1.0})
    assert np.allclose(silent[0].z, silent[-1].z)


def test_frame_rate_independent():
    playing = lambda t: feat(t, harm=0.5)  # noqa: E731
    slow = {"motion_randomness": 0, "motion_react": 0.02}
    at30 = run(slow, fps=30, seconds=2, make=playing)[-1]
    at60 = run(slow, fps=60, seconds=2, make=playing)[-1]
    assert at30.time == at60.time == 2.0
    diff = np.abs(at30.z - at60.z)  # [z_dim]
    # The same path, within the integration error of the smoothed velocity at 30 against 60 steps a second.
    travel = np.abs(at30.z - run(slow, fps=30, seconds=0, make=playing)[0].z)
    assert np.median(diff) < 0.05 * np.median(travel) + 1e-4


def pitched(t, chroma):
    """A moment with a clear pitch: the harmonic part at full scale."""
    return feat(t, harm=1.0, chroma=chroma)


def test_chroma_drives_the_chosen_classes():
    classes = [3, 1, 4, 15, 9, 2, 6, 5, 0, 7, 8, 10]
    g_major = lambda t: pitched(t, np.eye(12)[7])  # noqa: E731
    frames = run({"classes": classes, "class_smooth_seconds": 0.1, "class_complexity": 0.8}, make=g_major)
    c = frames[-1].c
    # LSD's scale: the strongest class at class_complexity (the weights summed to 1 before: 3-4x weaker)
    assert c.argmax() == classes[7] and c[classes[7]] == pytest.approx(0.8)


def test_class_smoothing_steadies_wobbles_and_follows_a_new_chord_within_a_quarter_second():
    rng = np.random.default_rng(0)
    wobble = {round(k / 30, 6): 0.05 * rng.random(12) for k in range(61)}
    switch = lambda t: pitched(t, np.eye(12)[0 if t < 1 else 9] + wobble[round(t, 6)])  # noqa: E731
    common = {"classes": list(range(12))}
    fast = run({**common, "class_smooth_seconds": 0.0}, make=switch)
    slow = run({**common, "class_smooth_seconds": 1.0}, make=switch)
    jitter = lambda frames: np.abs(np.diff([f.c[3] for f in frames[10:30]])).mean()  # noqa: E731
    assert jitter(slow) < 0.5 * jitter(fast)
    switched = next(k for k, f in enumerate(slow) if f.c.argmax() == 9)
    assert 30 < switched <= 30 + 0.25 * 30


def test_dominant_classes_first_gives_the_first_class_to_the_most_heard_pitch():
    mostly_e = lambda t: pitched(t, np.eye(12)[4] + 0.3 * np.eye(12)[0])  # noqa: E731
    frames = run(
        {"classes": list(range(12)), "dominant_classes_first": True, "class_smooth_seconds": 0.1},
        seconds=6,
        make=mostly_e,
    )
    assert frames[-1].c.argmax() == 0


def test_class_shuffle_changes_the_mapping():
    steady = lambda t: pitched(t, np.eye(12)[2])  # noqa: E731
    common = {"classes": list(range(12)), "class_smooth_seconds": 0.05, "class_pitch_react": 3.0}
    unshuffled = run(common, seconds=10, make=steady)
    shuffled = run({**common, "class_shuffle_seconds": 0.5, "class_shuffle_strength": 1.0}, seconds=10, make=steady)
    assert all(f.c.argmax() == 2 for f in unshuffled)
    assert len({f.c.argmax() for f in shuffled}) > 1


def test_effect_amounts_are_amplitude_times_strength_and_rest_on_a_steady_level():
    params = resolve({"flash_strength": 0.5, "contrast_strength": 0.0})
    hit = by_role(feat(0, perc=0.8, level=0.4))
    a = Amplitudes()(hit, params, 0.0)
    # LSD's min-max of a power envelope: 0.8 as amplitude is 0.64 as power, less the 3 % dead zone
    assert a["flash"] == pytest.approx((0.64 - HIT_DEAD_ZONE) / (1 - HIT_DEAD_ZONE))
    assert effect_amounts(a, params) == {"flash": pytest.approx(0.5 * a["flash"]), "contrast": 0.0, "flash_mode": 0.0}
    assert effect_amounts(a, {**params, "flash_mode": "lsd"})["flash_mode"] == 1.0
    assert Amplitudes()(hit, resolve({"flash_percussive": False}), 0.0)["flash"] == pytest.approx(
        (0.16 - HIT_DEAD_ZONE) / (1 - HIT_DEAD_ZONE)
    )
    # a dense mix whose percussive part never falls below 0.5 between hits: the flash rests at 0 there
    amps, flashes = Amplitudes(), []
    for k in range(300):
        perc = 1.0 if k % 15 == 0 else 0.5
        flashes.append(amps(by_role(feat(k / 30, perc=perc)), params, 1 / 30)["flash"])
    late = np.array(flashes[60:])
    assert late[::15].min() > 0.5 and np.mean(late == 0) > 0.9


def test_an_out_of_range_class_id_is_an_error_naming_it(caplog):
    with pytest.raises(LivedreamError, match="class id 16 is out of range"):
        Controller(Z, C, resolve({"classes": [1, 16]}), seed=0)
    # live: one log line, the classes in force kept, the other changes applied, the picture goes on
    ctl = Controller(Z, C, resolve({"classes": [1, 2]}), seed=0)
    with caplog.at_level(logging.ERROR):
        ctl.set_params({"classes": [99], "pulse_react": 2.0})
        ctl.set_params({"classes": [99]})
    assert ctl.params["classes"] == [1, 2] and ctl.params["pulse_react"] == 2.0
    assert [r.getMessage() for r in caplog.records if "class id 99" in r.getMessage()] == [
        "classes: class id 99 is out of range; this model has 16 classes (0..15); keeping the classes in force"
    ]


def test_without_pitch_the_class_holds():
    rng = np.random.default_rng(3)
    noise = [rng.random(12) for _ in range(61)]
    drums = lambda t: feat(t, perc=1.0, harm=0.3, chroma=noise[round(t * 30)])  # noqa: E731
    frames = run({"classes": list(range(12))}, make=drums)
    assert len({int(f.c.argmax()) for f in frames}) == 1


def test_set_params_validates_and_keeps_the_value_in_force():
    ctl = Controller(Z, C, resolve({}), seed=0)
    ctl.set_params({"pulse_react": 1.5})
    with pytest.raises(LivedreamError):
        ctl.set_params({"pulse_react": float("nan")})
    assert ctl.params["pulse_react"] == 1.5


def test_unconditional_generators_get_an_empty_class_vector():
    ctl = Controller(Z, 0, resolve({}), seed=0)
    assert ctl.step(0.0, by_role(feat(0, chroma=np.ones(12)))).c.shape == (0,)


def test_lsds_list_of_shuffle_times_and_a_song_wide_ranking():
    steady = lambda t: pitched(t, np.eye(12)[2])  # noqa: E731
    p = resolve({"classes": list(range(12)), "class_smooth_seconds": 0.0})
    ctl = Controller(Z, C, p, seed=0, shuffle_times=[1.0])
    tops = [int(ctl.step(k / 30, by_role(steady(k / 30))).c.argmax()) for k in range(61)]
    assert set(tops[:30]) == {2} and set(tops[31:]) == {(2 + 6) % 12}  # rotated by 12 x 0.5, once
    # dominant_classes_first with the song's totals: the most heard pitch (A) gets classes[0] from the start
    totals = np.eye(12)[9] * 10 + 1
    ctl = Controller(Z, C, resolve({**p, "dominant_classes_first": True}), seed=0, pitch_totals=totals)
    assert ctl.step(0.0, by_role(pitched(0.0, np.eye(12)[9]))).c.argmax() == 0
