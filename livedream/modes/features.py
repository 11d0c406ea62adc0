"""The analysis side of the engine per mode: features for each role from files (export) or from the live input."""

from __future__ import annotations

from collections.abc import Mapping

from livedream.audio.features import AudioFeatures
from livedream.audio.feed import FeatureFeed
from livedream.audio.timeline import FeatureTimeline
from livedream.control.amplitudes import by_role


class FileFeatures:
    """Export: the song's timeline and one per stem file; at(t) must not go backwards."""

    def __init__(self, main: FeatureTimeline, stems: Mapping[str, FeatureTimeline] | None = None):
        self.main, self.stems = main, dict(stems or {})

    def at(self, t: float) -> dict[str, AudioFeatures]:
        return by_role(self.main.at(t), {role: tl.at(t) for role, tl in self.stems.items()})


class LiveFeatures:
    """Live: the newest features of the mix and of each input-channel stem (live cannot look ahead: t is unused)."""

    def __init__(self, main: FeatureFeed, stems: Mapping[str, FeatureFeed] | None = None):
        self.main, self.stems = main, dict(stems or {})

    def at(self, t: float) -> dict[str, AudioFeatures]:
        return by_role(self.main.latest, {role: feed.latest for role, feed in self.stems.items()})
