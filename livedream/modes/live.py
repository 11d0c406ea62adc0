"""Live mode: the engine with a sound-card Source, the display Clock and a window (plus a recording) as Sinks.

Source   capture child -> shared ring -> AnalysisThread -> FeatureFeed per mix / input-channel stem -> LiveFeatures
Clock    DisplayClock: wall time since the start, one frame per display refresh (paced by the swap)
Engine   FrameStep -> InferenceWorker (its own thread, newest request wins) -> EffectChain -> numpy effects
Sinks    LiveRecorder (--record), WindowSink (the picture 1:1, the HUD over it, swap), StatsSink (--stats-file)
Control  OSC thread -> ControlInbox -> LiveControl.update() on the main thread, between frames
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.modes.clock import DisplayClock, FrameTime
from livedream.modes.settings import LiveSettings

log = logging.getLogger(__name__)


@dataclass
class FrameInfo:
    """What a per-frame hook sees (benchmarks): called after drawing, before the swap."""

    index: int
    t: float  # seconds since the start, on the monotonic clock
    window: Any  # livedream.sinks.window.Window
    amounts: Mapping[str, float]
    last_swap_at: float  # time.monotonic() when the previous frame's swap returned
    source: Any = None  # the LiveInput (its ring buffer), for latency measurements


@dataclass
class LiveSession:
    """The objects of one live run, made by run_live and used by its loop (typed, instead of 13 arguments)."""

    settings: LiveSettings
    engine: Any  # modes.engine.Engine
    control: Any  # control_in.live_control.LiveControl
    feed: Any  # audio.feed.FeatureFeed of the mix
    source: Any  # sources.device.LiveInput
    worker: Any  # models.inference.InferenceWorker
    window: Any  # sinks.window.Window
    window_sink: Any  # sinks.window.WindowSink
    stats: Any  # modes.stats.LiveStats
    osc: Any = None  # control_in.osc_server.OscServer


def run_live(s: LiveSettings, on_frame: Callable[[FrameInfo], None] | None = None) -> int:
    """Run until Esc/Q, the window is closed, or s.duration has passed; returns the exit code (0)."""
    from livedream.audio.feed import AnalysisThread, FeatureFeed
    from livedream.control_in.live_control import LiveControl
    from livedream.models.inference import MIN_RESOLUTION, InferenceWorker
    from livedream.models.registry import load_generator
    from livedream.modes.stats import LiveStats, StatsSink
    from livedream.presets import PresetLibrary
    from livedream.render.hud import Hud
    from livedream.sinks.recorder import LiveRecorder
    from livedream.sinks.window import Window, WindowSink
    from livedream.sources.device import LiveInput

    if s.duration is not None and s.duration <= 0:
        raise LivedreamError("--duration must be > 0 seconds")
    if s.record is not None and s.record.suffix.lower() != ".mp4":
        raise LivedreamError(f"--record {s.record}: livedream records MP4 files; use a name ending in .mp4")
    library = PresetLibrary()
    preset = library.add(s.preset)
    with contextlib.ExitStack() as stack:
        osc = _start_osc(s, stack)  # a taken port fails here, before the sound card or a window opens
        source = LiveInput(s.device, s.channels, s.sample_rate, stem_channels=s.stem_channels)
        source.open()  # a wrong device or channel fails here, before any window opens
        stack.callback(source.close)
        gen = load_generator(s.style, device=s.torch_device, model_resolution=s.model_resolution, seed=s.seed)

        def shrink(current):
            half = current.resolution // 2
            if half < MIN_RESOLUTION:
                return None
            return load_generator(s.style, device=s.torch_device, model_resolution=half, seed=s.seed)

        stats = LiveStats(s.stats_file, period_s=s.stats_interval)
        stack.callback(stats.close)
        window = Window(s.size, fullscreen=s.fullscreen, monitor=s.monitor, vsync=s.vsync)
        stack.callback(window.close)
        worker = InferenceWorker(gen, shrink).start()
        stack.callback(worker.stop)
        feed = FeatureFeed(s.onset_method)
        stems = {role: FeatureFeed(s.onset_method) for role in s.stem_channels}
        hud = Hud(window.ctx)
        stack.callback(hud.release)
        window_sink = WindowSink(window, hud)
        window_sink.show_hud = s.hud
        stack.callback(window_sink.close)
        engine = live_engine(window.ctx, s, gen, worker, feed, stems, window.size)
        step = engine.step
        stack.callback(engine.release)
        listeners = []
        if s.osc_reply is not None:
            from livedream.control_in.osc_reply import OscReply

            listeners.append(OscReply(*s.osc_reply))
        control = LiveControl(step, library, preset, inbox=osc.inbox if osc else None, listeners=listeners, seed=s.seed)
        stack.callback(control.close)
        start = time.monotonic()
        recorder = None
        if s.record is not None:
            recorder = LiveRecorder(s.record, window.size, source.sample_rate, len(source.channels), start)
            stack.callback(recorder.abort)  # replaced by close() after a clean end
            engine.sinks.append(recorder)
        session = LiveSession(s, engine, control, feed, source, worker, window, window_sink, stats, osc)
        window_sink.hud_lines = lambda: _hud_lines(session)
        engine.sinks += [window_sink, StatsSink(stats, session)]
        if on_frame is not None:
            window_sink.on_drawn = lambda frame: on_frame(
                FrameInfo(frame.time.index, frame.time.t, window, {}, window_sink.last_swap, source)
            )
        analysis = AnalysisThread(source, feed, tap=recorder.add_audio if recorder else None, stems=stems)
        analysis.start()
        stack.callback(analysis.join, timeout=5.0)  # ExitStack calls back last-in first: stop, then join
        stack.callback(analysis.stop)
        stats.begin(start)
        engine.run(DisplayClock(start, s.duration), before=lambda ft: _between_frames(session, ft))
        if recorder is not None:
            analysis.stop()
            analysis.join(timeout=5.0)
            engine.sinks.remove(recorder)
            recorder.close()  # the clean-up's abort() afterwards finds nothing to remove
            log.info("recorded %s", s.record)
    return 0


def live_engine(ctx, s: LiveSettings, gen, worker, feed, stems, out_size: tuple[int, int]):
    """The engine as live mode wires it (also for a simulated run): the mix's and the stems' feeds, the worker."""
    from livedream.control.controller import Controller
    from livedream.control.step import FrameStep
    from livedream.modes.engine import Engine
    from livedream.modes.features import LiveFeatures
    from livedream.render.cpu_effects import CpuEffects
    from livedream.render.gl import effect_name

    step = FrameStep(
        Controller(gen.z_dim, gen.c_dim, s.params, seed=s.seed),
        {effect_name(path): strength for path, strength in s.shader_effects},
    )
    cpu = CpuEffects(s.cpu_effects, lambda path: _LatestFeatures(feed)) if s.cpu_effects else None
    return Engine(
        ctx,
        step,
        worker,
        LiveFeatures(feed, stems),
        out_size,
        fit=s.fit,
        effects=("contrast", "flash", *(path for path, _ in s.shader_effects)),
        numpy_effects=cpu,
    )


def run_simulated(
    ctx, s: LiveSettings, song: Path, fps: float, n_frames: int, sinks: Sequence[Any], generator=None
) -> None:
    """Live mode's engine and analysis with a simulated sound card (the song at the clock's pace) and clock.

    The engine waits for each frame's own image, so nothing drops: for the live-equals-export tests and
    benchmarks. s.channels / s.stem_channels pick channels of the song as they would inputs.
    """
    from livedream.audio.analyzer import ANALYSIS_RATE
    from livedream.audio.feed import AnalysisThread, FeatureFeed
    from livedream.models.inference import InferenceWorker
    from livedream.models.registry import load_generator
    from livedream.modes.clock import SimulatedClock
    from livedream.sources.device import FileInput

    gen = generator or load_generator(s.style, device=s.torch_device, model_resolution=s.model_resolution, seed=s.seed)
    with contextlib.ExitStack() as stack:
        source = FileInput(str(song), ANALYSIS_RATE, channels=s.channels, stem_channels=s.stem_channels)
        stack.callback(source.close)
        feed = FeatureFeed(s.onset_method)
        stems = {role: FeatureFeed(s.onset_method) for role in s.stem_channels}
        analysis = AnalysisThread(source, feed, stems=stems)  # stepped here: the clock is simulated
        worker = InferenceWorker(gen, wait=True).start()
        stack.callback(worker.stop)
        engine = live_engine(ctx, s, gen, worker, feed, stems, s.size)
        stack.callback(engine.release)
        engine.sinks = list(sinks)

        def deliver(ft: FrameTime) -> bool:
            source.advance(ft.t_sample)  # what the sound card has delivered by the middle of the frame
            analysis.step()
            return True

        engine.run(SimulatedClock(fps, n_frames), before=deliver)


class _LatestFeatures:
    """A numpy effect's audio live: the mix's newest features, whatever the time asked for."""

    def __init__(self, feed):
        self.feed = feed

    def at(self, t: float):
        return self.feed.latest


def _start_osc(s: LiveSettings, stack: contextlib.ExitStack):
    """The OSC server, started; None when off, or when the default port is taken (a warning says so)."""
    from livedream.control_in.inbox import ControlInbox
    from livedream.control_in.osc_server import OscServer

    if s.osc_port is None:
        return None
    server = OscServer(s.osc_host, s.osc_port, ControlInbox())
    try:
        server.start()
    except LivedreamError as exc:
        if s.osc_port_given:
            raise
        log.warning("OSC is off: %s", exc)
        return None
    stack.callback(server.stop)
    return server


def _between_frames(session: LiveSession, ft: FrameTime) -> bool:
    """Keys, window size and control changes, on the main thread before each frame; False ends the show."""
    window = session.window
    actions = window.poll()
    if "quit" in actions:
        log.info("quit")
        return False
    if "fullscreen" in actions:
        window.toggle_fullscreen()
    if "hud" in actions:
        session.window_sink.show_hud = not session.window_sink.show_hud
    if window.resized:
        window.resized = False
        session.engine.resize(window.size)
    session.control.update(ft.t)
    return True


def _hud_lines(session: LiveSession) -> list[str]:
    import math

    last, level, worker = session.stats.last, session.feed.level, session.worker
    size = session.window.size
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
