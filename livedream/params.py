"""The parameter table: every tunable declared once, with its default, range, unit and help.

CLI flags, YAML preset keys, OSC addresses, the Python API and the help text are all
derived from PARAMS, so a default or a range is never written twice.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from livedream.errors import LivedreamError, brief


@dataclass(frozen=True)
class Param:
    """One tunable.

    kind is "float", "int", "bool", "int_list" or "choice"; lo/hi bound numbers (and list items);
    nullable parameters accept None ("off"); max_len bounds int_list lengths; choices are the words a
    "choice" takes. curve is how a 0..1 fader (OSC /norm/, MIDI CC, the web page) maps onto [lo, hi]:
    "lin", or "log" for seconds and rates that span decades. A log curve on a range starting at 0 is offset
    by a knee of a thousandth of the range (lo + k((1 + (hi-lo)/k)^x - 1)), so the fader's bottom still reaches 0.
    """

    name: str
    default: Any
    kind: str
    help: str
    group: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    nullable: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    curve: str = "lin"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def range_text(self) -> str:
        """What is allowed, in words, for error messages and help."""
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "choice":
            text = "one of " + ", ".join(self.choices)
        elif self.kind == "int_list":
            text = f"a list of up to {self.max_len} integers in [{_num(self.lo)}, {_num(self.hi)}]"
        else:
            text = f"a {'whole ' if self.kind == 'int' else ''}number in [{_num(self.lo)}, {_num(self.hi)}]"
        return text + (" or null" if self.nullable else "")

    def validate(self, value: Any) -> Any:
        """Return value converted to this parameter's type, or raise LivedreamError naming it."""
        if value is None:
            if self.nullable:
                return None
            raise self._refuse(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in _BOOL_WORDS:
                return _BOOL_WORDS[value.lower()]
            raise self._refuse(value)
        if self.kind == "choice":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = f"{value:g}"  # YAML reads `strobe_division: 1` as a number
            if isinstance(value, str) and value.strip().lower() in self.choices:
                return value.strip().lower()
            raise self._refuse(value)
        if self.kind == "int_list":
            items = _split_list(value)
            if items is None or (self.max_len is not None and len(items) > self.max_len):
                raise self._refuse(value)
            out = [self._number(v, whole=True, original=value) for v in items]
            return out or (None if self.nullable else out)
        return self._number(value, whole=self.kind == "int", original=value)

    def from_norm(self, x: float) -> Any:
        """A 0..1 fader position -> a value of this parameter: linear over [lo, hi]; a switch above 0.5.

        Raises LivedreamError when x is not a finite number in [0, 1] or the parameter has no range (lists).
        """
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not 0.0 <= x <= 1.0:
            raise LivedreamError(
                f"{self.name}: normalised value {brief(x)} is not allowed; expected a number in [0, 1]"
            )
        if self.kind == "bool":
            return x >= 0.5
        if self.kind == "choice":  # the fader's travel split evenly among the words
            return self.choices[min(len(self.choices) - 1, int(float(x) * len(self.choices)))]
        if self.kind == "int_list" or self.lo is None or self.hi is None:
            raise LivedreamError(f"{self.name}: has no range to map a 0..1 value onto; send the value itself")
        if self.curve == "log" and self.lo > 0:
            value = self.lo * (self.hi / self.lo) ** float(x)
        elif self.curve == "log":
            k = self._knee()
            value = self.lo + k * ((1.0 + (self.hi - self.lo) / k) ** float(x) - 1.0)
        else:
            value = self.lo + float(x) * (self.hi - self.lo)
        return self.validate(round(value) if self.kind == "int" else min(max(value, self.lo), self.hi))

    def to_norm(self, value: Any) -> float | None:
        """The 0..1 fader position of value (the inverse of from_norm); None where there is none (lists, null)."""
        if self.kind == "bool":
            return 1.0 if value else 0.0
        if self.kind == "choice":
            return (self.choices.index(value) + 0.5) / len(self.choices) if value in self.choices else None
        if value is None or self.kind == "int_list" or self.lo is None or self.hi is None or self.hi <= self.lo:
            return None
        if self.curve == "log" and self.lo > 0:
            u = math.log(max(float(value), self.lo) / self.lo) / math.log(self.hi / self.lo)
        elif self.curve == "log":
            k = self._knee()
            u = math.log1p(max(float(value) - self.lo, 0.0) / k) / math.log1p((self.hi - self.lo) / k)
        else:
            u = (float(value) - self.lo) / (self.hi - self.lo)
        return min(1.0, max(0.0, u))

    def _knee(self) -> float:
        assert self.hi is not None and self.lo is not None  # only log faders have a knee, and they have a range
        return (float(self.hi) - float(self.lo)) / LOG_KNEE

    def _number(self, value: Any, whole: bool, original: Any) -> float | int:
        if isinstance(value, bool):
            raise self._refuse(original)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self._refuse(original) from None
        if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            raise self._refuse(original)
        # The range first, compared exactly: a 400-digit integer is out of range, not an OverflowError.
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise self._refuse(original)
        if whole:
            if isinstance(value, float) and not value.is_integer():
                raise self._refuse(original)
            return int(value)
        return float(value)

    def _refuse(self, value: Any) -> LivedreamError:
        return LivedreamError(f"{self.name}: {brief(value)} is not allowed; expected {self.range_text()}")


LOG_KNEE = 1000.0  # a log fader over [0, hi] bends at hi / LOG_KNEE: 0..240 anchors/min puts 7.3 at the middle
_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _num(x: float | None) -> str:
    if x is None:
        return "-inf"
    return f"{x:g}"


def _split_list(value: Any) -> list | None:
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(" ", ",").split(",")]
        return [p for p in parts if p]
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return None


