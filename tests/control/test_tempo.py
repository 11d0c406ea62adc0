"""Tempo sources (MIDI clock, tap, the analyzer's beats, a fixed grid), the selector, and the tempo lock."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

from livedream.audio.features import AudioFeatures
from livedream.control.midi_clock import PPQN, MidiClock
from livedream.control.tempo import BeatsTempo, FixedTempo, TapTempo, TempoSelector
from livedream.control.tempo_lock import TempoLock
from livedream.params import defaults


def feed_clock(clock: MidiClock, bpm: float, start: float, seconds: float, jitter_s: float = 0.0, seed: int = 0):
    """Ticks at bpm from start for seconds (arrival times with uniform jitter); returns the time after the last."""
    rng = np.random.default_rng(seed)
    period = 60.0 / (bpm * PPQN)
    n = int(seconds / period)
    for i in range(n):
        clock.tick(start + i * period + rng.uniform(-jitter_s, jitter_s))
    return start + n * period


def phase_error_s(state, t_true_beats: float, bpm: float) -> float:
    err = (state.beat - t_true_beats + 0.5) % 1.0 - 0.5
    return abs(err) * 60.0 / bpm


def test_midi_clock_locks_to_128_bpm_with_jitter_within_two_seconds():
    clock = MidiClock(origin=100.0)
    clock.start(100.0)
    end = feed_clock(clock, 128.0, 100.0, 2.0, jitter_s=0.002)
    now = end - 100.0 - 0.004  # between two ticks
    s = clock.state(now)
    assert s is not None and abs(s.bpm - 128.0) < 0.5, s
    assert phase_error_s(s, now * 128 / 60, 128) < 0.010
    assert s.source == "midi" and s.running


def test_midi_clock_follows_a_tempo_change_within_two_beats_and_survives_300_bpm():
    clock = MidiClock()
    clock.start(0.0)
    t = feed_clock(clock, 120.0, 0.0, 4.0)
    t = feed_clock(clock, 140.0, t, 2 * 60 / 140)  # two beats at the new tempo
    assert abs(clock.state(t).bpm - 140.0) < 0.5
    t = feed_clock(clock, 142.0, t, 2 * 60 / 142, jitter_s=0.001)  # a small change, with jitter: two beats too
    assert abs(clock.state(t).bpm - 142.0) < 0.5
    fast = MidiClock()
    end = feed_clock(fast, 300.0, 0.0, 2.0, jitter_s=0.001)
    assert abs(fast.state(end - 0.001).bpm - 300.0) < 1.0


def test_midi_clock_shrugs_off_a_burst_of_late_ticks():
    clock = MidiClock()
    clock.start(0.0)
    period = 60.0 / (128 * PPQN)
    for i in range(130):
        at = i * period
        if 100 <= i < 115:  # over half a beat of ticks held up by a flood, then delivered together
            at = 115 * period - 0.0002 * (115 - i)
        clock.tick(at)
        if i in (116, 129):  # a plain least-squares line says 108 and 162 BPM here
            assert abs(clock.state(i * period).bpm - 128.0) < 0.5


def test_midi_clock_start_stop_continue_song_position_and_a_clock_that_stops():
    clock = MidiClock()
    clock.start(0.0)
    period = 60.0 / (120 * PPQN)
    t = feed_clock(clock, 120.0, 0.0, 2.0)  # 4 beats: one bar
    s = clock.state(t - period)
    assert s.beat == pytest.approx(4.0 - 1 / PPQN, abs=0.02)
    clock.stop(t)
    t2 = feed_clock(clock, 120.0, t, 1.0)  # clock keeps running while stopped (as Live's does): no position
    assert not clock.state(t2 - period).running
    clock.song_position(16, t2)  # 16 sixteenths: bar 2
    clock.continue_(t2)
    t3 = feed_clock(clock, 120.0, t2, 0.25)
    s = clock.state(t3 - period)
    assert s.running and s.bar == pytest.approx(1.0 + 0.5 / 4, abs=0.02)
    assert clock.state(t3 + 1.0) is None  # no tick for a second: stopped, no tempo
    clock.start(t3 + 2.0)
    feed_clock(clock, 120.0, t3 + 2.0, 0.1)
    assert clock.state(t3 + 2.0 + period / 2).beat < 0.25  # Start: back to the first beat


def test_selector_auto_prefers_a_running_clock_then_tap_then_beats():
    clock, tap = MidiClock(), TapTempo()
    sel = TempoSelector("auto", midi=clock, tap=tap, beats=BeatsTempo())
    feats = {"class": AudioFeatures.silent(0.0)}
    assert sel.state(0.0, feats) is None and sel.report()["bpm"] is None
    beats = {"class": types.SimpleNamespace(tempo_bpm=100.0, beat_phase=0.25)}  # the analyzer's fields, by getattr
    assert sel.state(0.0, beats).source == "beats"
    for at in (0.0, 0.5, 1.0):
        tap.tap(at)
    assert sel.state(1.0, beats).source == "tap" and sel.state(1.0, beats).bpm == pytest.approx(120.0)
    end = feed_clock(clock, 128.0, 1.0, 1.0)
    assert sel.state(end, beats).source == "midi"
    assert sel.state(end + 1.0, beats).source == "tap"  # the clock stopped: back to tap
    assert TempoSelector("beats", midi=clock, tap=tap, beats=BeatsTempo()).state(end, beats).source == "beats"
    low_confidence = {"class": types.SimpleNamespace(tempo_bpm=100.0, beat_phase=0.2, beat_confidence=0.0)}
    assert TempoSelector("beats", beats=BeatsTempo()).state(0.0, low_confidence) is None
    src = BeatsTempo()  # no confidence field: silence for over two seconds means no tempo
    loud = {"class": types.SimpleNamespace(tempo_bpm=120.0, beat_phase=0.2, rms=0.1, time=1.0)}
    quiet = {"class": types.SimpleNamespace(tempo_bpm=120.0, beat_phase=0.4, rms=0.0, time=2.5)}
    silent = {"class": types.SimpleNamespace(tempo_bpm=120.0, beat_phase=0.6, rms=0.0, time=3.5)}
    assert src.state(0, loud) and src.state(0, quiet) and src.state(0, silent) is None
    assert BeatsTempo().state(0.0, {"class": AudioFeatures.silent(5.0)}) is None


def test_beats_adapter_counts_beats_and_follows_a_bar_phase_when_there_is_one():
    src = BeatsTempo()
    phases = [0.1, 0.5, 0.9, 0.2, 0.6, 0.05]
    got = [src.state(0.0, {"class": types.SimpleNamespace(tempo_bpm=120.0, beat_phase=p)}).beat for p in phases]
    assert got == pytest.approx([0.1, 0.5, 0.9, 1.2, 1.6, 2.05])
    src = BeatsTempo()
    s = src.state(0.0, {"class": types.SimpleNamespace(tempo_bpm=120.0, beat_phase=0.5, bar_phase=0.625)})
    assert s.bar_phase == pytest.approx(0.625)  # beat 2 of the bar, half-way
    src = BeatsTempo()  # a waltz: bars of the analyzer's 3 beats, so bar lines fall on its downbeats
    f = types.SimpleNamespace(tempo_bpm=120.0, beat_phase=0.5, bar_phase=0.5, beats_per_bar=3)
    s = src.state(0.0, {"class": f})
    assert s.beats_per_bar == 3 and s.bar_phase == pytest.approx(0.5) and s.ahead(0.75).bar_phase == pytest.approx(0.0)


def lock_run(params: dict, source, seconds: float = 8.0, fps: int = 30, flash=lambda t: 0.0):
    lock = TempoLock(source)
    p = {**defaults(), **params}
    f = AudioFeatures.silent()
    out = []
    for k in range(int(seconds * fps)):
        t = k / fps
        _, overrides, shuffle = lock.before(t, 1 / fps, {"pulse": f}, p)
        out.append((t, overrides, shuffle, lock.flash(flash(t), 1 / fps, p)))
    return lock, out


def test_lock_speed_beats_shuffles_on_bar_lines_and_falls_back_without_tempo():
    lock, out = lock_run({"speed_beats": 4.0, "class_shuffle_bars": 2}, FixedTempo(120.0, 0.0))
    assert out[0][1] == {"speed_fpm": 30.0, "class_shuffle_seconds": None}  # 120 beats/min / 4 beats an anchor
    assert [round(t * 30) for t, *_ in out if _[1]] == [120]  # every 2 bars = 4 s at 120 BPM: frame 120
    assert lock.shuffles == [4.0]
    _, plain = lock_run({"speed_beats": 4.0, "class_shuffle_bars": 2}, None)
    assert all(o == {} and not s for _, o, s, _ in plain)


def test_strobe_on_beat_and_flash_held_to_the_grid():
    _, out = lock_run({"strobe_on_beat": True, "strobe_division": "1/2"}, FixedTempo(120.0, 0.0), seconds=2.0)
    peaks = [round(t * 30) for t, _, _, a in out if a == 1.0]
    assert peaks == [8, 15, 23, 30, 38, 45, 53]  # every quarter second (7.5 frames), from the first grid line on
    # A hit at 0.1 s (between grid lines at 0 and 0.5 s) flashes at 0.5 s, not before.
    _, out = lock_run({"flash_on_beat": True}, FixedTempo(120.0, 0.0), seconds=1.0, flash=lambda t: 0.8 * (t < 0.15))
    amps = {round(t * 30): a for t, _, _, a in out}
    assert max(amps[k] for k in range(15)) == 0.0 and amps[15] == pytest.approx(0.8)
    assert amps[20] < 0.4


def test_one_shot_flash_and_pulse_decay():
    lock = TempoLock(None)
    lock.trigger("pulse", 0.8)
    lock.trigger("flash", 100 / 127)
    f = AudioFeatures.silent()
    feats, _, _ = lock.before(0.0, 0.0, {"pulse": f}, defaults())
    assert feats["pulse"].percussive_env == pytest.approx(0.8) and lock.flash_shot() == pytest.approx(100 / 127)
    for _ in range(40):
        feats, _, _ = lock.before(0.0, 1 / 30, {"pulse": f}, defaults())
    assert feats["pulse"] is f and lock.flash_shot() < 0.01
    assert math.isclose(lock.flash(0.3, 1 / 30, defaults()), 0.3)
