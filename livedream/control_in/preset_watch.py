"""Watches the preset files in use on its own thread: reading and parsing an edit never holds up a frame."""

from __future__ import annotations

import collections
import logging
import threading

from livedream.presets import Preset, PresetLibrary

log = logging.getLogger(__name__)

POLL_S = 0.5  # how often preset files are checked for changes


class PresetWatcher:
    """Calls library.poll() every period_s on a daemon thread; the main thread takes the reloaded presets."""

    def __init__(self, library: PresetLibrary, period_s: float = POLL_S):
        self.library, self.period_s = library, period_s
        self._ready: collections.deque[Preset] = collections.deque(maxlen=64)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livedream-presets", daemon=True)

    def start(self) -> PresetWatcher:
        self._thread.start()
        return self

    def take(self) -> list[Preset]:
        """The presets reloaded since the last call, oldest first."""
        out = []
        while self._ready:
            out.append(self._ready.popleft())
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self._ready.extend(self.library.poll())
            except Exception:  # noqa: BLE001 - a watcher that dies would silently stop reloads for the show
                log.exception("preset watcher: checking the preset files failed; trying again")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
