"""The main thread's side of live control: drains the OSC inbox between frames and applies it to the picture."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from livedream.control.step import FrameStep
from livedream.control.tempo import BEATS_PER_BAR, TapTempo, TempoSelector
from livedream.control_in.inbox import ControlInbox, Drained
from livedream.control_in.preset_watch import PresetWatcher
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, resolve
from livedream.presets import Crossfade, Preset, PresetLibrary

log = logging.getLogger(__name__)


class Listener(Protocol):
    """Told the values in force after each change: OSC feedback, the web page."""

    def values(self, params: Mapping[str, Any], state: Mapping[str, Any], everything: bool = False) -> None: ...

    def close(self) -> None: ...


class LiveControl:
    """Applies what OSC asked for, once per displayed frame, on the main thread.

    - parameters: Controller.set_params; a parameter moved during a preset fade leaves the fade;
    - preset: the preset's look (defaults overridden by the preset) crossfades in over preset_fade_s;
      preset_fade_s itself changes only when the preset sets it;
    - an edited preset file: the keys that changed in the file fade in (others stay as they are);
    - tap: class_shuffle_seconds becomes the nearest whole number of bars (one bar if it was off);
    - freeze, blackout, reseed: passed to the FrameStep ("toggle" flips freeze or blackout: a MIDI pad);
    - flash, pulse: one-shots with a pad's velocity, passed to the FrameStep;
    - learn: handed to the learner (MIDI learn), which binds the next control that moves.
    After each change, the values in force go to every listener (--osc-reply, the web page): each has
    values(params, state, everything=False) and is called on the main thread, so it must not block.
    """

    def __init__(
        self,
        core: FrameStep,
        library: PresetLibrary,
        preset: Preset,
        inbox: ControlInbox | None = None,
        listeners: Sequence[Listener] = (),
        seed: int = 0,
        tempo: TempoSelector | None = None,
        learner: Any = None,  # control_in.midi_learn.Learner, when MIDI is on
    ):
        self.core, self.library, self.inbox = core, library, inbox
        self.listeners = list(listeners)
        self.preset = preset
        self.seed = seed
        self.tempo = tempo
        self.learner = learner
        self.tap = tempo.tap if tempo is not None and tempo.tap is not None else TapTempo()
        self.fade: Crossfade | None = None
        self.watcher = PresetWatcher(library).start()  # edits are read and parsed off the main thread
        for listener in self.listeners:
            listener.values(core.params, self.state, everything=True)

    @property
    def state(self) -> dict[str, Any]:
        """What the stats file and the reply report besides parameters."""
        return {
            "preset": self.preset.name,
            "freeze": self.core.frozen,
            "blackout": self.core.blackout,
            "tap_bpm": self.tap.bpm,
            "seed": self.seed,
            "fading": self.fade is not None,
            "learning": self.learning,
            "tempo": self.tempo.report() if self.tempo is not None else None,
        }

    @property
    def learning(self) -> str | None:
        """The parameter or action MIDI learn waits to bind, or None."""
        return self.learner.target if self.learner is not None else None

    def update(self, t: float) -> None:
        """Between frames, at t seconds since the start (the monotonic clock minus the start)."""
        got = self.inbox.drain() if self.inbox is not None else Drained()
        changed = bool(got) or self.fade is not None
        if got.preset is not None and not self._switch(got.preset, t) and got.before_preset:
            if self.fade is not None:
                self.fade.drop(got.before_preset)
            self.core.set_params(got.before_preset)  # the switch failed: what was sent before it stands
        params = dict(got.params)
        for name in got.toggles:
            params[name] = not params.get(name, self.core.params[name])
        if params:
            if self.fade is not None:
                self.fade.drop(params)
            self.core.set_params(params)
        for at in got.taps:
            self._tap(at)
        if got.freeze is not None:
            self.core.freeze(not self.core.frozen if got.freeze == "toggle" else got.freeze, t)
        if got.blackout is not None:
            self.core.blackout = not self.core.blackout if got.blackout == "toggle" else got.blackout
        for kind, amount in got.shots.items():
            self.core.trigger(kind, amount)
        if got.learn is not None:
            self._learn(got.learn)
        if got.reseed:
            self.seed += 1
            self.core.reseed(self.seed)
            log.info("reseeded: seed %d", self.seed)
        changed |= self._reloaded(t)
        if self.fade is not None:
            self.core.set_params(self.fade.values(t))
            if self.fade.done(t):
                self.fade = None
        if changed or got.sync:
            for listener in self.listeners:
                listener.values(self.core.params, self.state, everything=got.sync)

    def _switch(self, name: str, t: float) -> bool:
        try:
            preset = self.library.get(name)
        except LivedreamError as exc:
            log.error("preset: %s", exc)
            return False
        target = resolve(preset.values)
        in_force = self.core.params
        if "preset_fade_s" not in preset.values:
            target["preset_fade_s"] = in_force["preset_fade_s"]
        self._fade_to(target, t)
        self.preset = preset
        log.info("preset %s (fading over %g s)", preset.name, in_force["preset_fade_s"])
        return True

    def _reloaded(self, t: float) -> bool:
        """Fade in what changed in the files of the preset in force (read by the watcher thread)."""
        found = False
        for preset in self.watcher.take():
            old = self.preset
            if preset.path != old.path:
                continue
            target = {k: v for k, v in preset.values.items() if old.values.get(k, object()) != v}
            for gone in set(old.values) - set(preset.values):  # a key removed from the file: back to the default
                target[gone] = BY_NAME[gone].default
            self.preset = preset
            self._fade_to(target, t)
            found = True
        return found

    def _fade_to(self, target: dict[str, Any], t: float) -> None:
        in_force = dict(self.core.params)
        if self.fade is not None:  # a fade in progress: carry on from where it got to
            in_force.update(self.fade.values(t))
        self.fade = Crossfade(in_force, target, in_force["preset_fade_s"], t)
        self.core.set_params(self.fade.values(t))

    def _tap(self, at: float) -> None:
        beat = self.tap.tap(at)
        if beat is None:
            return
        bar = BEATS_PER_BAR * beat
        p = BY_NAME["class_shuffle_seconds"]
        assert p.lo is not None and p.hi is not None  # the table bounds it
        now = self.core.params["class_shuffle_seconds"]
        bars = 1 if now is None else max(1, round(now / bar))
        seconds = min(max(bars * bar, p.lo), p.hi)
        self.core.set_params({"class_shuffle_seconds": seconds})
        log.info("tap tempo %.1f BPM: class shuffle every %d bar(s), %.2f s", self.tap.bpm, bars, seconds)

    def _learn(self, target: str) -> None:
        if self.learner is None:
            log.error("MIDI learn: no MIDI input is open (start with --midi PORT)")
        elif target:
            self.learner.start(target)
        else:
            self.learner.cancel()

    def close(self) -> None:
        self.watcher.stop()
        for listener in self.listeners:
            listener.close()
