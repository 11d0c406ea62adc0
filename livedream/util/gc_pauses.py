"""Python's cyclic collector kept off the frame loop's path: start-up's objects frozen, so a full pass stays short.

A full (generation 2) collection walks every tracked object the process holds, and it holds the interpreter lock
while it does: every thread stops, the display thread too. With torch, the model, moderngl and the web server
loaded, a live process holds about a million objects, and a full pass took 50-90 ms on this project's 2-core
machine: three to five dropped refreshes, whenever the allocations of the OSC thread (a flood of messages), the
web server or the analysis made the collector run one. None of those start-up objects is garbage by then, so
freezing them (gc.freeze) moves them out of the collector's sight; a full pass then walks only what the show has
allocated since, which is small.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collect once, then freeze every object that survived (called once set-up is done, before the first frame).

    Returns how many objects were frozen."""
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("froze %d start-up objects for the collector in %.0f ms", frozen, 1000 * (time.perf_counter() - t0))
    return frozen
