"""Live mode: the engine with a sound-card Source, the display Clock and a window (plus a recording) as Sinks.

Source   capture child -> shared ring -> AnalysisThread -> FeatureFeed per mix / input-channel stem -> LiveFeatures
Clock    DisplayClock: wall time since the start, one frame per display refresh (paced by the swap)
Engine   FrameStep -> InferenceWorker (its own thread, newest request wins) -> EffectChain -> numpy effects
Sinks    LiveRecorder (--record), NDI / virtual camera (--ndi, --virtual-camera), WindowSink (the picture 1:1,
         the HUD over it, swap), StatsSink (--stats-file)
Control  OSC thread, web page thread (--web-port) -> ControlInbox -> LiveControl.update() on the main thread,
         between frames; the web page follows the values in force as a LiveControl listener
Tempo    one TempoSource (--tempo): MIDI clock, tap, or the analyzer's beats -> the FrameStep's tempo lock
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livedream.errors import LivedreamError
from livedream.modes.clock import DisplayClock, FrameTime
from livedream.modes.live_hud import hud_lines
from livedream.modes.live_inputs import meter, start_midi, start_osc, start_web
from livedream.modes.settings import LiveSettings
from livedream.modes.stats import PeakHold

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
    video_out: Sequence[Any] = ()  # sinks.videoout.SlotSink: counters for the stats
    web: Any = None  # control_in.web.server.WebServer
    midi: Any = None  # control_in.midi.MidiInput
    peak: Any = field(default_factory=lambda: PeakHold())  # the HUD's input meter


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
    from livedream.sinks.videoout import video_sinks
    from livedream.sinks.window import Window, WindowSink
    from livedream.sources.device import LiveInput
    from livedream.util.allocator import keep_freed_memory
    from livedream.util.gc_pauses import freeze_startup_objects

    if s.duration is not None and s.duration <= 0:
        raise LivedreamError("--duration must be > 0 seconds")
    if s.record is not None and s.record.suffix.lower() != ".mp4":
        raise LivedreamError(f"--record {s.record}: livedream records MP4 files; use a name ending in .mp4")
    from livedream.control_in.inbox import ControlInbox

    keep_freed_memory()  # the generator's thread allocates large tensors every frame
    library = PresetLibrary()
    preset = library.add(s.preset)
    inbox = ControlInbox()
    with contextlib.ExitStack() as stack:
        osc = start_osc(s, stack, inbox, library.locate)  # a taken port fails here, before the sound card opens
        web = start_web(s, stack, inbox, library, osc)  # so does a taken web port
        tempo, midi, learner = start_midi(s, stack, inbox)  # and a MIDI port that is not there
        source = LiveInput(s.device, s.channels, s.sample_rate, stem_channels=s.stem_channels)
        source.open()  # a wrong device or channel fails here, before any window opens
        stack.callback(source.close)
        gen = load_generator(s.style, device=s.torch_device, model_resolution=s.model_resolution, seed=s.seed)

        def shrink(current):
            half = current.resolution // 2
            if half < MIN_RESOLUTION:
                return None
            try:
                return load_generator(s.style, device=s.torch_device, model_resolution=half, seed=s.seed)
            except LivedreamError as e:  # e.g. StyleGAN3, which renders at its own size only
                log.warning("cannot lower the resolution: %s", e)
                return None

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
        engine = live_engine(window.ctx, s, gen, worker, feed, stems, window.size, tempo=tempo)
        step = engine.step
        stack.callback(engine.release)
        listeners = []
        if s.osc_reply is not None:
            from livedream.control_in.osc_reply import OscReply

            listeners.append(OscReply(*s.osc_reply))
        if web is not None:
            listeners.append(web.listener)
        control = LiveControl(
            step, library, preset, inbox=inbox, listeners=listeners, seed=s.seed, tempo=tempo, learner=learner
        )
        stack.callback(control.close)
        start = time.monotonic()
        tempo.set_origin(start)
        recorder = None
        if s.record is not None:
            recorder = LiveRecorder(s.record, window.size, source.sample_rate, len(source.channels), start)
            stack.callback(recorder.abort)  # replaced by close() after a clean end
            engine.sinks.append(recorder)
        video_out = video_sinks(s.video_out)
        for sink in video_out:
            stack.callback(sink.close)
        session = LiveSession(
            s, engine, control, feed, source, worker, window, window_sink, stats, osc, video_out, web, midi
        )
        window_sink.hud_lines = lambda: hud_lines(session)
        if s.record_hud and recorder is not None:
            from livedream.render.hud import HudOverlay

            engine.sinks.insert(0, HudOverlay(hud, window_sink.hud_lines, window_sink))
        engine.sinks += [*video_out, window_sink, StatsSink(stats, session)]
        if web is not None:
            web.meter = lambda: meter(session)
        if on_frame is not None:
            window_sink.on_drawn = lambda frame: on_frame(
                FrameInfo(frame.time.index, frame.time.t, window, {}, window_sink.last_swap, source)
            )
        analysis = AnalysisThread(source, feed, tap=recorder.add_audio if recorder else None, stems=stems)
        analysis.start()
        stack.callback(analysis.join, timeout=5.0)  # ExitStack calls back last-in first: stop, then join
        stack.callback(analysis.stop)
        freeze_startup_objects()  # a full collection during the show would stop the display for 50-90 ms
        stats.begin(start)
        interrupted: KeyboardInterrupt | None = None
        try:
            engine.run(DisplayClock(start, s.duration), before=lambda ft: _between_frames(session, ft))
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (cli.main raises it): stop as a quit does
            interrupted = exc
            log.info("interrupted: stopping")
        if recorder is not None:
            analysis.stop()
            analysis.join(timeout=5.0)
            engine.sinks.remove(recorder)
            recorder.close()  # the clean-up's abort() afterwards finds nothing to remove
            log.info("recorded %s", s.record)
        if interrupted is not None:
            raise interrupted  # after the recording is closed into a playable file
    return 0


def live_engine(ctx, s: LiveSettings, gen, worker, feed, stems, out_size: tuple[int, int], tempo=None):
    """The engine as live mode wires it (also for a simulated run): the mix's and the stems' feeds, the worker.

    tempo: the TempoSource the tempo-locked parameters follow (None: none)."""
    from livedream.control.controller import Controller
    from livedream.control.step import FrameStep
    from livedream.modes.engine import Engine
    from livedream.modes.features import LiveFeatures
    from livedream.render.cpu_effects import CpuEffects
    from livedream.render.gl import effect_name

    step = FrameStep(
        Controller(gen.z_dim, gen.c_dim, s.params, seed=s.seed),
        {effect_name(path): strength for path, strength in s.shader_effects},
        tempo=tempo,
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
    from livedream.control.tempo import BeatsTempo
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
        engine = live_engine(ctx, s, gen, worker, feed, stems, s.size, tempo=BeatsTempo())  # as export
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


def _between_frames(session: LiveSession, ft: FrameTime) -> bool:
    """Keys, window size and control changes, on the main thread before each frame; False ends the show."""
    window = session.window
    actions = window.poll()
    learner = session.control.learner
    if "escape" in actions:  # Esc cancels MIDI learn; otherwise it quits
        if learner is not None and learner.target is not None:
            learner.cancel()
        else:
            actions.append("quit")
    if "quit" in actions:
        log.info("quit")
        return False
    if "learn" in actions:
        if learner is None:
            log.error("MIDI learn: no MIDI input is open (start with --midi PORT)")
        else:
            learner.step()
    if "fullscreen" in actions:
        window.toggle_fullscreen()
    if "hud" in actions:
        session.window_sink.show_hud = not session.window_sink.show_hud
    if window.resized:
        window.resized = False
        session.engine.resize(window.size)
    session.control.update(ft.t)
    return True
