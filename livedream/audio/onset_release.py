"""A held chord's release as an onset: in legato music with slow attacks, the change's only mark within 50 ms.

The fourth onset path, beside onset_odf's fast, slow and pitch detection functions; TwoPathOnsets (onset.py)
holds its reports back RELEASE_WAIT_HOPS and drops them where another path reports the same change.
"""

from __future__ import annotations

import numpy as np

# Releases: in legato music a chord change is first the old chord's release (its note-offs are the new notes'
# note-ons), and where the new notes' attack is slow (an FM or sampled string section whose note is 30-40 dB under
# its level for its first 50 ms) the release is the change's only mark within 50 ms: the held partials fall 3 dB
# 40-50 ms after the note-on, 6 dB after 55-70 ms, 10 dB after 75-90 ms (wide Mozart K. 80, OPL3 strings, whose new
# notes rise 3 dB over what sounded only after a median 190 ms). A release is a report where, in sustained music
# (the held gate's context), the bands that held steady (within RELEASE_STEADY log units over the
# RELEASE_STEADY_HOPS + 1 hops before the last RELEASE_FALL_HOPS) and loud (within RELEASE_TOP of that time's
# loudest band) have fallen, each beyond RELEASE_BAND_MIN (6 dB: a tremolo's dip stays under it; without it a
# 3.5 dB tremolo on a 3-voice chord summed over its many bands to a report), by RELEASE_SUM log units in all
# since: a whole chord letting go together, deeper and more concerted than a tremolo's dip or one voice ending. It
# is stamped where the falling bands (those down by RELEASE_BAND_FALL) were last within RELEASE_START of their
# plateau: the report comes ~100 ms after the fall's start (RELEASE_WAIT_HOPS included), its onset time points
# back to it. Re-armed once the fall sum is under half of RELEASE_SUM, and at most one
# every RELEASE_GAP_HOPS; it reports only where no other path did in the last 0.1 s (as the slow path).
RELEASE_STEADY_HOPS = 6
RELEASE_FALL_HOPS = 6
RELEASE_STEADY = 0.5
RELEASE_TOP = 2.0
RELEASE_SUM = 9.0
RELEASE_BAND_MIN = 0.7
RELEASE_BAND_FALL = 0.5
RELEASE_START = 0.3
RELEASE_GAP_HOPS = 8
# A release is held back RELEASE_WAIT_HOPS before it is reported: where an attack follows it that soon (an organ's
# next chord, whose note-offs came ~60 ms before its note-ons), another path reports the change at its attack and
# the release is dropped (reported at once, it had hidden that attack as the same note's, 57 ms early).
RELEASE_WAIT_HOPS = 4
# A chord released into silence (a phrase's end) is no change: when the release is reported, the loudest band must
# still be within RELEASE_LEFT log units (20 dB) of the plateau's loudest (a new chord's slow attack and the old
# one's tail, 15-20 dB down in the wide K. 80; a chord stopping with a 20 dB / 80 ms release falls further by
# then). At 3.0 (26 dB) the 80 ms stop still gave an onset (wide K. 80 0.55 at 3.0, 0.45 at 2.3).
RELEASE_LEFT = 2.3


class ReleaseDetector:
    """A held chord's concerted release, from the fast path's log spectra (see RELEASE_SUM)."""

    def __init__(self, n_bands: int):
        self.n = RELEASE_STEADY_HOPS + RELEASE_FALL_HOPS + 1
        self.ring = np.zeros((self.n, n_bands), np.float32)  # [n, bands] the newest log spectra (ring)
        self.order = [(p + np.arange(self.n)) % self.n for p in range(self.n)]  # [n][n] ring rows, oldest first
        self.pos = 0
        self.count = 0
        self.armed = True
        self.since = 1e9  # hops since the last release
        self.top = 0.0  # the loudest band of the plateau before the last release

    def __call__(self, log_spec: np.ndarray, sustained: bool) -> int | None:
        """log_spec [bands] of the newest hop -> hops back to the release's start where one is reported now."""
        self.ring[self.pos] = log_spec
        self.pos = (self.pos + 1) % self.n
        self.count += 1
        self.since += 1
        if self.count < self.n or (self.armed and not sustained):  # nothing to judge or to re-arm: no cost
            return None
        rows = self.ring[self.order[self.pos]]  # [n, bands] oldest first
        plateau = rows[: RELEASE_STEADY_HOPS + 1]
        top = plateau.max(axis=0)  # [bands]
        held = (top - plateau.min(axis=0) <= RELEASE_STEADY) & (top >= plateau[-1].max() - RELEASE_TOP)
        fall = np.maximum(top - log_spec, 0.0) * held  # [bands]
        total = float(np.maximum(fall - RELEASE_BAND_MIN, 0.0).sum())
        if not self.armed:
            self.armed = total < 0.5 * RELEASE_SUM
            return None
        if total <= RELEASE_SUM or not sustained or self.since <= RELEASE_GAP_HOPS:
            return None
        falling = fall > RELEASE_BAND_FALL
        at_top = rows[RELEASE_STEADY_HOPS:, falling] >= top[falling] - RELEASE_START  # [fall hops + 1, falling]
        last = RELEASE_FALL_HOPS - np.argmax(at_top[::-1], axis=0)  # [falling] the last hop at the plateau
        last[~at_top.any(axis=0)] = 0
        self.armed = False
        self.since = 0
        self.top = float(top.max())
        return int(round(RELEASE_FALL_HOPS - float(np.median(last)))) if len(last) else RELEASE_FALL_HOPS
