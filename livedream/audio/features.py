"""AudioFeatures: what the analyzer heard in one hop, the record passed from Analyzer to Controller and Effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

CHROMA_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class AudioFeatures:
    """One analysis hop. Raw values and normalised/smoothed ones side by side.

    time is the audio time (s, from the start of the source) at the end of the hop: the
    moment these values became known. Everything is causal: nothing here looked ahead.
    The *_env values are normalised to about 0..1 (adaptively, or by a global first pass)
    and smoothed with a fast attack and a slower release, which is what the controller and
    the effects read; the raw values are for reports and plots.
    """

    time: float
    # raw
    rms: float
    onset_strength: float
    onset: bool  # an onset was reported in this hop
    onset_time: float | None  # when that onset happened in the audio (time minus the detector's delay)
    percussive: float  # energy of the percussive part in this hop
    harmonic: float  # energy of the harmonic part in this hop
    chroma: np.ndarray = field(repr=False)  # [12] C..B, raw energies
    # beats and bars (livedream/audio/beats.py): predicted from the past, so reported on time, not late
    tempo_bpm: float = 0.0  # felt beats per minute (dotted quarters in 6/8); 0 until a tempo is known
    beat: bool = False  # a beat falls in this hop
    beat_phase: float = 0.0  # [0, 1): position inside the current beat (0 = on the beat)
    downbeat: bool = False  # this hop's beat is the first of a bar
    bar_phase: float = 0.0  # [0, 1): position inside the current bar (0 = on the downbeat)
    beats_per_bar: int = 4  # the meter the tracker settled on (3 or 4)
    beat_confidence: float = 0.0  # 0..1: how periodic the recent onsets are; ~0 in a break or free rhythm
    # drum bands (livedream/audio/bands.py), split from the percussive part: kick < 150 Hz, snare 150 Hz-4 kHz,
    # hats > 6 kHz
    kick: bool = False  # a kick onset in this hop
    snare: bool = False
    hats: bool = False
    kick_env: float = 0.0  # 0..1, jumps on a hit, falls in ~0.1 s
    snare_env: float = 0.0
    hats_env: float = 0.0
    # normalised and smoothed, about 0..1
    level_env: float = 0.0  # whole-signal loudness
    onset_env: float = 0.0  # jumps at onsets, then decays
    percussive_env: float = 0.0
    harmonic_env: float = 0.0
    chroma_norm: np.ndarray = field(default_factory=lambda: np.zeros(12, np.float32), repr=False)  # [12], max 1
    bass_chroma: np.ndarray = field(default_factory=lambda: np.zeros(12, np.float32), repr=False)  # [12], max 1

    def band_env(self, band: str) -> float:
        """The envelope of a drum band ("kick", "snare", "hats"), or the whole percussive part for "all"."""
        return self.percussive_env if band == "all" else float(getattr(self, f"{band}_env"))

    @classmethod
    def from_fields(cls, values: dict[str, Any]) -> AudioFeatures:
        """The same object as AudioFeatures(**values), where values holds every field, in ~1 us instead of ~6.

        The analyzer makes one a hop (86 a second, each stream); the frozen dataclass's __init__ sets each of
        the 27 fields through object.__setattr__. Nothing is checked here: tests/audio/test_analyzer.py checks
        that the analyzer's features carry every field.
        """
        f = object.__new__(cls)
        f.__dict__.update(values)
        return f

    @staticmethod
    def silent(time: float = 0.0) -> AudioFeatures:
        """What silence sounds like: the features before any audio has arrived."""
        return AudioFeatures(
            time=time,
            rms=0.0,
            onset_strength=0.0,
            onset=False,
            onset_time=None,
            percussive=0.0,
            harmonic=0.0,
            chroma=np.zeros(12, np.float32),
        )
