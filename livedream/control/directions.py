"""Per-frame latent-direction amounts and the StyleGAN3 camera, from the parameters and the audio."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from livedream.audio.features import AudioFeatures
from livedream.params import NUM_DIRECTIONS

# direction_audio -> (the role whose features it reads, the AudioFeatures field). Drums read the pulse
# audio (the song, or --pulse-audio), tones the motion audio; a new band is one more line here.
DIRECTION_SOURCES: dict[str, tuple[str, str] | None] = {
    "off": None,
    "harmonic": ("motion", "harmonic_env"),
    "percussive": ("pulse", "percussive_env"),
    "level": ("motion", "level_env"),
    "onset": ("pulse", "onset_env"),
}


def direction_amounts(features: Mapping[str, AudioFeatures], p: Mapping[str, Any]) -> np.ndarray:
    """direction_1..8 plus direction_react x the chosen envelope on direction_audio_target: [8] float32."""
    amounts = np.array([p[f"direction_{i}"] for i in range(1, NUM_DIRECTIONS + 1)], np.float32)  # [8]
    source = DIRECTION_SOURCES.get(p["direction_audio"])
    if source is not None and p["direction_react"]:
        role, name = source
        envelope = float(getattr(features[role], name))
        amounts[p["direction_audio_target"] - 1] += p["direction_react"] * min(1.0, max(0.0, envelope))
    return amounts


def camera(p: Mapping[str, Any]) -> np.ndarray:
    """The StyleGAN3 input transform: [translate x, translate y, rotate degrees] float32."""
    return np.array([p["sg3_translate_x"], p["sg3_translate_y"], p["sg3_rotate"]], np.float32)
