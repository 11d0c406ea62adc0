"""Which audio envelope drives what (pulse, motion, each effect), and how it is scaled: LSD's min-max, causally."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from livedream.audio.features import AudioFeatures
from livedream.params import BY_NAME

# The roles a separate stem may drive; "main" is the song and the fallback for every role.
ROLES = ("pulse", "motion", "class", "contrast", "flash")
EFFECTS = ("contrast", "flash")

# Lucid Sonic Dreams drives everything with the maximum over mel bins of a *power* spectrogram, min-max
# normalised over the song: between hits that is near 0, and on a dense mix the leak of sustained sounds
# into the percussive part is squared away. The analyser's envelopes are amplitudes scaled to about 0..1,
# so they are squared here, and the quietest recent level (the floor) is subtracted, which is the causal
# stand-in for LSD's minimum over the song.
HIT_FLOOR_RISE_S = 1.0  # pulse and effects: the floor climbs to a steady level within ~1 s, so they rest on it
HIT_DEAD_ZONE = 0.03  # and what is left below 3 % of full scale is 0: a quiet passage leaves frames untouched
MOTION_FLOOR_RISE_S = 30.0  # motion: a sustained chord keeps moving the picture; only a long steady level slows it


class MinMax:
    """x (about 0..1, an amplitude) -> (x**2 - floor - dead) / (1 - floor - dead), clipped to 0..1.

    The floor starts at 0 (the silence before the song), follows the signal down at once and up
    with a time constant of rise_s seconds: a running minimum that forgets. It is the song's
    minimum when the song is steady, and the level between hits when a dense mix keeps the
    percussive envelope from ever reaching 0.
    """

    def __init__(self, rise_s: float, dead: float = 0.0):
        self.rise_s = rise_s
        self.dead = dead
        self.floor = 0.0

    def __call__(self, x: float, dt: float) -> float:
        y = min(1.0, max(0.0, float(x))) ** 2
        if y < self.floor:
            self.floor = y
        else:
            self.floor += (y - self.floor) * (1.0 - math.exp(-max(dt, 0.0) / self.rise_s))
        low = self.floor + self.dead
        return 0.0 if y <= low or low >= 1.0 else (y - low) / (1.0 - low)


def envelope(f: AudioFeatures, percussive: bool, harmonic: bool) -> float:
    """Lucid Sonic Dreams' choice of signal: the percussive part, the harmonic part, or (both or neither) all of it.

    The one place where the driving envelope of each role is chosen.
    """
    if percussive and not harmonic:
        return f.percussive_env
    if harmonic and not percussive:
        return f.harmonic_env
    return f.level_env


def routed(f: AudioFeatures, band: str, percussive: bool, harmonic: bool) -> float:
    """A drum band's envelope ("kick", "snare", "hats"), or for "all" the part chosen by the two flags."""
    return envelope(f, percussive, harmonic) if band == "all" else f.band_env(band)


def raw_envelopes(features: Mapping[str, AudioFeatures], p: Mapping[str, Any]) -> dict[str, float]:
    """The analyser's envelope (about 0..1, unscaled) that drives pulse, motion and each effect."""
    return {
        "pulse": routed(features["pulse"], p["pulse_band"], p["pulse_percussive"], p["pulse_harmonic"]),
        "motion": envelope(features["motion"], p["motion_percussive"], p["motion_harmonic"]),
        "contrast": routed(features["contrast"], p["contrast_band"], p["contrast_percussive"], False),
        "flash": routed(features["flash"], p["flash_band"], p["flash_percussive"], False),
    }


class Amplitudes:
    """The 0..1 amplitude of pulse, motion and each effect, one call per frame, causal.

    Live mode calls this on the freshest features each display frame, so flash and contrast
    react within a hop whatever the generator's speed.
    """

    def __init__(self) -> None:
        self._scale = {
            "pulse": MinMax(HIT_FLOOR_RISE_S, HIT_DEAD_ZONE),
            "motion": MinMax(MOTION_FLOOR_RISE_S),
            "contrast": MinMax(HIT_FLOOR_RISE_S, HIT_DEAD_ZONE),
            "flash": MinMax(HIT_FLOOR_RISE_S, HIT_DEAD_ZONE),
        }

    def __call__(self, features: Mapping[str, AudioFeatures], p: Mapping[str, Any], dt: float) -> dict[str, float]:
        raw = raw_envelopes(features, p)
        return {role: self._scale[role](raw[role], dt) for role in self._scale}


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
