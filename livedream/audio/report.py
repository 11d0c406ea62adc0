"""Analyse a whole file through the streaming Analyzer and summarise it as a JSON-ready report."""

from __future__ import annotations

import os

import numpy as np

from livedream.audio.analyzer import ANALYSIS_RATE, DEFAULT_ONSET_METHOD, Analyzer, global_stats
from livedream.audio.features import AudioFeatures
from livedream.audio.timeline import NORMALIZE_MODES
from livedream.errors import LivedreamError
from livedream.sources.file import iter_blocks, probe


def analyze_file(
    path: str | os.PathLike,
    start: float = 0.0,
    duration: float | None = None,
    onset_method: str = DEFAULT_ONSET_METHOD,
    normalize: str = "adaptive",
) -> tuple[dict, list[AudioFeatures]]:
    """Run the same causal analysis as export/live over a file: (report dict, every hop's features).

    Times in the report are seconds from `start`; onsets are delay-corrected (when they happened),
    chroma and rms are at the hop's report time. sample_rate is the source file's rate.
    """
    if normalize not in NORMALIZE_MODES:
        raise LivedreamError(f"unknown normalize mode {normalize!r}; choose one of {', '.join(NORMALIZE_MODES)}")
    info = probe(path)
    stats = global_stats(path, start, duration, onset_method) if normalize == "global" else None
    an = Analyzer(ANALYSIS_RATE, onset_method, stats)
    feats: list[AudioFeatures] = []
    n = 0
    for block in iter_blocks(path, start, duration, sample_rate=ANALYSIS_RATE, channels=1):
        n += len(block.samples)
        feats.extend(an.feed(block.samples[:, 0]))
    bpms = [f.tempo_bpm for f in feats if f.tempo_bpm > 0]
    # the tracker's estimate over the later half, once it has settled
    tempo = float(np.median(bpms[len(bpms) // 2 :])) if bpms else 0.0
    report = {
        "sample_rate": info.sample_rate,
        "hop_s": an.hop_s,
        "duration_s": n / ANALYSIS_RATE,
        "onsets": [round(f.onset_time, 4) for f in feats if f.onset and f.onset_time is not None],
        "onset_delay_s": an.onset_delay_s,
        "chroma": {
            "times": [round(f.time, 4) for f in feats],
            "values": [[round(float(v), 4) for v in f.chroma_norm] for f in feats],
        },
        "rms": {"times": [round(f.time, 4) for f in feats], "values": [round(f.rms, 6) for f in feats]},
        "tempo_bpm": round(tempo, 2),
        "beats": [round(f.time, 4) for f in feats if f.beat],
    }
    return report, feats
