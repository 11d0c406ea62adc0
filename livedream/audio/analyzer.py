"""Streaming, causal audio analysis: mono samples in any chunk size -> one AudioFeatures per hop."""

from __future__ import annotations

import logging
import os

import aubio
import numpy as np

from livedream.audio.chroma import chroma_weights
from livedream.audio.features import AudioFeatures
from livedream.audio.hpss import CausalHPSS, leading_edge_window
from livedream.audio.normalize import Envelope, GlobalStats, PeakTracker
from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

ANALYSIS_RATE = 22050  # Hz: what the pipeline decodes to (mono) before feeding the Analyzer
HOP = 256  # samples at ANALYSIS_RATE: 11.6 ms, finer than a 60 fps video frame
ONSET_WIN, ONSET_HOP = 512, 128  # the onset detector runs twice per hop: an earlier, finer report
SPEC_WIN = 1024  # percussive/harmonic split: 21.5 Hz bins resolve the partials of chords
SPEC_FALL = 128  # its window falls over the newest 5.8 ms only: attacks count at once
CHROMA_WIN = 4096  # 186 ms: enough frequency resolution for pitch classes down to ~60 Hz
CHROMA_EVERY = 2  # hops per chroma update (23 ms)
ONSET_METHODS = ("specflux", "kl", "complex", "mkl", "phase", "hfc", "wphase", "specdiff", "energy")
DEFAULT_ONSET_METHOD = "specflux"  # best on the shared eval clips (bench/README-analysis.md)
ONSET_THRESHOLD = 0.3  # 0.2 scored F 0.944 but fired on the phase wobble of sustained pure tones
ONSET_MINIOI_S = 0.03
# aubio's adaptive threshold also fires on the tiny flux wobble of sustained tones; an onset only counts if the
# detection function rose, in the last few sub-hops, to at least this share of its recent peak (8 s half-life).
ONSET_GATE = 0.07
ONSET_GATE_SUBHOPS = 6
_ODF_HALF_LIFE_S = 8.0
SILENCE_DB = -60.0
# Measured on the eval clips: median of (detector's report time - true onset), the report time being the end
# of the sub-hop in which aubio fired (bench/README-analysis.md). Features are published at the end of the hop,
# up to one sub-hop later.
_ONSET_DELAY_S = 0.028
_FLOOR_AMP = 10 ** (-50 / 20)  # -50 dBFS: below this a signal is treated as near-silence by the normalisers
_HALF_LIFE_S = 8.0  # how fast the adaptive peaks forget a loud passage


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
        self.sample_rate = int(sample_rate)
        scale = self.sample_rate / ANALYSIS_RATE  # keep the windows' durations at other rates
        p2 = lambda n: 1 << max(5, round(np.log2(n * scale)))  # noqa: E731 - power of two near n*scale
        self.hop_size = p2(HOP)
        self.hop_s = self.hop_size / self.sample_rate
        self._sub_hop = p2(ONSET_HOP)
        self.onset_delay_s = _ONSET_DELAY_S
        # centre of the chroma window, plus the half hop it is stale on average between updates
        self.chroma_delay_s = p2(CHROMA_WIN) / 2 / self.sample_rate + (CHROMA_EVERY - 1) / 2 * self.hop_s
        self.onset_method = onset_method

        self._onset = aubio.onset(onset_method, p2(ONSET_WIN), self._sub_hop, self.sample_rate)
        self._onset.set_threshold(ONSET_THRESHOLD)
        self._onset.set_minioi_s(ONSET_MINIOI_S)
        self._onset.set_silence(SILENCE_DB)
        self._onset.set_delay(0)
        self._tempo = aubio.tempo("default", p2(1024), self.hop_size, self.sample_rate)
        self._spec_n = p2(SPEC_WIN)
        self._spec_buf = np.zeros(self._spec_n, np.float32)  # [spec_n] the newest samples, oldest first
        self._spec_win = leading_edge_window(self._spec_n, min(p2(SPEC_FALL), self._spec_n // 2))  # [spec_n]
        # one-sided power spectrum -> mean square of the signal (Parseval, for this window)
        self._spec_to_ms = 2.0 / (self._spec_n * float(np.dot(self._spec_win, self._spec_win)))
        self._hpss = CausalHPSS(self._spec_n // 2 + 1)
        chroma_n = p2(CHROMA_WIN)
        # Chroma moves slowly: one update every CHROMA_EVERY hops halves the cost of its long FFT.
        self._chroma_pv = aubio.pvoc(chroma_n, self.hop_size * CHROMA_EVERY)
        self._chroma_in = np.zeros(self.hop_size * CHROMA_EVERY, np.float32)  # [hop * CHROMA_EVERY]
        self._chroma = np.zeros(12, np.float32)  # [12] newest chroma
        self._chroma_fb = aubio.filterbank(12, chroma_n)
        self._chroma_fb.set_coeffs(chroma_weights(self.sample_rate, chroma_n))
        self._chroma_fb.set_power(2.0)
        # A sine at -50 dBFS peaks at amplitude*N/4 in an unnormalised Hann-windowed FFT.
        self._chroma_floor = float((_FLOOR_AMP * chroma_n / 4) ** 2)

        g = normalization
        hop_s = self.hop_s
        self._n_level = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.rms)
        self._n_onset = PeakTracker(20.0 * scale, _HALF_LIFE_S, hop_s, g and g.onset_strength)
        self._n_perc = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.percussive)
        self._n_harm = PeakTracker(_FLOOR_AMP, _HALF_LIFE_S, hop_s, g and g.harmonic)
        self._e_level = Envelope(0.01, 0.3, hop_s)
        self._e_perc = Envelope(0.0, 0.15, hop_s)
        self._e_harm = Envelope(0.05, 0.5, hop_s)
        self._onset_decay = float(np.exp(-hop_s / 0.08))  # onset_env falls to ~0.1 in ~0.18 s
        self._onset_env = 0.0
        self._odf_recent = np.zeros(ONSET_GATE_SUBHOPS, np.float32)  # the newest detection-function values
        self._odf_peak = 0.0  # decaying peak of the detection function
        self._odf_decay = float(0.5 ** (self._sub_hop / self.sample_rate / _ODF_HALF_LIFE_S))

        self._buf = np.zeros(self.hop_size, np.float32)  # the hop being filled
        self._fill = 0
        self._hops = 0
        self._last_beat: float | None = None
        self.latest = AudioFeatures.silent(0.0)

    def feed(self, samples: np.ndarray) -> list[AudioFeatures]:
        """samples [n] float32 mono, any n (0 is fine) -> the features of each hop completed by them."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)  # [n]
        out: list[AudioFeatures] = []
        i = 0
        while i < len(x):
            take = min(self.hop_size - self._fill, len(x) - i)
            self._buf[self._fill : self._fill + take] = x[i : i + take]
            self._fill += take
            i += take
            if self._fill == self.hop_size:
                self._fill = 0
                out.append(self._process(self._buf))
        if out:
            self.latest = out[-1]
        return out

    def _process(self, hop: np.ndarray) -> AudioFeatures:
        """hop [hop_size] float32 -> the features known at its end."""
        self._hops += 1
        t = self._hops * self.hop_s

        onset_time = None
        strength = 0.0
        for j in range(0, self.hop_size, self._sub_hop):
            fired = bool(self._onset(hop[j : j + self._sub_hop])[0])
            odf = float(self._onset.get_descriptor())
            self._odf_recent = np.roll(self._odf_recent, 1)
            self._odf_recent[0] = odf
            self._odf_peak = max(self._odf_peak * self._odf_decay, odf)
            if fired and onset_time is None and self._odf_recent.max() >= ONSET_GATE * self._odf_peak:
                # the detector reported at the end of this sub-hop; it saw the onset onset_delay_s earlier
                onset_time = max(0.0, t - self.hop_s + (j + self._sub_hop) / self.sample_rate - self.onset_delay_s)
            strength = max(strength, odf)
        onset = onset_time is not None

        beat = bool(self._tempo(hop)[0])
        if beat:
            self._last_beat = float(self._tempo.get_last_s())
        bpm = float(self._tempo.get_bpm())
        phase = 0.0
        if self._last_beat is not None and bpm > 0:
            phase = ((t - self._last_beat) * bpm / 60.0) % 1.0

        rms = float(np.sqrt(np.dot(hop, hop) / self.hop_size))
        buf = self._spec_buf
        buf[: -self.hop_size] = buf[self.hop_size :]
        buf[-self.hop_size :] = hop
        mag = np.abs(np.fft.rfft(buf * self._spec_win)).astype(np.float32)  # [spec_n/2+1]
        perc_e, harm_e = self._hpss(mag)
        perc = float(np.sqrt(max(perc_e, 0.0) * self._spec_to_ms))
        harm = float(np.sqrt(max(harm_e, 0.0) * self._spec_to_ms))

        k = (self._hops - 1) % CHROMA_EVERY
        self._chroma_in[k * self.hop_size : (k + 1) * self.hop_size] = hop
        if k == CHROMA_EVERY - 1:
            spec = self._chroma_pv(self._chroma_in)
            mag = spec.norm  # [chroma_n/2+1]
            # Keep spectral peaks only: a low note's Hann side lobes land in bins a semitone away.
            peaks = np.zeros_like(mag)
            inner = (mag[1:-1] >= mag[:-2]) & (mag[1:-1] >= mag[2:])
            peaks[1:-1] = mag[1:-1] * inner
            spec.norm = peaks
            self._chroma = np.array(self._chroma_fb(spec), dtype=np.float32)  # [12]
        chroma = self._chroma
        cmax = float(chroma.max())
        chroma_norm = chroma / max(cmax, self._chroma_floor)  # [12], max 1; ~0 in silence

        onset_ratio = self._n_onset(strength)
        self._onset_env *= self._onset_decay
        if onset:
            self._onset_env = max(self._onset_env, 0.5 + 0.5 * onset_ratio)

        return AudioFeatures(
            time=t,
            rms=rms,
            onset_strength=strength,
            onset=onset,
            onset_time=onset_time,
            percussive=perc,
            harmonic=harm,
            chroma=chroma,
            tempo_bpm=bpm,
            beat=beat,
            beat_phase=phase,
            level_env=self._e_level(self._n_level(rms)),
            onset_env=self._onset_env,
            percussive_env=self._e_perc(self._n_perc(perc)),
            harmonic_env=self._e_harm(self._n_harm(harm)),
            chroma_norm=chroma_norm.astype(np.float32),
        )


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
