"""Drum bands: kick, snare and hats onsets and envelopes from a causal band split of the percussive spectrum."""

from __future__ import annotations

import math

import numpy as np

from livedream.audio.hpss import median_of_9
from livedream.audio.spectrum import strided_view

DRUM_BANDS = ("kick", "snare", "hats")
REPORT_HOPS = (1, 1, 1)  # hops between a band's hit and its report (on top of the onset delay)
# Hz. Kick: the body below 150 Hz. Snare: its shell and the rattle of the snares, 150 Hz - 4 kHz (a tom or a
# clap lands here too). Hats: the metallic noise above 6 kHz, where a snare has little energy left.
BAND_EDGES = {"kick": (35.0, 150.0), "snare": (150.0, 4000.0), "hats": (6000.0, 11000.0)}
# The snare's hit is found in its rattle alone (FLUX_EDGES): below 1 kHz the percussive mask lets through the
# attacks of pitched notes (bass, piano, guitar: new sounds read as percussive for a few hops) and a kick's upper
# partials, which fired the 150 Hz - 4 kHz flux on hats and kicks as often as on snares.
FLUX_EDGES = {"snare": (1000.0, 4000.0)}
# In the kick band (a handful of 21.5 Hz bins) the HPSS's frequency median sees a kick as a tone: a sine-like FM or
# sampled kick under a bass line came out 1-5 % percussive. There a bin's mask is the larger of the HPSS's and a
# time-only one, the share of |X|^2 above (KICK_TIME_MARGIN x its median over the last 9 spectra)^2: a kick's
# sudden rise counts, a held bass note gives nothing (a new bass note counts, as through the HPSS for a few hops).
# Wide set: kick F 0.620 -> 0.686; the soft form |X|^2 / (|X|^2 + (5 x median)^2) gave 0.659, with a held note's
# constant 4 % leak under every kick.
KICK_TIME_MARGIN = 2.0
# The beat tracker reads a kick taken through the HPSS mask alone (beat_kick): the time-only mask also passes the
# start of a bass note, and in music without drums those pulled the beats off (held-out beat F 0.58 -> 0.53).
BAND_LOG_LAMBDA = 3000.0
# A band's flux compares its level with the largest of its levels 2..BAND_LAG_MAX hops ago: a hit rises over two
# hops, while a steady buzz (a clipped square's aliased partials in the hats band) that flutters from hop to hop
# stays below its own recent maximum.
BAND_LAG_MAX = 3
# log-flux per band that counts as a hit (wide eval set; the kick band has few bins: noise flutters more there)
# (the hats' smaller delta and mean factor: a closed hat over a ringing open one or a ride rises by little; at 0.3
# white noise flutters into hats)
BAND_DELTA = {"kick": 1.0, "snare": 0.6, "hats": 0.35}
BAND_MEAN = {"kick": 1.5, "snare": 1.5, "hats": 0.5}  # times the band's recent mean flux
BAND_MEAN_S = 0.3
BAND_MIN_IOI_S = 0.06
# A hit spills into the neighbour bands (a kick's click, a snare's hiss up high); a snare or hats candidate is
# confirmed one hop later, when the hit's spectrum has settled, only if its band's energy is at least this share of
# the band it is confused with. So band onsets come one hop (11.6 ms) after the main onset.
KICK_OVER_SNARE = 0.5  # total energy: a snare's body leaks below 150 Hz, but far less than a kick puts there
SNARE_OVER_KICK = 0.05  # total energy: a kick's 150 Hz+ spill is a few % of its body
# energy per Hz: a snare's hiss thins out above 6 kHz far more than a hat's. Spectra fall steeply with frequency, so
# even a hat over a band mix has a few thousandths of the 150 Hz - 4 kHz density (0.5 here found 1 hat in 5).
HATS_OVER_SNARE = 0.005
SNARE_OVER_HATS = 1.0  # energy per Hz: a hat spills some hiss below 4 kHz, thinner than above 6 kHz
# A hit far under the kit's loudest band (the largest running peak of the three) is no hit a VJ would see: the
# aliased partials of a clipped square fluttering into the hats band, a click in a near-empty stretch.
KIT_FLOOR = 10 ** (-40 / 20)
# Kit present: music without drums still brings candidates (a piano's or a guitar's attacks through the percussive
# mask: 2.1 snares, 0.8 hats and 0.3 kicks a second on the wide set's clips without drums). A drum's hit is noise: the
# percussive spectrum of a snare's rattle (1-4 kHz) or a hat (6-11 kHz) is flat (geometric over arithmetic mean
# power, median 0.35 / 0.3 on true hits), a note's attack a comb of partials (median 0.04 / 0.06). A kit starts with
# KIT_MIN_HITS snare or hats hits at least KIT_FLAT flat within KIT_HOLD_S (the second one reports) and stays while
# one came in the last KIT_HOLD_S; with no kit the bands report nothing (the envelopes go on). Wide set's clips
# without drums: snare 2.1 -> 0.27 false hits a second, hats 0.83 -> 0.09, kick 0.26 -> 0.09.
KIT_FLAT = {"snare": 0.4, "hats": 0.25}
KIT_HOLD_S = 4.0
KIT_MIN_HITS = 2
KIT_FLAT_ONE = 0.5  # a hit this flat counts twice: a kit from its first hit (wide kick F 0.681 -> 0.689)
# A hat this little flat is a note's top partials even while a kit plays (a snare's rattle can be, under a band mix).
KIT_FLAT_LO = {"snare": 0.0, "hats": 0.1}
# kicks within KIT_HOLD_S that let the kick band through with no kit yet (a kick-only intro; a kick is a tone, it
# has no flatness to show): a new bass note can pass as a kick, but rarely 4 in 4 s
KICK_MIN_HITS = 4
_FLAT_EPS = 1e-20  # power floor in the flatness's log: an empty bin does not send it to 0
BAND_RELEASE_S = 0.12  # the envelopes fall this fast: a hit is a flash, not a swell
_FLOOR_AMP = 10 ** (-50 / 20)


