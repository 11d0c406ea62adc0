"""AudioFeatures: what the analyzer heard in one hop, the record passed from Analyzer to Controller and Effects."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    tempo_bpm: float = 0.0  # 0 until a tempo is known
    beat: bool = False  # a beat was tracked in this hop
    beat_phase: float = 0.0  # [0, 1): position inside the current beat
    # normalised and smoothed, about 0..1
    level_env: float = 0.0  # whole-signal loudness
    onset_env: float = 0.0  # jumps at onsets, then decays
    percussive_env: float = 0.0
    harmonic_env: float = 0.0
    chroma_norm: np.ndarray = field(default_factory=lambda: np.zeros(12, np.float32), repr=False)  # [12], max 1

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
