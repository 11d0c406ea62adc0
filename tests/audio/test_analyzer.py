"""The streaming Analyzer on synthetic signals with known answers, and analyze_file's report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from livedream.audio.analyzer import ANALYSIS_RATE, ONSET_METHODS, Analyzer, global_stats
from livedream.audio.encode import write_audio
from livedream.audio.features import AudioFeatures
from livedream.audio.normalize import GlobalStats
from livedream.audio.report import analyze_file
from livedream.errors import LivedreamError
from tests.helpers.synth import chord, click_track

SR = ANALYSIS_RATE


def run(x, **kw):
    an = Analyzer(**kw)
    return an, an.feed(x)


def test_clicks_onset_times_after_delay_correction():
    truth = np.arange(0.3, 3.0, 0.37)
    an, feats = run(click_track(truth, 3.3))
    got = np.array([f.onset_time for f in feats if f.onset])
    assert len(got) == len(truth)
    assert np.max(np.abs(got - truth)) <= 0.015  # reported per hop (11.6 ms): within about a hop of the truth
    assert 0.0 < an.onset_delay_s < 0.06  # reported within tens of milliseconds
    for f in feats:
        if f.onset:  # detected in a sub-hop of this hop, onset_delay_s before that sub-hop's end
            assert f.time - an.hop_s - an.onset_delay_s < f.onset_time <= f.time - an.onset_delay_s + 1e-9
    # hop times: the end of each hop since the first sample
    assert [f.time for f in feats[:3]] == pytest.approx([an.hop_s, 2 * an.hop_s, 3 * an.hop_s])
    assert len(feats) == len(click_track(truth, 3.3)) // an.hop_size


def test_onset_env_jumps_and_decays():
    an, feats = run(click_track([0.5], 1.5))
    env = np.array([f.onset_env for f in feats])
    t = np.array([f.time for f in feats])
    k = int(np.argmax(env))
    assert env[k] >= 0.5 and feats[k].onset
    later = env[(t > t[k] + 0.25)]
    assert later.max() < 0.1 * env[k]  # gone within ~0.2 s


def test_silence_gives_nothing():
    an, feats = run(np.zeros(SR * 2, np.float32))
    assert not any(f.onset for f in feats)
    for f in feats:
        assert f.level_env == 0 and f.onset_env == 0 and f.percussive_env < 1e-6 and f.harmonic_env < 1e-6
        assert np.all(f.chroma_norm == 0)
    # very quiet noise (-80 dBFS) is not amplified into activity
    noise = (1e-4 * np.random.default_rng(3).standard_normal(SR * 2)).astype(np.float32)
    _, feats = run(noise)
    assert not any(f.onset for f in feats)
    assert max(f.level_env for f in feats) < 0.05 and max(float(f.chroma_norm.max()) for f in feats) < 0.05
    assert Analyzer().latest.time == 0 and Analyzer().latest.rms == 0


@pytest.mark.parametrize(
    "notes,pcs",
    [
        ((60, 64, 67), {0, 4, 7}),
        ((57, 60, 64), {9, 0, 4}),
        ((50, 54, 57), {2, 6, 9}),
        ((43, 47, 50, 53), {7, 11, 2, 5}),
    ],
)
def test_chord_chroma(notes, pcs):
    _, feats = run(chord(notes, 1.5))
    c = np.mean([f.chroma_norm for f in feats[40:]], axis=0)  # after the window has filled
    top = set(np.argsort(c)[-len(pcs) :].tolist())
    assert top == pcs, (c.round(2), pcs)
    assert c.max() == pytest.approx(1.0, abs=0.05)
    others = [c[i] for i in range(12) if i not in pcs]
    assert max(others) < 0.5 * min(c[i] for i in pcs)


def test_chunk_size_independence():
    x = np.concatenate([click_track([0.1, 0.4], 0.6), chord((60, 64, 67), 0.6)])
    _, whole = run(x)
    for chunk in (1, 100, 4097):
        an = Analyzer()
        parts = [f for i in range(0, len(x), chunk) for f in an.feed(x[i : i + chunk])]
        assert len(parts) == len(whole)
        assert an.feed(np.zeros(0, np.float32)) == []
        for a, b in zip(parts, whole, strict=True):
            assert a.time == b.time and a.onset == b.onset and a.beat == b.beat and a.downbeat == b.downbeat
            assert (a.kick, a.snare, a.hats, a.tempo_bpm) == (b.kick, b.snare, b.hats, b.tempo_bpm)
            assert a.kick_env == pytest.approx(b.kick_env) and a.bar_phase == pytest.approx(b.bar_phase)
            np.testing.assert_allclose(a.bass_chroma, b.bass_chroma, rtol=1e-5)
            assert a.rms == pytest.approx(b.rms) and a.percussive_env == pytest.approx(b.percussive_env)
            np.testing.assert_allclose(a.chroma, b.chroma, rtol=1e-5)
        assert an.latest.time == whole[-1].time


def test_percussive_vs_harmonic():
    _, clicks = run(click_track(np.arange(0.2, 2.0, 0.25), 2.0))
    _, pad = run(chord((60, 64, 67), 2.0))
    pc = np.array([(f.percussive, f.harmonic) for f in clicks[20:]]).sum(0)
    ph = np.array([(f.percussive, f.harmonic) for f in pad[20:]]).sum(0)
    assert pc[0] > 2 * pc[1]  # clicks: mostly percussive
    assert ph[1] > 4 * ph[0]  # sustained chord: mostly harmonic (amplitudes: > 16x in energy)
    assert np.mean([f.percussive_env for f in clicks[20:]]) > 2 * np.mean([f.harmonic_env for f in clicks[20:]])
    assert np.mean([f.harmonic_env for f in pad[40:]]) > 3 * np.mean([f.percussive_env for f in pad[40:]])
    # energies are in RMS units: together they account for the signal's RMS
    rms = np.sqrt(np.mean(np.square(pad[40].rms)))
    assert np.hypot(pad[40].percussive, pad[40].harmonic) == pytest.approx(rms, rel=0.25)


def test_global_normalization_and_methods(tmp_path):
    x = np.concatenate([0.1 * chord((60, 64, 67), 1.0), chord((60, 64, 67), 1.0)])
    p = tmp_path / "ramp.wav"
    write_audio(p, x, SR)
    stats = global_stats(p)
    assert isinstance(stats, GlobalStats) and stats.rms == pytest.approx(float(np.sqrt(np.mean(x[SR:] ** 2))), rel=0.2)
    _, g = run(x, normalization=stats)
    _, a = run(x)
    # adaptive: the quiet first second reads as loud (nothing louder heard yet); global: it reads quiet
    assert a[80].level_env > 0.8 and g[80].level_env < 0.2
    assert g[-1].level_env > 0.8
    for m in ONSET_METHODS:
        Analyzer(onset_method=m).feed(x[:2048])
    with pytest.raises(LivedreamError):
        Analyzer(onset_method="nope")


def test_beats_on_a_steady_click_track():
    truth = np.arange(0.0, 8.0, 0.5)  # 120 bpm
    an, feats = run(click_track(truth, 8.0))
    assert feats[-1].tempo_bpm == pytest.approx(120, rel=0.03)
    beats = np.array([f.time for f in feats if f.beat and f.time > 3.0])
    assert len(beats) >= 8
    assert np.median([np.min(np.abs(truth - b)) for b in beats]) < 0.03
    phases = np.array([f.beat_phase for f in feats])
    assert phases.min() >= 0 and phases.max() < 1


def test_analyze_file_report(tmp_path):
    truth = [0.25, 0.75, 1.25]
    x = click_track(truth, 1.6, sr=44100) + np.concatenate([np.zeros(44100 // 2), chord((57, 60, 64), 1.1, 44100)])
    p = tmp_path / "r.flac"
    write_audio(p, np.stack([x, x], 1), 44100)
    rep, feats = analyze_file(p, start=0.2, duration=1.3)
    assert set(rep) == {
        "sample_rate",
        "hop_s",
        "duration_s",
        "onsets",
        "onset_delay_s",
        "chroma_delay_s",
        "chroma",
        "rms",
        "tempo_bpm",
        "beats",
        "downbeats",
        "bass_chroma",
        "drums",
    }
    assert len(rep["tempo_bpm"]["values"]) == len(rep["tempo_bpm"]["times"]) == len(feats)
    assert set(rep["drums"]) == {"kick", "snare", "hats"} and len(rep["bass_chroma"]["values"]) == len(feats)
    assert rep["sample_rate"] == 44100 and rep["duration_s"] == pytest.approx(1.3, abs=1e-3)
    assert len(feats) == len(rep["chroma"]["times"]) == len(rep["rms"]["values"]) == len(rep["chroma"]["values"])
    assert all(len(v) == 12 for v in rep["chroma"]["values"])
    # times from `start`: the clicks, and the chord's entry at 0.5 s
    expect = np.array([0.25, 0.5, 0.75, 1.25]) - 0.2
    got = np.array(rep["onsets"])
    assert all(np.min(np.abs(got - e)) < 0.02 for e in expect), got
    rep2, _ = analyze_file(p, normalize="global")
    assert all(np.min(np.abs(np.array(rep2["onsets"]) - e)) < 0.02 for e in expect + 0.2)
    with pytest.raises(LivedreamError):
        analyze_file(p, normalize="bogus")


def test_percussive_env_reacts_within_a_hop():
    """The flash reads percussive_env: a hit counts fully in the first hop that holds 6 ms of it (not 2 hops on)."""
    times = np.arange(0.5, 3.0, 0.5) + 0.003  # mid-hop starts
    an, feats = run(click_track(times, 3.2))
    for t in times:
        first = next(f for f in feats if f.time >= t + 128 / SR)
        assert first.percussive_env > 0.5, (t, first.percussive_env)


@pytest.mark.parametrize("gain", [1.0, 3.0])  # a quiet tone alone (0.25) still wobbles past the gate
def test_a_held_pure_chord_gives_one_onset_and_clicks_over_it_all_count(gain):
    """aubio's adaptive threshold alone fires about once a second on the flux wobble of steady sine tones."""
    t = np.arange(4 * SR) / SR
    held = (gain * sum(0.12 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0))).astype(np.float32)
    onsets = [f.onset_time for f in Analyzer().feed(held) if f.onset]
    assert len(onsets) <= 1 and all(o < 0.1 for o in onsets)
    times = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    mixed = [f.onset_time for f in Analyzer().feed(held + click_track(times, 4)) if f.onset]
    hits = [t for t in times if any(abs(o - t) < 0.05 for o in mixed)]
    assert len(hits) >= len(times) - 1 and len(mixed) <= len(times) + 1  # + the chord's own entry at 0


