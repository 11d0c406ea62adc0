"""How much each pitch class sounds over a whole file: dominant_classes_first over the song, as LSD ranks it."""

from __future__ import annotations

import os

import numpy as np

from livedream.control.classes import pitch_confidence


def song_pitch_totals(path: str | os.PathLike, start: float = 0.0, duration: float | None = None) -> np.ndarray:
    """[12] the sum over the file's hops of each hop's chroma as shares (LSD: chroma / its sum, summed over time).

    Hops weigh by their pitch confidence, as in the causal ranking, so drums and silence do not vote.
    A first pass over the file, used with `--normalize global` and by the LSD API.
    """
    from livedream.audio.analyzer import ANALYSIS_RATE, Analyzer  # deferred: aubio and PyAV only when used
    from livedream.sources.file import iter_blocks

    an = Analyzer(ANALYSIS_RATE)
    totals = np.zeros(12)
    for block in iter_blocks(path, start=start, duration=duration, sample_rate=ANALYSIS_RATE, channels=1):
        for f in an.feed(block.samples[:, 0]):
            total = float(f.chroma_norm.sum())
            if total > 0:
                totals += pitch_confidence(f.harmonic_env) * f.chroma_norm / total
    return totals
