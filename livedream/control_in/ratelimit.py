"""A warning at most once a second per key, for senders that flood (OSC, MIDI, the web page)."""

from __future__ import annotations

import collections
import logging
import time

log = logging.getLogger(__name__)

LOG_EVERY_S = 1.0


class RateLimitedLog:
    """At most one warning a second per key (an address); the count of those held back goes with the next one.

    The table of keys is bounded, so a flood of made-up addresses cannot grow memory.
    """

    def __init__(self, prefix: str = "", every_s: float = LOG_EVERY_S, max_keys: int = 1024):
        self.prefix, self.every_s, self.max_keys = prefix, every_s, max_keys
        self._last: dict[str, float] = {}
        self._held: collections.Counter[str] = collections.Counter()

    def warn(self, key: str, text: str) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -1e9) < self.every_s:
            self._held[key] += 1
            return
        if len(self._last) >= self.max_keys:
            self._last.clear()
            self._held.clear()
        held = self._held.pop(key, 0)
        self._last[key] = now
        text = text if len(text) <= 300 else text[:300] + "..."
        log.warning("%s%s%s", self.prefix, text, f" (and {held} more like it)" if held else "")
