"""Bar tracker: the downbeat from the cues heard on the one (chord and bass changes, the kick), not the loudest hit."""

from __future__ import annotations

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE, Analyzer
from livedream.audio.report import beat_time
from tests.helpers.synth import chord, click_track

SR = ANALYSIS_RATE
# C F G Am, one a bar, each with its bass note (C2 F2 G2 A2): the chord and the bass change on the one
PROGRESSION = ((36, 60, 64, 67), (41, 60, 65, 69), (43, 62, 67, 71), (45, 60, 64, 69))


def chords_under_a_loud_three(secs: float = 16.0, beat: float = 0.5, start: float = 0.37):
    """[n] a 4/4 bar of clicks on every beat, a louder hit on beat 3, a new chord and bass note on beat 1; beats."""
    beats = np.arange(start, secs - 0.05, beat)
    x = click_track(beats, secs, seed=7, gain=0.4) + click_track(beats[2::4], secs, seed=7, gain=0.8)
    for b, t0 in enumerate(beats[::4]):
        i = int(t0 * SR)
        c = chord(PROGRESSION[b % 4], 4 * beat)
        n = min(len(c), len(x) - i)
        x[i : i + n] += 2 * c[:n]
    return x, beats


def test_downbeat_on_the_chord_change_not_the_loud_three():
    """The ODF peaks on beat 3 of every bar, the chords and their bass notes change on beat 1: the one is where the
    harmony moves (the ODF and chord change summed in one fold put every downbeat on beat 3)."""
    x, beats = chords_under_a_loud_three()
    feats = Analyzer().feed(x)
    down = np.array([beat_time(f) for f in feats if f.downbeat and f.time > 6.0])
    bars = beats[::4]
    assert len(down) >= 4 and all(np.min(np.abs(bars - d)) < 0.03 for d in down), (down, bars)
    assert {f.beats_per_bar for f in feats if f.time > 6.0} == {4}


def bass_in_four_under_chords_in_three(secs: float = 20.0, beat: float = 0.5, start: float = 0.37):
    """[n] clicks on every beat; a bass note (C2 F2 G2 A2) and a louder click every 4 beats, a loud upper chord every
    3 beats (a hemiola in the harmony); the bass lines' times."""
    beats = np.arange(start, secs - 0.05, beat)
    x = click_track(beats, secs, seed=7, gain=0.4) + click_track(beats[::4], secs, seed=5, gain=0.6)
    for step, times, gain, length in ((3, beats[::3], 3.0, 3 * beat), (4, beats[::4], 1.0, 4 * beat)):
        for b, t0 in enumerate(times):
            notes = PROGRESSION[b % 4][1:] if step == 3 else PROGRESSION[b % 4][:1]
            i = int(t0 * SR)
            c = chord(notes, length)
            n = min(len(c), len(x) - i)
            x[i : i + n] += gain * c[:n]
    return x, beats[::4]


def test_meter_from_the_cues_that_agree_not_the_loudest_fold():
    """The bass, its onset and the accented click mark a bar of 4, a loud chord marks every third beat: the meter is
    the fold whose one most cues agree on (the summed t-scores), 4. The fold of the ODF and the chord change alone,
    sharpest at 3, took the meter to 3 after 4 s and put 3 of 4 downbeats off the bass lines (METER_LEAD)."""
    x, bars = bass_in_four_under_chords_in_three()
    feats = Analyzer().feed(x)
    assert {f.beats_per_bar for f in feats if f.beat} == {4}
    down = np.array([beat_time(f) for f in feats if f.downbeat and f.time > 6.0])
    assert len(down) >= 4 and all(np.min(np.abs(bars - d)) < 0.03 for d in down), (down, bars)
