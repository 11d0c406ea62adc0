"""Streaming, causal audio analysis: mono samples in any chunk size -> one AudioFeatures per hop."""

from __future__ import annotations

import logging
import math
import os

import numpy as np

from livedream.audio.bands import DrumBands
from livedream.audio.beats import BeatTracker
from livedream.audio.chroma import StreamingChroma
from livedream.audio.features import AudioFeatures
from livedream.audio.hpss import CausalHPSS, leading_edge_window
from livedream.audio.normalize import Envelope, GlobalStats, PeakTracker
from livedream.audio.onset import AubioOnset, TwoPathOnsets
from livedream.audio.onset_odf import PitchNovelty, log_filterbank
from livedream.audio.spectrum import MagnitudeSpectrum, strided_view
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

ANALYSIS_RATE = 22050  # Hz: what the pipeline decodes to (mono) before feeding the Analyzer
HOP = 256  # samples at ANALYSIS_RATE: 11.6 ms, finer than a 60 fps video frame
SPEC_WIN = 1024  # one spectrum per hop for onsets, HPSS and drum bands: 21.5 Hz bins resolve chord partials
SPEC_FALL = 128  # its window falls over the newest 5.8 ms only: attacks count at once
CHROMA_WIN = 4096  # 186 ms: enough frequency resolution for pitch classes down to ~60 Hz
CHROMA_EVERY = 2  # hops per chroma update (23 ms)
AUBIO_WIN = 512
ONSET_METHODS = ("superflux", "specflux", "kl", "complex", "mkl", "phase", "hfc", "wphase", "specdiff", "energy")
DEFAULT_ONSET_METHOD = "superflux"  # best on the wide eval set (bench/README-analysis.md); the rest are aubio's
LOW_ACCENT_HZ = 250.0  # bass onsets below this mark the downbeats
# Measured on the wide eval set: median of (hop end at report - true onset), 15.9 ms (held-out 15.2 ms; a
# click, reported within the hop of its attack, stays within 15 ms of its time) (bench/README-analysis.md).
_ONSET_DELAY_S = 0.015
_AUBIO_DELAY_S = 0.028
_CHROMA_DELAY_S = 0.085
_FLOOR_AMP = 10 ** (-50 / 20)  # -50 dBFS: below this a signal is treated as near-silence by the normalisers
_HALF_LIFE_S = 8.0  # how fast the adaptive peaks forget a loud passage
MAX_BATCH = 16  # hops whose spectra are taken together (one feed call's, at most this many: bounded memory)


