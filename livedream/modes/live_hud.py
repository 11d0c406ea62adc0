"""The live HUD's text (H toggles it; --record-hud burns it into the recording): fps, generator, input, tempo."""

from __future__ import annotations

import math
import time


def hud_lines(session) -> list[str]:
    """The HUD's lines for one frame (session: modes.live.LiveSession): what the stats file says, read aloud."""
    last, worker = session.stats.last, session.worker
    size = session.window.size
    level = session.peak.update(session.feed.level, time.monotonic())
    db = 20 * math.log10(level) if level > 1e-6 else -120.0
    lines = [
        f"{last.get('fps') or 0:5.1f} fps   {size[0]}x{size[1]}",
        f"gen {last.get('gen_ms') or 0:5.1f} ms   skipped {worker.dropped} (overtaken by newer frames)",
        f"input {db:6.1f} dBFS (peak hold)",
        f"latency {last.get('latency_ms') or 0:5.1f} ms",
    ]
    tempo = session.control.state.get("tempo") or {}
    if tempo.get("bpm"):
        lines.append(f"tempo {tempo['bpm']:6.1f} BPM ({tempo['source']})  beat {tempo['beat_phase']:.2f}")
    learner = session.control.learner
    if learner is not None and learner.target is not None:
        lines.append(f"MIDI learn: {learner.target} - move a control (L next, Esc cancel)")
    if worker.errors:
        lines.append(f"generator errors: {worker.errors}")
    return lines