def test_features_carry_every_field():
    """The analyzer builds its features with AudioFeatures.from_fields, which checks nothing: every field, typed."""
    _, feats = run(np.concatenate([click_track([0.2, 0.5], 0.8), chord((60, 64, 67), 0.5)]))
    names = [f.name for f in dataclasses.fields(AudioFeatures)]
    for f in feats:
        assert list(vars(f)) == names
        assert all(type(getattr(f, b)) is bool for b in ("onset", "beat", "downbeat", "kick", "snare", "hats"))
        assert f.chroma_norm.shape == f.bass_chroma.shape == (12,) and f.chroma_norm.dtype == np.float32
    with pytest.raises(dataclasses.FrozenInstanceError):
        feats[0].rms = 1.0  # type: ignore[misc]


def test_hops_fed_together_equal_hops_fed_one_by_one():
    """The spectral front end takes all the hops of a feed call at once: the very same numbers as hop by hop."""
    x = np.concatenate([click_track([0.1, 0.45, 0.8], 1.2), chord((57, 60, 64), 1.2)])
    one = Analyzer()
    by_hop = [f for i in range(0, len(x), one.hop_size) for f in one.feed(x[i : i + one.hop_size])]
    together = Analyzer().feed(x)  # batches of at most MAX_BATCH hops
    assert len(by_hop) == len(together) == len(x) // one.hop_size
    for a, b in zip(by_hop, together, strict=True):
        for name in vars(a):
            va, vb = getattr(a, name), getattr(b, name)
            assert np.array_equal(va, vb) if isinstance(va, np.ndarray) else va == vb, name
    assert any(f.onset for f in together) and max(f.harmonic for f in together) > 0