class Analyzer:
    """Feed it mono float32 audio in chunks of any size; it returns the features of every completed hop.

    All state is internal and processed hop by hop, so the output does not depend on how the
    stream was cut into chunks: live (sound-card ring buffer) and export (file blocks) agree.
    """

    def __init__(
        self,
        sample_rate: int = ANALYSIS_RATE,
        onset_method: str = DEFAULT_ONSET_METHOD,
        normalization: GlobalStats | None = None,
    ):
        if onset_method not in ONSET_METHODS:
            raise LivedreamError(f"unknown onset method {onset_method!r}; choose one of {', '.join(ONSET_METHODS)}")
        if normalization is not None and not isinstance(normalization, GlobalStats):
            raise TypeError("normalization must be None (adaptive) or a GlobalStats")
        self.sample_rate = sr = int(sample_rate)
        scale = sr / ANALYSIS_RATE  # keep the windows' durations at other rates
        p2 = lambda n: 1 << max(5, round(np.log2(n * scale)))  # noqa: E731 - power of two near n*scale
        self.hop_size = p2(HOP)
        self.hop_s = hop_s = self.hop_size / sr
        self.onset_method = onset_method
        self.onset_delay_s = _ONSET_DELAY_S if onset_method == "superflux" else _AUBIO_DELAY_S
        # measured: the shift that best aligns the chroma with the sounding notes (wide eval set), about the centre
        # of weight of the leading-edge window plus the half hop it is stale on average between updates
        self.chroma_delay_s = _CHROMA_DELAY_S

        self._spec_n = n = p2(SPEC_WIN)
        self._spec_win = leading_edge_window(n, min(p2(SPEC_FALL), n // 2))  # [spec_n]
        self._spectrum = MagnitudeSpectrum(self._spec_win)
        # one-sided power spectrum -> mean square of the signal (Parseval, for this window)
        self._spec_to_ms = 2.0 / (n * float(np.dot(self._spec_win, self._spec_win)))
        self._mag_to_amp = 2.0 / float(self._spec_win.sum())  # a sine of amplitude A peaks at ~A
        self._hpss = CausalHPSS(n // 2 + 1)
        self._fb = log_filterbank(sr, n)  # [bands, bins]
        centres = (self._fb * np.arange(n // 2 + 1)).sum(axis=1) * sr / n  # [bands] Hz
        self._low = max(1, int(np.sum(centres < LOW_ACCENT_HZ)))
        self._flux = TwoPathOnsets(len(self._fb), hop_s, CHROMA_EVERY * hop_s)
        self._aubio = (
            None if onset_method == "superflux" else AubioOnset(onset_method, sr, self.hop_size, p2(AUBIO_WIN))
        )
        self._bands = DrumBands(sr, n, hop_s, self._spec_to_ms)
        self._beats = BeatTracker(hop_s, self.onset_delay_s)

        self._chroma_n = p2(CHROMA_WIN)
        # [max(chroma_n, spec_n)] the newest samples, oldest first; both spectra read their ends of it
        self._samples = np.zeros(max(self._chroma_n, n), np.float32)
        self._chroma_fn = StreamingChroma(sr, self._chroma_n)
        self._pitch = PitchNovelty(sr, self._chroma_n, self._chroma_fn.mag_to_amp, CHROMA_EVERY * hop_s)
        self._chroma = np.zeros(12, np.float32)  # [12] newest chroma (summed peak magnitudes)
        self._bass = np.zeros(12, np.float32)  # [12] newest bass chroma
        self._chroma_prev = np.zeros(12, np.float32)
        self._chroma_change = 0.0
        # [12] the newest chroma over its max (0 until the first)
        self._chroma_norm: np.ndarray = np.zeros(12, np.float32)
        self._bass_norm: np.ndarray = np.zeros(12, np.float32)  # [12] the same for the bass chroma
        # the chroma of a sine at -50 dBFS (its peak magnitude; weights ~1 at the pitch class)
        self._chroma_floor = _FLOOR_AMP / self._chroma_fn.mag_to_amp

        g = normalization
        self._n_level = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.rms)
        self._n_onset = PeakTracker(5.0, _HALF_LIFE_S, hop_s, g and g.onset_strength)
        self._n_perc = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.percussive)
        self._n_harm = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.harmonic)
        self._e_level = Envelope(0.01, 0.3, hop_s)
        self._e_perc = Envelope(0.0, 0.15, hop_s)
        self._e_harm = Envelope(0.05, 0.5, hop_s)
        self._onset_decay = float(np.exp(-hop_s / 0.08))  # onset_env falls to ~0.1 in ~0.18 s
        self._onset_env = 0.0
        self._prev_low = np.zeros(self._low, np.float32)

        self._buf = np.zeros(self.hop_size, np.float32)  # the hop being filled
        self._fill = 0
        self._hops = 0
        self.latest = AudioFeatures.silent(0.0)

    def feed(self, samples: np.ndarray) -> list[AudioFeatures]:
        """samples [n] float32 mono, any n (0 is fine) -> the features of each hop completed by them."""
        x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)  # [n]
        if not np.isfinite(x).all():  # rare: only then the copy
            x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
        hops = self._complete_hops(x)  # [k, hop_size]
        out: list[AudioFeatures] = []
        for i in range(0, len(hops), MAX_BATCH):
            out.extend(self._process(hops[i : i + MAX_BATCH]))
        if out:
            self.latest = out[-1]
        return out

    def _complete_hops(self, x: np.ndarray) -> np.ndarray:
        """x [n] -> [k, hop_size] the hops it completes (the first with the samples left from the last call)."""
        h, fill = self.hop_size, self._fill
        if fill + len(x) < h:
            self._buf[fill : fill + len(x)] = x
            self._fill += len(x)
            return np.zeros((0, h), np.float32)
        data = np.concatenate([self._buf[:fill], x]) if fill else x  # [fill + n]
        k = len(data) // h
        self._fill = len(data) - k * h
        self._buf[: self._fill] = data[k * h :]
        return data[: k * h].reshape(k, h)

    def _frames(self, samples: np.ndarray, past: int, n: int, first: int = 0, every: int = 1) -> np.ndarray:
        """samples [past + k * hop] -> [m, n] a view: the n samples up to the end of new hops first,
        first + every, ... (m of them)."""
        h = self.hop_size
        m = len(range(first, (len(samples) - past) // h, every))
        return strided_view(samples, (m, n), (every * h, 1), past - n + (first + 1) * h)

    def _process(self, hops: np.ndarray) -> list[AudioFeatures]:
        """hops [k, hop_size] -> the features known at the end of each.

        The spectra, the HPSS and the drum bands' energies of all k hops are taken together (numpy's per-call
        overhead is most of the cost at this hop size); the rest goes hop by hop, as its state needs.
        """
        past = len(self._samples)
        samples = np.concatenate([self._samples, hops.reshape(-1)])  # [past + k * hop] oldest first
        self._samples = samples[-past:]
        mags = self._spectrum(self._frames(samples, past, self._spec_n))  # [k, spec_n/2+1]
        perc_e, harm_e, mask_p = self._hpss(mags)
        band_e = self._bands.energies(mags, mask_p)  # [k][5]
        amps = mags * self._mag_to_amp  # [k, spec_n/2+1]
        first = -(self._hops + 1) % CHROMA_EVERY  # the first of these hops with a chroma update (every CHROMA_EVERY)
        chroma = [None] * len(hops)
        if first < len(hops):
            chroma[first::CHROMA_EVERY] = self._chroma_fn.spectra(
                self._frames(samples, past, self._chroma_n, first, CHROMA_EVERY)
            )  # [m, chroma_n/2+1]
        return [self._hop(hops[j], perc_e[j], harm_e[j], band_e[j], amps[j], chroma[j]) for j in range(len(hops))]

    def _hop(
        self,
        hop: np.ndarray,
        perc_e: float,
        harm_e: float,
        band_e: list[float],
        amp: np.ndarray,
        chroma_mag: np.ndarray | None,
    ) -> AudioFeatures:
        """One hop's features from its spectral parts: hop [hop_size] samples, amp [spec_n/2+1] its spectrum in
        amplitude units, chroma_mag [chroma_n/2+1] the chroma spectrum up to its end on the hops that update it."""
        self._hops += 1
        t = self._hops * self.hop_s
        rms = float(np.sqrt(np.dot(hop, hop) / self.hop_size))
        perc = math.sqrt(max(perc_e, 0.0) * self._spec_to_ms)  # float64, correctly rounded: as np.sqrt
        harm = math.sqrt(max(harm_e, 0.0) * self._spec_to_ms)
        band_on, band_env = self._bands(band_e)

        pitch = None if chroma_mag is None else self._update_chroma(chroma_mag)

        onset, extra, odf = self._flux(self._fb @ amp, pitch, self._pitch.entry)
        strength = odf
        if self._aubio is not None:
            onset, strength = self._aubio(hop)
            extra = 0.0
        onset_time = max(0.0, t - self.onset_delay_s - extra) if onset else None

        low = self._flux.log_spec[: self._low]
        bass_onset = float(np.maximum(low - self._prev_low, 0.0).sum())
        self._prev_low = low
        level = self._n_level(rms)
        # the beat tracker hears loudness too: log flux alone hardly tells an accented beat from a soft off-beat
        beat, downbeat = self._beats(
            odf * level,
            bass_onset,
            self._chroma_change,
            float(self._bands.beat_kick),
            float(self._bands.beat_snare),
            self._chroma,
            extra if onset else None,  # the onset, stamped back by its path's extra delay (beat_phase.PHASE_ONSET)
            self._bass_norm,  # the bars hear the bass move on the one
        )
        beat_phase, bar_phase = self._beats.phases(t)

        onset_ratio = self._n_onset(strength)
        self._onset_env *= self._onset_decay
        if onset:
            self._onset_env = max(self._onset_env, 0.5 + 0.5 * onset_ratio)

        return AudioFeatures.from_fields(
            {
                "time": t,
                "rms": rms,
                "onset_strength": strength,
                "onset": onset,
                "onset_time": onset_time,
                "percussive": perc,
                "harmonic": harm,
                "chroma": self._chroma,
                "tempo_bpm": self._beats.tempo_bpm,
                "beat": beat,
                "beat_phase": beat_phase,
                "downbeat": downbeat,
                "bar_phase": bar_phase,
                "beats_per_bar": self._beats.meter,
                "beat_confidence": self._beats.confidence,
                "kick": band_on[0],
                "snare": band_on[1],
                "hats": band_on[2],
                "kick_env": band_env[0],
                "snare_env": band_env[1],
                "hats_env": band_env[2],
                "level_env": self._e_level(level),
                "onset_env": self._onset_env,
                "percussive_env": self._e_perc(self._n_perc(perc)),
                "harmonic_env": self._e_harm(self._n_harm(harm)),
                "chroma_norm": self._chroma_norm,
                "bass_chroma": self._bass_norm,
            }
        )

    def _update_chroma(self, mag: np.ndarray) -> float:
        """A new chroma, bass chroma and chord change from mag [chroma_n/2+1], the newest chroma spectrum -> its
        pitch novelty.

        The normalised chromas are made here, once per update, and shared by the hops until the next one
        (as the raw chroma is): features are frozen, nobody writes into them.
        """
        self._chroma, self._bass = a, bass = self._chroma_fn(mag)  # [12] each
        pitch = self._pitch(self._chroma_fn.mag)
        b = self._chroma_prev
        den = float(np.sqrt(a.dot(a)) * np.sqrt(b.dot(b)))  # as np.linalg.norm(a) * np.linalg.norm(b)
        self._chroma_change = 1.0 - float(a @ b) / den if den > 0 else 0.0
        self._chroma_prev = a
        self._chroma_norm = a / max(float(a.max()), self._chroma_floor)  # [12], max 1; ~0 in silence
        self._bass_norm = bass / max(float(bass.max()), self._chroma_floor)  # [12]
        return pitch


def global_stats(
    path: str | os.PathLike, start: float = 0.0, duration: float | None = None, onset_method: str = DEFAULT_ONSET_METHOD
) -> GlobalStats:
    """First pass over a file for `--normalize global`: the 99th percentile of each raw quantity."""
    from livedream.sources.file import iter_blocks  # deferred: decode pulls in PyAV, analysis alone does not

    an = Analyzer(ANALYSIS_RATE, onset_method)
    rows: list[tuple[float, float, float, float]] = []
    for block in iter_blocks(path, start, duration, sample_rate=ANALYSIS_RATE, channels=1):
        rows.extend((f.rms, f.onset_strength, f.percussive, f.harmonic) for f in an.feed(block.samples[:, 0]))
    if not rows:
        raise LivedreamError(f"{os.fspath(path)}: no audio in the requested range")
    p = np.percentile(np.asarray(rows), 99.0, axis=0)  # [4]
    stats = GlobalStats(
        rms=max(float(p[0]), _FLOOR_AMP),
        onset_strength=max(float(p[1]), 1e-6),
        percussive=max(float(p[2]), _FLOOR_AMP),
        harmonic=max(float(p[3]), _FLOOR_AMP),
    )
    log.info("global stats for %s: %s", os.fspath(path), stats)
    return stats
