"""The main thread's side of live control: drains the OSC inbox between frames and applies it to the picture."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from livedream.control.step import FrameStep
from livedream.control_in.inbox import ControlInbox, Drained
from livedream.errors import LivedreamError
from livedream.params import BY_NAME, resolve
from livedream.presets import Crossfade, Preset, PresetLibrary

log = logging.getLogger(__name__)

PRESET_POLL_S = 0.5  # how often preset files are checked for changes
TAP_GAP_S = 2.0  # a pause longer than this between taps starts a new count
TAP_MIN_S = 0.2  # taps closer than this are a double hit, not a tempo (300 BPM)
BEATS_PER_BAR = 4


class Listener(Protocol):
    """Told the values in force after each change: OSC feedback, the web page."""

    def values(self, params: Mapping[str, Any], state: Mapping[str, Any], everything: bool = False) -> None: ...

    def close(self) -> None: ...


class TapTempo:
    """Taps, one a beat, -> a tempo: the mean interval of the last taps (up to 8) since the last long pause."""

    def __init__(self):
        self.times: list[float] = []
        self.bpm: float | None = None

    def tap(self, at: float) -> float | None:
        """Add a tap; the beat interval in seconds once there are two or more taps in a row, else None."""
        if self.times and (at - self.times[-1] > TAP_GAP_S):
            self.times = []
        if self.times and at - self.times[-1] < TAP_MIN_S:
            return None
        self.times = [*self.times, at][-8:]
        if len(self.times) < 2:
            return None
        beat = (self.times[-1] - self.times[0]) / (len(self.times) - 1)
        self.bpm = round(60.0 / beat, 1)
        return beat


class LiveControl:
    """Applies what OSC asked for, once per displayed frame, on the main thread.

    - parameters: Controller.set_params; a parameter moved during a preset fade leaves the fade;
    - preset: the preset's look (defaults overridden by the preset) crossfades in over preset_fade_s;
      preset_fade_s itself changes only when the preset sets it;
    - an edited preset file: the keys that changed in the file fade in (others stay as they are);
    - tap: class_shuffle_seconds becomes the nearest whole number of bars (one bar if it was off);
    - freeze, blackout, reseed: passed to the FrameStep.
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
    ):
        self.core, self.library, self.inbox = core, library, inbox
        self.listeners = list(listeners)
        self.preset = preset
        self.seed = seed
        self.tap = TapTempo()
        self.fade: Crossfade | None = None
        self._next_poll = 0.0
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
        }

    def update(self, t: float) -> None:
        """Between frames, at t seconds since the start (the monotonic clock minus the start)."""
        got = self.inbox.drain() if self.inbox is not None else Drained()
        changed = bool(got) or self.fade is not None
        if got.preset is not None:
            self._switch(got.preset, t)
        if got.params:
            if self.fade is not None:
                self.fade.drop(got.params)
            self.core.set_params(got.params)
        for at in got.taps:
            self._tap(at)
        if got.freeze is not None:
            self.core.freeze(got.freeze, t)
        if got.blackout is not None:
            self.core.blackout = got.blackout
        if got.reseed:
            self.seed += 1
            self.core.reseed(self.seed)
            log.info("reseeded: seed %d", self.seed)
        if t >= self._next_poll:
            self._next_poll = t + PRESET_POLL_S
            changed |= self._reloaded(t)
        if self.fade is not None:
            self.core.set_params(self.fade.values(t))
            if self.fade.done(t):
                self.fade = None
        if changed or got.sync:
            for listener in self.listeners:
                listener.values(self.core.params, self.state, everything=got.sync)

    def _switch(self, name: str, t: float) -> None:
        try:
            preset = self.library.get(name)
        except LivedreamError as exc:
            log.error("preset: %s", exc)
            return
        target = resolve(preset.values)
        in_force = self.core.params
        if "preset_fade_s" not in preset.values:
            target["preset_fade_s"] = in_force["preset_fade_s"]
        self._fade_to(target, t)
        self.preset = preset
        log.info("preset %s (fading over %g s)", preset.name, in_force["preset_fade_s"])

    def _reloaded(self, t: float) -> bool:
        """Fade in what changed in the files of the preset in force."""
        old = self.preset
        for preset in self.library.poll():
            if preset.path != old.path:
                continue
            target = {k: v for k, v in preset.values.items() if old.values.get(k, object()) != v}
            for gone in set(old.values) - set(preset.values):  # a key removed from the file: back to the default
                target[gone] = BY_NAME[gone].default
            self.preset = preset
            self._fade_to(target, t)
            return True
        return False

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

    def close(self) -> None:
        for listener in self.listeners:
            listener.close()
