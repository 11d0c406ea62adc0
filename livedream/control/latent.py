"""LatentFrame: the controller's output for one video frame, the input of the generator and the effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from livedream.params import NUM_DIRECTIONS


@dataclass(frozen=True)
class LatentFrame:
    """Everything needed to draw frame k at time t, and nothing that depends on the generator's output."""

    time: float  # s, k / fps in export, wall-clock audio time live
    z: np.ndarray = field(repr=False)  # [z_dim] float32
    c: np.ndarray = field(repr=False)  # [c_dim] float32; c_dim may be 0
    truncation: float = 1.0
    amplitudes: Mapping[str, float] = field(default_factory=dict)  # effect name -> 0..1, e.g. {"flash": 0.8}
    # SeFa direction amounts, about -1..1 (control/directions.py); generators without directions ignore them
    directions: np.ndarray = field(default_factory=lambda: np.zeros(NUM_DIRECTIONS, np.float32), repr=False)  # [8]
    # StyleGAN3 camera: translate x, y (image widths), rotate (degrees); other generators ignore it
    camera: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32), repr=False)  # [3]