def band_masks(sample_rate: int, n_fft: int) -> np.ndarray:
    """[4, n_fft // 2 + 1] 0/1 masks of the FFT bins in each band (empty above the Nyquist frequency): kick, snare,
    hats, then the snare's rattle (FLUX_EDGES)."""
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    edges = [*BAND_EDGES.values(), FLUX_EDGES["snare"]]
    return np.stack([((freqs >= lo) & (freqs < hi)).astype(np.float32) for lo, hi in edges])


class DrumBands:
    """Percussive magnitude spectrum per hop in; per band: energy, an onset flag and a 0..1 envelope.

    A band's onset is a jump of its log energy (over two hops) above an adaptive threshold, like the main
    onset picker; its envelope is the band's percussive RMS, peak-normalised, fast attack and short release.
    """

    def __init__(self, sample_rate: int, n_fft: int, hop_s: float, spec_to_ms: float):
        self.masks = band_masks(sample_rate, n_fft)  # [4, bins]
        width = np.maximum(self.masks.sum(axis=1), 1.0)  # [4] bins per band
        idx = [np.flatnonzero(m) for m in self.masks]
        self.spans = [(int(i[0]), int(i[-1]) + 1) if len(i) else (0, 0) for i in idx]  # each band's bins, contiguous
        # a band's energy is a difference of the cumulative sum at its two ends (index 0 of the sum is 0)
        self._ends = np.array([b for _, b in self.spans] + [a for a, _ in self.spans])  # [8] his, then los
        self.spec_to_ms = spec_to_ms
        self.hop_s = hop_s
        self.mean_n = max(2, round(BAND_MEAN_S / hop_s))
        self.pos = 0
        self.peak_decay = 0.5 ** (hop_s / 8.0)
        self.release = float(np.exp(-hop_s / BAND_RELEASE_S))
        # The per-hop state as plain floats in lists, one item per band in DRUM_BANDS order: three numbers a hop
        # cost far less as Python floats than as numpy calls on 3-element arrays.
        # Four detectors: the three bands and the beat tracker's kick. Each one's energy, and the energy its flux is
        # taken from (the snare's is its rattle), as indices into energies()'s rows.
        self.band_of = (0, 1, 2, 4)
        self.flux_of = (0, 3, 2, 4)
        self.level_scale_l = (np.sqrt(spec_to_ms) / np.sqrt(width[[0, 3, 2, 0]])).tolist()  # energy -> amplitude/bin
        self.width_l = width.tolist()
        dets = (*DRUM_BANDS, "kick")
        self.delta_l = [BAND_DELTA[b] for b in dets]
        self.mean_k_l = [BAND_MEAN[b] / self.mean_n for b in dets]
        self.prev_l = [[0.0] * BAND_LAG_MAX for _ in range(4)]  # [4][lags] log energies of the last hops, oldest first
        self.recent_l = [[0.0] * self.mean_n for _ in range(4)]  # [4][mean_n] past fluxes (ring)
        self.recent_sum_l = [0.0] * 4  # their running sum
        self.since_l = [1e9] * 4  # hops since each detector's last candidate
        self.pending_l = [False] * 4  # candidates of the last hop, confirmed in this one
        self.peak_l = [_FLOOR_AMP] * 4  # running peaks of the band RMS (8 s half-life), as PeakTracker
        self.env_l = [0.0] * 4  # instant attack, BAND_RELEASE_S release, as Envelope(0, release)
        self.flux = [0.0] * 4
        self.rms = [0.0] * 4  # the newest band RMS values
        self.beat_kick = False  # the newest hop's kick through the HPSS mask alone, for the beat tracker
        # The beat tracker's snare: the band's hit without the kit gate. In music without drums the "snares" are note
        # attacks, which mark beats: with the gated snare held-out beat F fell 0.616 -> 0.583 (slow-attack 0.64 -> 0.57).
        self.beat_snare = False
        self.kit_flat_l = [KIT_FLAT["snare"], KIT_FLAT["hats"]]
        self.kit_lo_l = [KIT_FLAT_LO["snare"], KIT_FLAT_LO["hats"]]
        self.kit_hits: list[int] = []  # hop numbers of the recent hits that showed a kit (KIT_FLAT), oldest first
        self.kit_min = KIT_MIN_HITS
        self.kit_one = KIT_FLAT_ONE
        self.kit_open = False
        self.kick_hits: list[int] = []  # hop numbers of the recent kick hits
        self.kick_min = KICK_MIN_HITS
        self.hop_no = 0
        self.kit_hold = KIT_HOLD_S / hop_s
        lo, hi = self.spans[0]
        self._kick_past = np.zeros((8, hi - lo), np.float32)  # [8, kick bins] the last spectra's kick band

    def _kick_mask(self, mags: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """mags, mask [k, bins] -> [k, kick bins] the kick band's mask: the larger of mask and a time-only one."""
        lo, hi = self.spans[0]
        k, n = len(mags), hi - lo
        frames = np.concatenate([self._kick_past, mags[:, lo:hi]])  # [8 + k, kick bins] oldest first
        self._kick_past = frames[k:]
        med = median_of_9(strided_view(frames, (9, k, n), (n, n, 1)))  # [k, kick bins] over each frame and 8 before
        x2 = np.square(mags[:, lo:hi], dtype=np.float64)
        m2 = np.square(KICK_TIME_MARGIN * med, dtype=np.float64)
        time_mask = np.maximum(1.0 - np.divide(m2, x2, out=np.ones_like(x2), where=x2 > 0), 0.0)
        return np.maximum(mask[:, lo:hi], time_mask)

    def energies(self, mags: np.ndarray, mask: np.ndarray) -> list[list[float]]:
        """mags [k, bins] magnitude spectra, mask [k, bins] their HPSS percussive masks -> [k][7] each band's
        percussive energy (sum of squares): kick, snare, hats, the snare's rattle, the kick band's through the HPSS
        mask alone; then the mean log power per bin of the rattle and of the hats band (for their flatness).

        All the hops of a feed call at once, from one cumulative sum along each row (numpy calls are the cost).
        """
        perc_mags = mags * mask  # [k, bins]
        lo, hi = self.spans[0]
        hpss_kick = np.square(perc_mags[:, lo:hi], dtype=np.float64).sum(axis=1).tolist()  # [k]
        if hi > lo:
            perc_mags[:, lo:hi] = mags[:, lo:hi] * self._kick_mask(mags, mask)
        p2 = np.square(perc_mags, dtype=np.float64)  # [k, bins]
        cs = np.zeros((len(perc_mags), perc_mags.shape[1] + 1))  # [k, bins + 1], column 0 stays 0
        np.cumsum(p2, axis=1, out=cs[:, 1:])
        ml = np.stack(  # [k, 2]; the hats band is empty at a low sample rate
            [
                np.log(p2[:, lo:hi] + _FLAT_EPS).sum(axis=1) / max(hi - lo, 1)
                for lo, hi in (self.spans[3], self.spans[2])
            ],
            axis=1,
        ).tolist()
        return [
            [*(max(hi - lo, 0.0) for hi, lo in zip(e[:4], e[4:], strict=True)), h, *m]
            for e, h, m in zip(cs[:, self._ends].tolist(), hpss_kick, ml, strict=True)
        ]

    def __call__(self, energy: list[float]) -> tuple[list[bool], list[float]]:
        """energy [7] of the newest hop (from energies) -> (onset [3] bools, env [3] 0..1 at float32 precision),
        in DRUM_BANDS order; beat_kick and beat_snare the beat tracker's kick and snare."""
        own = self._own(energy)
        pos = self.pos
        self.pos = (pos + 1) % self.mean_n
        resum = self.pos == 0  # the ring wrapped: its sum afresh, no drift from the running sum
        a, to_ms, decay, hop_s = self.release, self.spec_to_ms, self.peak_decay, self.hop_s
        sums, since_l, pending, peaks, envs = self.recent_sum_l, self.since_l, self.pending_l, self.peak_l, self.env_l
        onset = [False] * 4
        floor = KIT_FLOOR * max(peaks)  # the last hop's peaks: a hit's own rise does not raise its floor
        for b, f in enumerate(self.flux_of):
            e = energy[self.band_of[b]]
            rms = math.sqrt(e * to_ms)  # the band's share of the signal's RMS
            level = math.log1p(BAND_LOG_LAMBDA * math.sqrt(energy[f]) * self.level_scale_l[b])
            lag = self.prev_l[b]
            flux = max(level - max(lag[:-1]), 0.0)  # over two hops or more
            lag.pop(0)
            lag.append(level)
            recent, total = self.recent_l[b], sums[b]
            thr = self.delta_l[b] + self.mean_k_l[b] * max(total, 0.0)
            total = total + flux - recent[pos]
            recent[pos] = flux
            sums[b] = sum(recent) if resum else total
            since = since_l[b] + 1
            candidate = flux > thr and since * hop_s >= BAND_MIN_IOI_S
            onset[b] = pending[b] and own[b] and rms >= floor
            pending[b] = candidate
            since_l[b] = 0 if candidate else since
            peak = peaks[b] = max(rms, peaks[b] * decay, _FLOOR_AMP)
            x, env = min(rms / peak, 1.0), envs[b]
            envs[b] = x if x > env else a * env + (1.0 - a) * x
            self.flux[b], self.rms[b] = flux, rms
        self.beat_kick = onset.pop()
        self.beat_snare = onset[1]  # before the kit gate: the beat tracker reads note attacks there too
        self.hop_no = hop = self.hop_no + 1
        kit = self.kit_hits
        for b, f, thr, lo in zip((1, 2), (3, 2), self.kit_flat_l, self.kit_lo_l, strict=True):
            if onset[b]:  # the snare's flatness is its rattle's
                flat = math.exp(energy[4 + b]) / (energy[f] / self.width_l[f] + _FLAT_EPS)
                if flat >= thr:
                    kit.extend((hop,) * (1 + (flat >= self.kit_one)))
                elif flat < lo:
                    onset[b] = False
        while kit and hop - kit[0] > self.kit_hold:
            kit.pop(0)
        if len(kit) >= self.kit_min:
            self.kit_open = True
        elif not kit:
            self.kit_open = False
        kicks = self.kick_hits
        if self.beat_kick:  # through the HPSS mask alone: the time-only mask passes each new bass note
            kicks.append(hop)
        while kicks and hop - kicks[0] > self.kit_hold:
            kicks.pop(0)
        if not self.kit_open:
            onset = [len(kicks) >= self.kick_min and onset[0], False, False]
        return onset, np.array(envs[:3], np.float32).tolist()

    def _own(self, energy: list[float]) -> tuple[bool, bool, bool, bool]:
        """Whether each band's energy beats the bands it is confused with (kick: snare, snare: both, hats: snare);
        the snare's by its rattle; last the beat tracker's kick."""
        e0, e1, e2, e3, e4 = energy[:5]
        d1, d2, d3 = e1 / self.width_l[1], e2 / self.width_l[2], e3 / self.width_l[3]
        return (
            e0 >= KICK_OVER_SNARE * e1,
            e3 >= SNARE_OVER_KICK * e0 and d3 >= SNARE_OVER_HATS * d2,
            d2 >= HATS_OVER_SNARE * d1,
            e4 >= KICK_OVER_SNARE * e1,
        )
