"""A full collection after freeze_startup_objects walks only what was allocated since, in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT

PROBE = """
import gc, json, time
from livedream.util.gc_pauses import freeze_startup_objects

def full_pass_ms():
    t0 = time.perf_counter()
    gc.collect()
    return 1000 * (time.perf_counter() - t0)

startup = [{"i": i, "list": [i]} for i in range(400_000)]  # what a loaded torch, model and GL stack hold
before = min(full_pass_ms() for _ in range(3))
frozen = freeze_startup_objects()
show = [[i] for i in range(1_000)]  # what the show allocates afterwards
after = min(full_pass_ms() for _ in range(3))
print(json.dumps({"before": before, "after": after, "frozen": frozen, "kept": len(startup) + len(show)}))
"""


def test_a_full_collection_after_the_freeze_skips_the_start_up_objects():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    got = json.loads(out.stdout)
    assert got["frozen"] >= 800_000  # 400k dicts and 400k lists (ints are not tracked), and the interpreter's own
    assert got["before"] > 10 * got["after"], got  # the frozen objects are out of the collector's walk
    assert got["kept"] == 401_000  # nothing alive was collected