# The latent directions a model exposes as direction_1 .. direction_N (models/directions.py computes them).
NUM_DIRECTIONS = 8
DRUM_BAND_CHOICES = ("all", "kick", "snare", "hats")  # all: the whole signal or its part; else a drum band's envelope

# fmt: off
PARAMS: tuple[Param, ...] = (
    # Base motion
    Param("speed_fpm", 12.0, "float", "Random anchor images per minute that the picture drifts between; 0 stands still.",
          "motion", "anchors/min", 0.0, 240.0, curve="log"),  # offset log: 0 (still) stays at the fader's bottom
    Param("truncation", 1.0, "float", "Scale of the latent vectors: lower is calmer and more typical, higher is wilder.",
          "motion", "", 0.05, 2.0),
    # Pulse: added for one frame only
    Param("pulse_react", 0.5, "float", "How far the picture jumps with each hit of the pulse audio (LSD's scale).",
          "pulse", "", 0.0, 10.0),
    Param("pulse_percussive", True, "bool", "Pulse follows the percussive part of the audio.", "pulse"),
    Param("pulse_harmonic", False, "bool", "Pulse follows the harmonic part of the audio.", "pulse"),
    Param("pulse_band", "all", "choice", "Drum band that drives the pulse; all uses the parts chosen above.",
          "pulse", choices=DRUM_BAND_CHOICES),
    # Motion: accumulated
    Param("motion_react", 0.5, "float", "How fast the picture travels with the loudness of the motion audio (LSD's scale).",
          "motion", "", 0.0, 10.0),
    Param("motion_randomness", 0.5, "float", "How unevenly the latent dimensions travel: 0 all alike, 1 very uneven.",
          "motion", "", 0.0, 1.0),
    Param("motion_percussive", False, "bool", "Motion follows the percussive part of the audio.", "motion"),
    Param("motion_harmonic", True, "bool", "Motion follows the harmonic part of the audio.", "motion"),
    # Class: pitch classes drive classes
    Param("classes", None, "int_list", "The classes (up to 12) that the 12 pitch classes C..B drive; null picks at random.",
          "class", "class ids", 0, 100_000, nullable=True, max_len=12),
    Param("dominant_classes_first", False, "bool", "Give the first classes to the pitches heard most in the song.",
          "class"),
    Param("class_pitch_react", 0.5, "float", "How strongly the pitches heard set the class mix.", "class", "", 0.0, 3.0),
    Param("class_smooth_seconds", 1.0, "float", "Smoothing of the class mix over time.", "class", "s", 0.0, 30.0),
    Param("class_complexity", 1.0, "float", "Scale of the class vector (its strongest class): lower gives simpler images.",
          "class", "", 0.0, 1.0),
    Param("class_shuffle_seconds", None, "float", "Shuffle the pitch-to-class mapping this often; null never.",
          "class", "s", 0.05, 3600.0, nullable=True, curve="log"),
    Param("class_shuffle_strength", 0.5, "float", "How much of the mapping each shuffle changes.", "class", "", 0.0, 1.0),
    # Effects
    Param("contrast_strength", 0.5, "float", "Contrast boost at each hit of the contrast audio; 0 is off.",
          "effects", "", 0.0, 1.0),
    Param("contrast_percussive", True, "bool", "Contrast follows the percussive part (else the whole signal).",
          "effects"),
    Param("contrast_band", "all", "choice", "Drum band that drives the contrast; all uses the part chosen above.",
          "effects", choices=DRUM_BAND_CHOICES),
    Param("flash_strength", 0.5, "float", "Brightness flash at each hit of the flash audio; 0 is off.",
          "effects", "", 0.0, 1.0),
    Param("flash_percussive", True, "bool", "Flash follows the percussive part (else the whole signal).", "effects"),
    # Latent directions (SeFa, computed at load): StyleGAN2/3 models only; other generators ignore them
    *(Param(f"direction_{i}", 0.0, "float", f"Move along the model's principal direction {i} in w (-1..1, 0 is off); "
            "StyleGAN2/3 models only.", "directions", "", -1.0, 1.0) for i in range(1, NUM_DIRECTIONS + 1)),
    Param("direction_audio", "off", "choice", "Audio that pushes the chosen direction: the harmonic or percussive "
          "envelope, the loudness, or the onsets.", "directions", choices=("off", "harmonic", "percussive", "level", "onset")),
    Param("direction_audio_target", 1, "int", "Which direction (1-8) the direction audio pushes.", "directions", "",
          1, NUM_DIRECTIONS),
    Param("direction_react", 0.5, "float", "How far the direction audio pushes its direction at full level "
          "(negative pushes the other way).", "directions", "", -1.0, 1.0),
    # Camera: StyleGAN3's input transform, a true pan and turn (the picture slides, it does not morph)
    Param("sg3_translate_x", 0.0, "float", "Pan the StyleGAN3 camera sideways, in image widths; other generators "
          "ignore it.", "camera", "widths", -2.0, 2.0),
    Param("sg3_translate_y", 0.0, "float", "Pan the StyleGAN3 camera up/down, in image heights; other generators "
          "ignore it.", "camera", "heights", -2.0, 2.0),
    Param("sg3_rotate", 0.0, "float", "Turn the StyleGAN3 camera, in degrees; other generators ignore it.",
          "camera", "degrees", -180.0, 180.0),
    Param("flash_band", "all", "choice", "Drum band that drives the flash; all uses the part chosen above.",
          "effects", choices=DRUM_BAND_CHOICES),
    Param("flash_mode", "tonemap", "choice", "How a flash brightens: tonemap lifts toward white and keeps the detail; "
          "lsd is Lucid Sonic Dreams' formula (everything above 1 - amount turns white).", "effects",
          choices=("tonemap", "lsd")),
    # Tempo-locked (when a tempo source is present: MIDI clock, tap, or the analyzer's beats)
    Param("speed_beats", None, "float", "Beats per anchor image when a tempo is known (replaces speed_fpm); null off.",
          "tempo", "beats", 0.25, 256.0, nullable=True, curve="log"),
    Param("class_shuffle_bars", None, "int", "Shuffle the pitch-to-class mapping on every Nth bar line when a tempo "
          "is known (replaces class_shuffle_seconds); null off.", "tempo", "bars", 1, 64, nullable=True),
    Param("strobe_on_beat", False, "bool", "A flash on every beat division (strobe_division), at flash_strength.",
          "tempo"),
    Param("strobe_division", "1", "choice", "The grid of the strobe and of flash_on_beat: every beat, half or quarter "
          "beat.", "tempo", "beats", choices=("1", "1/2", "1/4")),
    Param("flash_on_beat", False, "bool", "Hold the audio's flashes back to the next line of the beat grid.", "tempo"),
    # Live sets
    Param("preset_fade_s", 2.0, "float", "Crossfade time when the preset changes during a live set; 0 cuts.",
          "live", "s", 0.0, 60.0),
)
# fmt: on

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


def defaults() -> dict[str, Any]:
    """Every parameter at its default."""
    return {p.name: (list(p.default) if isinstance(p.default, list) else p.default) for p in PARAMS}


def validate_values(values: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """Check names and values; return the converted values. source prefixes errors (a preset path)."""
    out = {}
    prefix = f"{source}: " if source else ""
    for key, value in values.items():
        param = BY_NAME.get(key)
        if param is None:
            close = difflib.get_close_matches(str(key)[:64], BY_NAME, n=3) if isinstance(key, str) else []
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise LivedreamError(
                f"{prefix}unknown parameter {brief(key)}; {hint}the {len(BY_NAME)} parameters are listed by "
                "`livedream export --help`"
            )
        try:
            out[key] = param.validate(value)
        except LivedreamError as exc:
            raise LivedreamError(prefix + str(exc)) from None
    return out


def resolve(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overridden by each layer in turn (preset, then flags); layers must be validated."""
    values = defaults()
    for layer in layers:
        values.update(layer)
    return values


def names(group: str | None = None) -> Iterable[str]:
    return [p.name for p in PARAMS if group is None or p.group == group]
