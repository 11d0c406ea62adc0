"""The fast picker in busy mixes (onset.py BUSY_DELTA_MEAN): a lower delta over a steady ODF background, and undo."""

from __future__ import annotations

from livedream.audio import onset
from livedream.audio.onset_odf import FAST

HOP_S = 256 / 22050


def primed(delta_fall: float) -> onset.OnsetPicker:
    """A fast picker that has seen 0.3 s of a pad's steady flux background (1.4 a hop)."""
    p = onset.OnsetPicker(HOP_S, FAST)
    p.delta_fall = delta_fall
    for _ in range(26):
        assert not p(1.4)
    return p


def test_a_soft_note_over_a_busy_background_clears_only_the_lowered_threshold():
    full = FAST.delta + FAST.k_mean * 1.4  # 4.3
    soft = 0.95 * full
    assert not primed(0.0)(soft)
    p = primed(onset.BUSY_DELTA_MEAN)
    assert p(soft)
    assert soft <= p.full_threshold  # a marginal report: onset.py sends it through the held test


def test_an_undone_report_leaves_the_picker_armed_for_the_real_attack():
    p = primed(onset.BUSY_DELTA_MEAN)
    assert p(0.95 * p.full_threshold)
    p.undo()
    assert p(20.0)  # a hop later: reported (without the undo the picker waits to re-arm)
    q = primed(onset.BUSY_DELTA_MEAN)
    assert q(0.95 * q.full_threshold)
    assert not q(20.0)
