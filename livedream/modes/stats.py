"""Live statistics: counters kept per displayed frame, one JSON line a second to the stats file, and the HUD text."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from livedream.util.outputs import check_output

log = logging.getLogger(__name__)


def beat_fields(f: Any) -> dict[str, Any]:
    """What the beat tracker holds now (an AudioFeatures): tempo, confidence, meter, bar phase, band envelopes."""
    return {
        "tempo_bpm": round(float(f.tempo_bpm), 2),
        "beat_confidence": round(float(f.beat_confidence), 3),
        "beats_per_bar": int(f.beats_per_bar),
        "bar_phase": round(float(f.bar_phase), 3),
        "bands": {b: round(float(getattr(f, f"{b}_env")), 3) for b in ("kick", "snare", "hats")},
    }


class PeakHold:
    """A meter's peak hold: the highest level of the last HOLD_S, then falling by FALL_DB_PER_S.

    The input meter shows this instead of the newest hop's RMS, which drops to silence between two hits.
    """

    HOLD_S = 1.5
    FALL_DB_PER_S = 20.0

    def __init__(self) -> None:
        self.level, self._at = 0.0, 0.0

    def update(self, level: float, now: float) -> float:
        held = now - self._at
        if level >= self.level or held > self.HOLD_S:
            fallen = self.level * 10 ** (-self.FALL_DB_PER_S * max(0.0, held - self.HOLD_S) / 20)
            if level >= fallen:
                self.level, self._at = float(level), now
            else:
                self.level = fallen
                self._at = now - self.HOLD_S  # keep falling from here
        return self.level


class LiveStats:
    """Counts what the live loop does and, once a second, writes one JSON object per line:

    {"t": seconds since start, "fps": frames displayed in that second / its length, "frames": displayed
    since start, "dropped": controller frames never generated since start (a newer one won), "gen_ms":
    mean generator time of the images finished that second, "rms": the loudest hop's RMS that second, "onsets": onsets heard
    in that second, "latency_ms": mean estimated input-to-screen latency that second, "max_frame_ms": the
    longest time between two displayed frames that second, "amounts": the largest amount each effect got that
    second (flash, contrast, user shaders, blackout), "envelopes": the largest 0..1 envelope each role read
    (pulse, motion, contrast, flash), "params": every parameter in force, and whatever
    `state` the loop adds (preset, freeze, blackout, OSC and web counters, video out's sent / dropped)}.
    """

    def __init__(self, path: str | Path | None, start: float | None = None, period_s: float = 1.0):
        self.start = time.monotonic() if start is None else start
        self.period_s = period_s
        self.frames = 0
        self._file = None
        self._failing = False  # a write failed (disk full): logged once, tried again each second
        self.path = None if path is None else check_output(path, "--stats-file")  # never a preset or a folder
        if self.path is not None:
            self._file = open(self.path, "wb", buffering=0)  # noqa: SIM115 - lives as long as the run; unbuffered:
            # a failed line is dropped, never left in a buffer to come out half later
        self._window_start = self.start
        self._window_frames = 0
        self._gen_ms: list[float] = []
        self._latency_ms: list[float] = []
        self._max_frame_s = 0.0
        self._last_frame_at: float | None = None
        self._onsets_at_window = 0
        self._amounts: dict[str, float] = {}
        self._envelopes: dict[str, float] = {}
        self.last: dict[str, Any] = {"fps": 0.0, "gen_ms": 0.0, "latency_ms": 0.0}

    def begin(self, start: float) -> None:
        """Count from start (time.monotonic()): the moment the picture starts."""
        self.start = self._window_start = start

    def frame(
        self,
        latency_ms: float | None = None,
        gen_ms: float | None = None,
        at: float | None = None,
        amounts: Mapping[str, float] | None = None,
        envelopes: Mapping[str, float] | None = None,
    ) -> None:
        """One frame displayed (at: time.monotonic() of its swap); gen_ms when a new image arrived with it."""
        for peaks, values in ((self._amounts, amounts), (self._envelopes, envelopes)):
            for name, value in (values or {}).items():
                peaks[name] = max(peaks.get(name, 0.0), float(value))
        if at is not None:
            if self._last_frame_at is not None:
                self._max_frame_s = max(self._max_frame_s, at - self._last_frame_at)
            self._last_frame_at = at
        self.frames += 1
        self._window_frames += 1
        if latency_ms is not None:
            self._latency_ms.append(latency_ms)
        if gen_ms is not None:
            self._gen_ms.append(gen_ms)

    def due(self, now: float) -> bool:
        return now - self._window_start >= self.period_s

    def flush(
        self,
        now: float,
        rms: float,
        onsets_total: int,
        dropped_total: int,
        params: Mapping[str, Any],
        state: Mapping[str, Any] | None = None,
        features: Any | None = None,
    ) -> dict[str, Any]:
        """Close the current second: the record (also written to the file, if any)."""
        span = max(now - self._window_start, 1e-9)
        record = {
            "t": round(now - self.start, 3),
            "fps": round(self._window_frames / span, 2),
            "frames": self.frames,
            "dropped": int(dropped_total),
            "gen_ms": round(sum(self._gen_ms) / len(self._gen_ms), 2) if self._gen_ms else None,
            "rms": round(float(rms), 5),
            "onsets": int(onsets_total - self._onsets_at_window),
            "latency_ms": round(sum(self._latency_ms) / len(self._latency_ms), 1) if self._latency_ms else None,
            "max_frame_ms": round(1000.0 * self._max_frame_s, 1),
            "amounts": {name: round(v, 4) for name, v in self._amounts.items()},
            "envelopes": {name: round(v, 4) for name, v in self._envelopes.items()},
            "params": dict(params),
            **(beat_fields(features) if features is not None else {}),
            **(state or {}),
        }
        self._max_frame_s = 0.0
        self._amounts, self._envelopes = {}, {}
        self._window_start = now
        self._window_frames = 0
        self._gen_ms, self._latency_ms = [], []
        self._onsets_at_window = onsets_total
        self.last = record
        if self._file is not None:
            self._write(json.dumps(record) + "\n")
        return record

    def _write(self, line: str) -> None:
        """One line; a full disk (or a gone USB stick) is one log line and the show goes on."""
        assert self._file is not None  # called only while the file is open
        data = (b"\n" if self._failing else b"") + line.encode()  # after a failure: start on a fresh line
        try:
            while data:
                data = data[self._file.write(data) :]
        except OSError as exc:
            if not self._failing:
                log.error("--stats-file %s: cannot write (%s); the show goes on, trying again each second",
                          self.path, exc.strerror or exc)  # fmt: skip
            self._failing = True
            return
        if self._failing:
            log.warning("--stats-file %s: writing again", self.path)
            self._failing = False

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class StatsSink:
    """The stats as the last sink of a live run: counts each frame after its swap and writes a line a second."""

    def __init__(self, stats: LiveStats, session: Any):  # session: modes.live.LiveSession
        self.stats, self.session = stats, session
        self._last_image_seq = -1
        self._rms = 0.0  # the loudest hop of the second: the newest hop alone reads 0 between two hits

    def write(self, frame: Any) -> None:  # frame: sinks.base.OutputFrame
        s, now = self.session, time.monotonic()
        shown, planned = s.engine.shown, s.engine.planned
        self._rms = max(self._rms, float(s.feed.level))
        new_image = shown is not None and shown.seq != self._last_image_seq
        if new_image:
            self._last_image_seq = shown.seq
        self.stats.frame(
            latency_ms=1000.0 * (now - s.feed.arrived_at + s.source.latency_s),
            gen_ms=shown.gen_ms if new_image else None,
            at=now,
            amounts=planned.step.amounts if planned is not None else None,
            envelopes=planned.step.frame.amplitudes if planned is not None and planned.step.frame else None,
        )
        if self.stats.due(now):
            state = {**s.control.state, "osc": s.osc.counters if s.osc is not None else None}
            if s.video_out:
                state["video_out"] = {sink.label: sink.counters for sink in s.video_out}
            if s.web is not None:
                state["web"] = s.web.counters
            if getattr(s, "midi", None) is not None:
                state["midi"] = dict(s.midi.counters)
            self.stats.flush(
                now, self._rms, s.feed.onsets, s.worker.dropped, s.control.core.params, state, s.feed.latest
            )
            self._rms = 0.0

    def close(self) -> None:
        self.stats.close()

    def abort(self) -> None:
        self.stats.close()
