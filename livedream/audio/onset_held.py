"""The held-tone gate: a held note's tremolo and vibrato, or a steady sound's beating, told from a new note.

TwoPathOnsets (onset.py) asks it about every fast and slow report; its context (sustained or spiky music) also decides
where the soft entries, the busy-mix delta and the release path count.
"""

from __future__ import annotations

import numpy as np

# Held tones: the tremolo and vibrato of a sustained note (a choir's "aah", an organ, a pad) lift the spectrum by
# several dB a few times a second, which the fast and slow paths read as onsets. A report whose spectrum rises
# less than a share of its ODF above the maximum of the last HELD_HOPS spectra only went back to where it was a
# moment ago: it is dropped. Fast reports only in sustained music (the fast ODF's peak over the last
# HELD_CONTEXT_S under HELD_SPIKY times its mean): in plucked, percussive and band music a repeated note or drum
# hit comes back to the level of the last one, and is an onset. One spike is not such music: the context is spiky only
# when the second-largest value is also HELD_SPIKY_SECOND times the mean (a pad's chord onset alone had left the gate
# off for the second after it, and its swells came out as onsets). Slow reports always (HELD_SLOW_SHARE of the larger
# of the fast and slow ODFs): the fast path reports the attacks of that music.
HELD_CONTEXT_S = 1.0  # a steady noise's own onset from silence leaves it after 1 s, and the gate holds it too
HELD_SPIKY = 6.0
HELD_SPIKY_SECOND = 3.0
SPIKE_TAIL = 4  # hops a transient stays in the onset spectrum's window (1024 samples, hop 256)
HELD_HOPS = 20  # 232 ms: longer than a tremolo's dip
HELD_SHARE = 0.2
HELD_SLOW_SHARE = 0.1
# A steady sound whose partials beat (a clipped square's aliases against its true partials, two close tones) moves
# energy between bands several times a second: a spiky fast ODF, so the gate above stays off, and a storm of reports.
# Its loudness, though, holds still, where plucked, percussive and band music never keeps its level for long (notes
# decay, hits rise). So in spiky context too a report is dropped when the summed band amplitude of the last
# STEADY_S stays within STEADY_DB and the report only went back to a recent level.
STEADY_S = 0.5
STEADY_DB = 2.0
STEADY_NEW = 1.0


class HeldToneGate:
    """Tells a held note's tremolo from a new note, from the fast path's spectra and ODF (see HELD_SPIKY)."""

    def __init__(self, n_bands: int, hop_s: float):
        self.odfs = np.zeros(max(2, round(HELD_CONTEXT_S / hop_s)), np.float32)  # [context hops] fast ODF ring
        self.context = 0  # spikes() of the ring as it stands (all zeros: sustained)
        self.odf_pos = 0
        n = max(HELD_HOPS, round(STEADY_S / hop_s))
        # Two rings at one position: the summed band amplitude [n] (the newest hop's written before its reports are
        # judged) and the max-filtered spectra [n, bands] (written after them); the held test reads the newest
        # HELD_HOPS of the spectra, the steady test all of both.
        self.levels = np.zeros(n, np.float32)
        self.spectra = np.zeros((n, n_bands), np.float32)
        self.pos = 0
        self.steady_ratio = float(10 ** (STEADY_DB / 20))

    def held(self, odf: float, log_spec: np.ndarray, share: float | None = None, always: bool = False) -> bool:
        """Whether a report now (ODF odf, fast log spectrum log_spec [bands]) is only a held tone's swell."""
        ages = np.arange(HELD_HOPS)  # [HELD_HOPS] hops back from the newest stored one
        spikes = 0 if always else self.spikes()
        if spikes == 2:
            return False
        if spikes == 1:  # compare only with what sounded outside the spike's transient (a click stays in the
            # spectrum window for SPIKE_TAIL hops and would hide a chord entering after it)
            spike = (self.odf_pos - 1 - int(self.odfs.argmax())) % len(self.odfs)
            ages = ages[(ages > spike) | (ages < spike - SPIKE_TAIL + 1)]
            if len(ages) == 0:
                return False
        recent = self.spectra[(self.pos - 1 - ages) % len(self.spectra)]  # [<= HELD_HOPS, bands]
        new = float(np.maximum(log_spec - recent.max(axis=0), 0.0).sum())
        return new < (HELD_SHARE if share is None else share) * odf

    def spikes(self) -> int:
        """The fast ODF's spikes in the last HELD_CONTEXT_S: 0 (sustained music), 1 (one onset alone) or 2 (two or
        more: plucked, percussive or band music, where the fast path reports the notes). Counted once per hop, in
        push(): three tests a hop ask for it, and counting it each time cost 8 % of the analysis."""
        return self.context

    def _count_spikes(self) -> int:
        mean = float(self.odfs.mean())
        if float(self.odfs.max()) <= HELD_SPIKY * mean:
            return 0
        return 2 if float(np.partition(self.odfs, -2)[-2]) > HELD_SPIKY_SECOND * mean else 1

    def level(self, bands: np.ndarray) -> None:
        """The newest hop's filterbank amplitudes [bands], before its reports are judged (its own level counts)."""
        self.levels[self.pos] = float(bands.sum())

    def steady(self, log_spec: np.ndarray) -> bool:
        """Whether a report now is a steady sound's beating: the loudness held within STEADY_DB over the last
        STEADY_S (and there was sound), and the spectrum log_spec [bands] rises less than STEADY_NEW above the
        maximum of that time (a new note at the same loudness, a choir's next chord, still does)."""
        lo = float(self.levels.min())
        if not (lo > 0.0 and float(self.levels.max()) < self.steady_ratio * lo):
            return False
        return float(np.maximum(log_spec - self.spectra.max(axis=0), 0.0).sum()) < STEADY_NEW

    def push(self, odf: float, mf: np.ndarray) -> None:
        """Store the newest hop (after the reports of that hop were judged)."""
        self.odfs[self.odf_pos] = odf
        self.odf_pos = (self.odf_pos + 1) % len(self.odfs)
        self.context = self._count_spikes()
        self.spectra[self.pos] = mf
        self.pos = (self.pos + 1) % len(self.spectra)
