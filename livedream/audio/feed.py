"""The live analysis thread: ring buffer -> mono -> the export's Analyzer -> the newest AudioFeatures, published."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE, Analyzer
from livedream.audio.features import AudioFeatures
from livedream.sources.base import AudioSource

log = logging.getLogger(__name__)

POLL_S = 0.002  # how often the ring is looked at: well under a hop (11.6 ms)
RETRY_S = 2.0  # reconnection attempts while the input is gone


class FeatureFeed:
    """Audio at any rate in, features out: mixes to mono, resamples to ANALYSIS_RATE, runs the Analyzer.

    What it publishes (`latest`, `onsets`, `level`, `arrived_at`) is replaced whole, never mutated, so the
    main thread reads it without a lock.
    """

    def __init__(self, onset_method: str | None = None):
        kwargs: dict[str, Any] = {} if onset_method is None else {"onset_method": onset_method}
        self.analyzer = Analyzer(ANALYSIS_RATE, **kwargs)
        self.latest = AudioFeatures.silent(0.0)
        self.onsets = 0  # onsets heard since the start
        self.level = 0.0  # RMS of the newest hop
        self.arrived_at = time.monotonic()  # when the newest analysed samples reached the ring buffer
        self._resampler: av.AudioResampler | None = None
        self._rate = 0

    def feed(self, samples: np.ndarray, rate: int, arrived_at: float | None = None) -> list[AudioFeatures]:
        """samples [n, ch] or [n] float32 at `rate` -> the features of the hops they complete (also published)."""
        mono = samples.mean(axis=1) if samples.ndim == 2 else samples  # [n]
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        if rate != ANALYSIS_RATE:
            mono = self._resample(mono, rate)
        feats = self.analyzer.feed(mono)
        if feats:
            self.onsets += sum(1 for f in feats if f.onset)
            self.level = feats[-1].rms
            self.arrived_at = time.monotonic() if arrived_at is None else arrived_at
            self.latest = feats[-1]
        return feats

    def _resample(self, mono: np.ndarray, rate: int) -> np.ndarray:
        if self._resampler is None or rate != self._rate:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
            self._rate = rate
        if not len(mono):
            return mono
        frame = av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        parts = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame) if f.samples]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


class AnalysisThread(threading.Thread):
    """Reads the input's ring buffer, feeds the FeatureFeed, and keeps the audio going when the device does not.

    When the input stops delivering, one warning is logged, silence is analysed in real time (so the
    picture goes on), and the device is reopened every RETRY_S. `tap(samples [n, ch], rate)` sees every
    block of the mix analysed, silence included, for the recorder. `stems` maps a role to the feed of its
    own input channels (source.stem_channels[role]): a drum pair on inputs 3-4 drives the pulse.
    """

    def __init__(
        self,
        source: AudioSource,
        feed: FeatureFeed,
        tap: Callable[[np.ndarray, int], None] | None = None,
        stems: dict[str, FeatureFeed] | None = None,
    ):
        super().__init__(name="livedream-analysis", daemon=True)
        self.source, self.feed, self.tap = source, feed, tap
        self.stems = dict(stems or {})
        self.lost_count = 0
        self._halt = threading.Event()
        self._channels = max(1, len(source.channels))
        self._pos, self._generation = source.ring.written, source.generation  # from now on: in step with the picture
        self._lost_since: float | None = None
        self._last_silence = self._last_try = 0.0
        self._reconnecting = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        while not self._halt.wait(POLL_S):
            self.step()

    def step(self) -> None:
        """One look at the input: analyse what arrived, or silence while the device is gone (and retry it)."""
        src = self.source
        if self._lost_since is None and not src.healthy():
            self._lost_since = self._last_silence = self._last_try = time.monotonic()
            self.lost_count += 1
            src.abandon()
            log.warning("audio input lost; going on with silence and trying to reconnect every %g s", RETRY_S)
        if self._lost_since is not None:
            self._silence()
            return
        if src.generation != self._generation:
            self._pos, self._generation = 0, src.generation
        ring = src.ring
        stamp = ring.stamp
        block, self._pos, lost = ring.read_from(self._pos)
        if lost:
            log.warning("analysis fell behind: %d input samples skipped", lost)
        if len(block):
            for role, feed in self.stems.items():
                feed.feed(block[:, src.stem_channels[role]], src.sample_rate, stamp)  # [n, the stem's channels]
            block = block[:, src.channels]  # [n, the mix's channels]
            self.feed.feed(block, src.sample_rate, stamp)
            if self.tap:
                self.tap(block, src.sample_rate)

    def _silence(self) -> None:
        now = time.monotonic()
        n = int((now - self._last_silence) * ANALYSIS_RATE)
        if n > 0:
            self._last_silence += n / ANALYSIS_RATE
            silence = np.zeros((n, self._channels), np.float32)
            for feed in self.stems.values():
                feed.feed(silence, ANALYSIS_RATE, now)
            self.feed.feed(silence, ANALYSIS_RATE, now)
            if self.tap:
                self.tap(silence, ANALYSIS_RATE)
        if now - self._last_try >= RETRY_S and not self._reconnecting.is_set():
            self._last_try = now
            self._reconnecting.set()
            threading.Thread(target=self._reconnect, name="livedream-reconnect", daemon=True).start()

    def _reconnect(self) -> None:
        """One attempt, on its own thread: starting a capture process takes a while, and the analysis must not wait."""
        try:
            if self.source.reopen():
                assert self._lost_since is not None  # _silence() starts this only while the input is lost
                log.warning("audio input back after %.1f s", time.monotonic() - self._lost_since)
                self._lost_since = None
        finally:
            self._reconnecting.clear()
