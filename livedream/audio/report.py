"""Analyse a whole file through the streaming Analyzer and summarise it as a JSON-ready report."""

from __future__ import annotations

import os

from livedream.audio.analyzer import ANALYSIS_RATE, DEFAULT_ONSET_METHOD, Analyzer, global_stats
from livedream.audio.bands import DRUM_BANDS, REPORT_HOPS
from livedream.audio.features import AudioFeatures
from livedream.audio.timeline import NORMALIZE_MODES
from livedream.errors import LivedreamError
from livedream.sources.file import iter_blocks, probe


def beat_time(f: AudioFeatures) -> float:
    """When the beat reported in a hop falls: the hop's end minus the beat phase it has reached."""
    return max(0.0, f.time - f.beat_phase * 60.0 / f.tempo_bpm) if f.tempo_bpm > 0 else f.time


def analyze_file(
    path: str | os.PathLike,
    start: float = 0.0,
    duration: float | None = None,
    onset_method: str = DEFAULT_ONSET_METHOD,
    normalize: str = "adaptive",
) -> tuple[dict, list[AudioFeatures]]:
    """Run the same causal analysis as export/live over a file: (report dict, every hop's features).

    Times in the report are seconds from `start`; onsets are delay-corrected (when they happened),
    chroma and rms are at the hop's report time (the chroma describes the sound chroma_delay_s before it: its long
    window's centre). sample_rate is the source file's rate.
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
    times = [round(f.time, 4) for f in feats]
    report = {
        "sample_rate": info.sample_rate,
        "hop_s": an.hop_s,
        "duration_s": n / ANALYSIS_RATE,
        "onsets": [round(f.onset_time, 4) for f in feats if f.onset and f.onset_time is not None],
        "onset_delay_s": an.onset_delay_s,
        "chroma_delay_s": an.chroma_delay_s,
        "chroma": {"times": times, "values": [[round(float(v), 4) for v in f.chroma_norm] for f in feats]},
        "bass_chroma": {"times": times, "values": [[round(float(v), 4) for v in f.bass_chroma] for f in feats]},
        "rms": {"times": times, "values": [round(f.rms, 6) for f in feats]},
        # the tracker's tempo (felt beats per minute) and confidence at every hop, as it was known then
        "tempo_bpm": {
            "times": times,
            "values": [round(f.tempo_bpm, 2) for f in feats],
            "confidence": [round(f.beat_confidence, 3) for f in feats],
        },
        "beats": [round(beat_time(f), 4) for f in feats if f.beat],
        "downbeats": [round(beat_time(f), 4) for f in feats if f.downbeat],
        "drums": {
            b: [round(f.time - an.onset_delay_s - k * an.hop_s, 4) for f in feats if getattr(f, b)]
            for b, k in zip(DRUM_BANDS, REPORT_HOPS, strict=True)
        },
    }
    return report, feats
