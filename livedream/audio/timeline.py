"""Features of a file at any time t: the file Source and the Analyzer joined, streaming, for the frame clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE, Analyzer, global_stats
from livedream.audio.features import AudioFeatures
from livedream.sources.file import iter_blocks

# How features are normalised: "adaptive" is causal (live and export alike); "global" adds a first pass over the file.
NORMALIZE_MODES = ("adaptive", "global")


class FeatureTimeline:
    """Decodes and analyses a file lazily as later times are asked for; memory stays flat.

    at(t) gives the newest features whose hop ended by t + lead_s. Export sets lead_s to the
    detector's reporting delay, so an onset shows on the frame where it is heard; live mode
    cannot look ahead, and a file-driven live test uses lead_s = 0.
    """

    def __init__(
        self,
        path: str | Path,
        start: float = 0.0,
        duration: float | None = None,
        onset_method: str | None = None,
        normalize: str = "adaptive",
        compensate_delay: bool = True,
    ):
        kwargs = {} if onset_method is None else {"onset_method": onset_method}
        stats = global_stats(path, start, duration, **kwargs) if normalize == "global" else None
        self.analyzer = Analyzer(ANALYSIS_RATE, normalization=stats, **kwargs)
        self.lead_s = self.analyzer.onset_delay_s if compensate_delay else 0.0
        self._blocks: Iterator = iter_blocks(
            path, start=start, duration=duration, sample_rate=ANALYSIS_RATE, channels=1
        )
        self._pending: list[AudioFeatures] = []
        self._current = AudioFeatures.silent(0.0)
        self._exhausted = False

    def at(self, t: float) -> AudioFeatures:
        """Features for time t; t must not go backwards."""
        horizon = t + self.lead_s
        while True:
            while self._pending and self._pending[0].time <= horizon:
                self._current = self._pending.pop(0)
            if self._pending or self._exhausted:
                return self._current
            block = next(self._blocks, None)
            if block is None:
                self._exhausted = True
                # Past the end: silence, so a short stem or the tail of a song fades out cleanly.
                self._pending.extend(self.analyzer.feed(np.zeros(self.analyzer.hop_size * 2, np.float32)))
                continue
            self._pending.extend(self.analyzer.feed(block.samples[:, 0]))
