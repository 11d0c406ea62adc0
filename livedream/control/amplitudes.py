"""Which audio envelope drives what: pulse, motion and each effect, from the features of its own stem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from livedream.audio.features import AudioFeatures
from livedream.params import BY_NAME

# The roles a separate stem may drive; "main" is the song and the fallback for every role.
ROLES = ("pulse", "motion", "class", "contrast", "flash")
EFFECTS = ("contrast", "flash")


def envelope(f: AudioFeatures, percussive: bool, harmonic: bool) -> float:
    """Lucid Sonic Dreams' choice of signal: the percussive part, the harmonic part, or (both or neither) all of it."""
    if percussive and not harmonic:
        return f.percussive_env
    if harmonic and not percussive:
        return f.harmonic_env
    return f.level_env


def amplitudes(features: Mapping[str, AudioFeatures], p: Mapping[str, Any]) -> dict[str, float]:
    """The 0..1 amplitude of pulse, motion and each effect for this moment.

    Live mode calls this on the freshest features each display frame, so flash and contrast
    react within a hop whatever the generator's speed.
    """
    return {
        "pulse": envelope(features["pulse"], p["pulse_percussive"], p["pulse_harmonic"]),
        "motion": envelope(features["motion"], p["motion_percussive"], p["motion_harmonic"]),
        "contrast": envelope(features["contrast"], p["contrast_percussive"], False),
        "flash": envelope(features["flash"], p["flash_percussive"], False),
    }


def effect_amounts(amps: Mapping[str, float], p: Mapping[str, Any]) -> dict[str, float]:
    """What each shader receives: amplitude x strength (0 leaves the picture untouched), and the flash's mode.

    "flash_mode" is the index of p["flash_mode"] among its choices (0 tonemap, 1 lsd): the chain sets it as
    the flash shader's u_flash_mode uniform.
    """
    out = {name: float(min(1.0, max(0.0, amps.get(name, 0.0))) * p[f"{name}_strength"]) for name in EFFECTS}
    mode = BY_NAME["flash_mode"]
    out["flash_mode"] = float(mode.choices.index(p.get("flash_mode", mode.default)))
    return out


def by_role(main: AudioFeatures, stems: Mapping[str, AudioFeatures] | None = None) -> dict[str, AudioFeatures]:
    """The features each role reads: its stem's if it has one, else the song's."""
    stems = stems or {}
    return {role: stems.get(role, main) for role in ROLES}
