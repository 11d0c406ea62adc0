"""`livedream live`: a sound-card input drives the picture in a window, at the display's rate, until told to stop.

sound card --callback--> RingBuffer --analysis thread--> Analyzer -> newest AudioFeatures
main thread, each display frame: keys, OSC inbox -> Controller.step(now, freshest features) -> InferenceWorker
             (newest request wins) -> newest image -> EffectChain into the window -> HUD -> swap (vsync)
OSC thread: UDP -> validated commands -> OscInbox (bounded, newest value per parameter wins)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError

log = logging.getLogger(__name__)

DEFAULT_SIZE = (768, 768)


@dataclass(frozen=True)
class LiveSettings:
    """Everything `livedream live` needs; params is the full, validated parameter set."""

    params: Mapping[str, Any]
    seed: int = 0
    device: str | None = None  # input device index or name part; None: the default input
    channels: Sequence[int] | None = None  # 1-based input channels mixed to mono; None: the first two
    sample_rate: int | None = None  # None: the device's own
    size: tuple[int, int] = DEFAULT_SIZE
    fullscreen: bool = False
    monitor: int = 0
    fit: str = "contain"
    style: str | None = None
    model_resolution: int | None = None
    torch_device: str | None = None
    onset_method: str | None = None
    duration: float | None = None
    stats_file: Path | None = None
    record: Path | None = None
    hud: bool = False
    vsync: bool = True
    preset: str = "default"  # the startup preset (name or path): watched for edits, the base for OSC switches
    osc_host: str = "127.0.0.1"
    osc_port: int | None = 9000  # None: no OSC
    osc_port_given: bool = False  # False: a taken default port is a warning, not an error
    osc_reply: tuple[str, int] | None = None
    stats_interval: float = 1.0


@dataclass
class FrameInfo:
    """What a per-frame hook sees (benchmarks): called after drawing, before the swap."""

    index: int
    t: float  # seconds since the start, on the monotonic clock
    window: Any  # livedream.render.window.Window
    amounts: Mapping[str, float]
    last_swap_at: float  # time.monotonic() when the previous frame's swap returned
    source: Any = None  # the LiveInput (its ring buffer), for latency measurements


def run_live(s: LiveSettings, on_frame: Callable[[FrameInfo], None] | None = None) -> int:
    """Run until Esc/Q, the window is closed, or s.duration has passed; returns the exit code (0)."""
    from livedream.audio.live_input import LiveInput
    from livedream.control.controller import Controller
    from livedream.live_analysis import AnalysisThread, FeatureFeed
    from livedream.live_core import LiveCore
    from livedream.live_infer import MIN_RESOLUTION, InferenceWorker
    from livedream.live_record import LiveRecorder
    from livedream.models.registry import load_generator
    from livedream.osc_control import LiveControl
    from livedream.presets import PresetLibrary
    from livedream.render.hud import Hud
    from livedream.render.window import Window
    from livedream.stats import LiveStats

    if s.duration is not None and s.duration <= 0:
        raise LivedreamError("--duration must be > 0 seconds")
    if s.record is not None and s.record.suffix.lower() != ".mp4":
        raise LivedreamError(f"--record {s.record}: livedream records MP4 files; use a name ending in .mp4")
    library = PresetLibrary()
    preset = library.add(s.preset)
    cleanup: list[Callable[[], None]] = []
    inbox = _start_osc(s, cleanup)  # a taken port fails here, before the sound card or a window opens
    try:
        source = LiveInput(s.device, s.channels, s.sample_rate)
        source.open()  # a wrong device fails here, before any window opens
    except BaseException:
        for step in reversed(cleanup):
            step()
        raise
    cleanup.append(source.close)
    try:
        gen = load_generator(s.style, device=s.torch_device, model_resolution=s.model_resolution, seed=s.seed)

        def shrink(current):
            half = current.resolution // 2
            if half < MIN_RESOLUTION:
                return None
            return load_generator(s.style, device=s.torch_device, model_resolution=half, seed=s.seed)

        stats = LiveStats(s.stats_file, period_s=s.stats_interval)
        cleanup.append(stats.close)
        window = Window(s.size, fullscreen=s.fullscreen, monitor=s.monitor, vsync=s.vsync)
        cleanup.append(window.close)
        controller = Controller(gen.z_dim, gen.c_dim, s.params, seed=s.seed)
        worker = InferenceWorker(gen, shrink).start()
        cleanup.append(worker.stop)
        core = LiveCore(window.ctx, controller, worker, window.size, fit=s.fit)
        cleanup.append(core.release)
        hud = Hud(window.ctx)
        cleanup.append(hud.release)
        reply = None
        if s.osc_reply is not None:
            from livedream.osc_reply import OscReply

            reply = OscReply(*s.osc_reply)
        control = LiveControl(core, library, preset, inbox=inbox.inbox if inbox else None, reply=reply, seed=s.seed)
        cleanup.append(control.close)
        feed = FeatureFeed(s.onset_method)
        start = time.monotonic()
        recorder = None
        if s.record is not None:
            recorder = LiveRecorder(s.record, window.size, source.sample_rate, len(source.channels), start)
            cleanup.append(recorder.abort)
        analysis = AnalysisThread(source, feed, tap=recorder.add_audio if recorder else None)
        analysis.start()
        cleanup.append(lambda: (analysis.stop(), analysis.join(timeout=5.0)))
        stats.begin(start)
        _loop(s, window, core, control, inbox, feed, source, worker, hud, stats, recorder, start, on_frame)
        if recorder is not None:
            analysis.stop()
            analysis.join(timeout=5.0)
            cleanup.remove(recorder.abort)
            recorder.close()
            log.info("recorded %s", s.record)
    finally:
        for step in reversed(cleanup):
            step()
    return 0


def _start_osc(s: LiveSettings, cleanup: list[Callable[[], None]]):
    """The OSC server, started; None when off, or when the default port is taken (a warning says so)."""
    from livedream.osc_server import OscInbox, OscServer

    if s.osc_port is None:
        return None
    server = OscServer(s.osc_host, s.osc_port, OscInbox())
    try:
        server.start()
    except LivedreamError as exc:
        if s.osc_port_given:
            raise
        log.warning("OSC is off: %s", exc)
        return None
    cleanup.append(server.stop)
    return server


def _loop(
    s: LiveSettings, window, core, control, osc, feed, source, worker, hud, stats, recorder, start: float, on_frame
) -> None:
    """The main thread's frame loop; GLFW and GL stay on this thread."""
    show_hud = s.hud
    pace = 1.0 / window.refresh_rate
    last_swap = time.monotonic()
    last_image_seq = -1
    index = 0
    while True:
        actions = window.poll()
        if "quit" in actions:
            log.info("quit")
            break
        if "fullscreen" in actions:
            window.toggle_fullscreen()
        if "hud" in actions:
            show_hud = not show_hud
        if window.resized:
            window.resized = False
            core.resize(window.size)
        now = time.monotonic()
        t = now - start
        if s.duration is not None and t >= s.duration:
            break
        control.update(t)
        amounts = core.tick(t, feed.latest, target=window.screen)
        if show_hud:
            hud.set_text(_hud_lines(stats.last, feed.level, worker, window.size))
            hud.draw(window.screen, window.size)
        if recorder is not None:
            due = recorder.due(time.monotonic())
            if due:
                recorder.add_frame(None if recorder.behind else window.read(), due)
        if on_frame is not None:
            on_frame(FrameInfo(index, t, window, amounts, last_swap, source))
        window.swap()
        now = time.monotonic()
        if now - last_swap < 0.9 * pace:  # no vsync here (Xvfb, a driver setting): do not spin
            time.sleep(last_swap + pace - now)
            now = time.monotonic()
        last_swap = now
        index += 1
        shown = core.shown
        new_image = shown is not None and shown.seq != last_image_seq
        if new_image:
            last_image_seq = shown.seq
        stats.frame(
            latency_ms=1000.0 * (now - feed.arrived_at + source.latency_s),
            gen_ms=shown.gen_ms if new_image else None,
            at=now,
        )
        if stats.due(now):
            state = {**control.state, "osc": osc.counters if osc is not None else None}
            stats.flush(now, feed.level, feed.onsets, worker.dropped, core.step.params, state, feed.latest)


def _hud_lines(last: Mapping[str, Any], level: float, worker, size: tuple[int, int]) -> list[str]:
    import math

    db = 20 * math.log10(level) if level > 1e-6 else -120.0
    lines = [
        f"{last.get('fps') or 0:5.1f} fps   {size[0]}x{size[1]}",
        f"gen {last.get('gen_ms') or 0:5.1f} ms   dropped {worker.dropped}",
        f"input {db:6.1f} dBFS",
        f"latency {last.get('latency_ms') or 0:5.1f} ms",
    ]
    if worker.errors:
        lines.append(f"generator errors: {worker.errors}")
    return lines
