"""The demo song: deterministic, sensible levels, and its analysis finds its beats, kicks and chords."""

from __future__ import annotations

import numpy as np
import pytest

from livedream.audio.encode import write_audio
from livedream.audio.report import analyze_file
from livedream.audio.synth import demo_song, demo_song_truth


@pytest.fixture(scope="module")
def song_and_report(tmp_path_factory):
    x = demo_song(24.0, 44100, seed=0)
    p = tmp_path_factory.mktemp("demo") / "demo.flac"
    write_audio(p, x, 44100)
    return x, analyze_file(p)


def test_deterministic_and_level(song_and_report):
    x, _ = song_and_report
    assert x.shape == (24 * 44100, 2) and x.dtype == np.float32
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-1.0, abs=0.05)
    short = demo_song(4.0, 22050, seed=1)
    assert np.array_equal(short, demo_song(4.0, 22050, seed=1)) and not np.array_equal(short, demo_song(4.0, 22050, 2))
    assert not np.allclose(x[:, 0], x[:, 1])  # really stereo


def test_analysis_finds_beats_kicks_and_chords(song_and_report):
    _, (rep, feats) = song_and_report
    truth = demo_song_truth(24.0, 44100)
    settled = [bpm for t, bpm in zip(rep["tempo_bpm"]["times"], rep["tempo_bpm"]["values"], strict=True) if t > 8.0]
    assert np.median(settled) == pytest.approx(truth["bpm"], rel=0.03)  # tempo over time, once settled
    beats = np.array(truth["beats"])
    got = np.array([b for b in rep["beats"] if b > 4.0])
    assert len(got) > 30 and np.median([np.min(np.abs(beats - b)) for b in got]) < 0.03
    onsets = np.array(rep["onsets"])
    hit = [np.min(np.abs(onsets - k)) < 0.05 for k in truth["kicks"]]  # the eval's 50 ms window
    assert np.mean(hit) > 0.9
    times = np.array(rep["chroma"]["times"])
    chroma = np.array(rep["chroma"]["values"])  # [hops, 12]
    right = 0
    for bar in truth["bars"]:
        sel = (times > bar["start"] + 0.4) & (times < bar["start"] + 2.0)
        top3 = set(np.argsort(chroma[sel].mean(0))[-3:].tolist())
        right += top3 == set(bar["pitch_classes"])
    assert right >= len(truth["bars"]) - 2
    pe = np.array([f.percussive_env for f in feats])
    sections = [b["section"] for b in truth["bars"]]
    brk = sections.index("break")
    sel = (times > 2.0 * brk + 0.3) & (times < 2.0 * brk + 2.0)  # no drums in the break
    full = (times > 4.3) & (times < 12.0)
    assert pe[sel].mean() < 0.6 * pe[full].mean()
