"""The pitch picker after a burst (onset.py BURST_MEAN_S) and one onset per note across the fast, slow and pitch paths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from livedream.audio import onset
from livedream.audio.onset_odf import PITCH, SLOW

HOP_S = 256 / 22050
N_BANDS = 120


def pitch_picker(burst: bool) -> onset.OnsetPicker:
    """A pitch picker (one update per 2 hops) that reported a chord's burst of novelty 0.14 s ago."""
    p = onset.OnsetPicker(2 * HOP_S, PITCH)
    p.short_n = round(onset.BURST_MEAN_S / p.hop_s) if burst else 0
    assert p(6.0)  # the chord
    assert not p(5.0)
    for _ in range(6):  # 0.14 s of quiet novelty: re-armed
        assert not p(0.0)
    return p


def test_a_note_after_a_chords_burst_counts():
    assert pitch_picker(burst=True)(1.6)  # threshold back at delta: the newest 0.12 s were quiet
    assert not pitch_picker(burst=False)(1.6)  # the burst still in the 0.2 s mean: 1 + 11 / 9


def test_without_a_burst_the_full_span_stays(monkeypatch: pytest.MonkeyPatch):
    """Held notes' shimmer (0.6 a while, then quiet): no burst passed, so a blip of 1.15 stays under 1 + 2.4 / 9."""

    def blip() -> bool:
        p = onset.OnsetPicker(2 * HOP_S, PITCH)
        p.short_n = round(onset.BURST_MEAN_S / p.hop_s)
        for x in [0.6] * 4 + [0.0] * 5:
            assert not p(x)
        return p(1.15)

    assert not blip()
    monkeypatch.setattr(onset, "BURST_RATIO", 1.0)  # the newest 0.12 s alone: the blip reads as a note
    assert blip()


def run_note(monkeypatch: pytest.MonkeyPatch, block_hops: int) -> list[float]:
    """A decaying chord for 1.2 s, then a new note that the pitch path reports (the chroma window sees it first) a
    hop before its attack reaches the fast path: the onsets' extra delays after the chord's."""
    monkeypatch.setattr(onset, "SOFT_FAST_HOPS", block_hops)
    det = onset.TwoPathOnsets(N_BANDS, HOP_S, 2 * HOP_S)
    chord = np.zeros(N_BANDS, np.float32)
    chord[20:24] = 0.05  # [bands] the chord's partials
    for h in range(104):
        det(chord * 0.99**h, 0.0 if h % 2 else None)
    note = chord * 0.99**104
    note[60:70] = 0.2  # the new note's attack
    out = []
    for bands, pitch in [(chord * 0.99**104, 30.0), (note, None), (note, 0.0), (note, None)]:
        on, extra, _ = det(bands, pitch)
        if on:
            out.append(extra)
    return out


def test_the_fast_paths_late_report_of_a_pitch_reported_note_is_dropped(monkeypatch: pytest.MonkeyPatch):
    assert run_note(monkeypatch, onset.SOFT_FAST_HOPS) == [PITCH.extra_delay_s]
    assert run_note(monkeypatch, 0) == [PITCH.extra_delay_s, 0.0]  # without the rule: the note twice


def run_swell(monkeypatch: pytest.MonkeyPatch, slow_ioi_s: float) -> list[float]:
    """A held chord, then a new note swelling in 1.3x a hop (too slow for the fast path); the pitch path reports it
    first, the slow path a hop later: the onsets' extra delays after the chord's."""
    det = onset.TwoPathOnsets(N_BANDS, HOP_S, 2 * HOP_S)
    monkeypatch.setattr(onset, "SLOW", dataclasses.replace(SLOW, min_ioi_s=slow_ioi_s))  # the paths' rule only
    held = np.zeros(N_BANDS, np.float32)
    held[20:24] = 0.05
    for h in range(104):
        det(held, 0.0 if h % 2 else None)
    out = []
    for k in range(12):
        bands = held.copy()
        bands[60:70] = 0.0001 * 1.3**k
        on, extra, _ = det(bands, 30.0 if k == 8 else (0.0 if k % 2 == 0 else None))
        if on:
            out.append(extra)
    return out


def test_the_slow_paths_report_of_a_pitch_reported_note_is_dropped(monkeypatch: pytest.MonkeyPatch):
    assert run_swell(monkeypatch, SLOW.min_ioi_s) == [PITCH.extra_delay_s]
    assert run_swell(monkeypatch, 0.0) == [PITCH.extra_delay_s, SLOW.extra_delay_s]  # without it: twice
