"""YAML presets: named looks stored as parameter values, validated against the parameter table."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from livedream.errors import LivedreamError, brief
from livedream.params import BY_NAME, validate_values
from livedream.util.resources import data_dir

log = logging.getLogger(__name__)

# Keys a preset may hold besides parameters.
META_KEYS = ("description",)
# A preset is a couple of dozen keys: anything far bigger is a mistake (or an attack) and is refused unread.
MAX_BYTES = 64 * 1024
MAX_DEPTH = 8  # nested lists / mappings
MAX_VALUES = 4096  # scalars and collections, with YAML aliases expanded ("billion laughs")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same rules, faster


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path
    description: str
    values: dict[str, Any]  # validated parameter values, only those the preset sets


def shipped() -> list[Path]:
    """The presets that come with livedream, sorted by name."""
    return sorted(data_dir("presets").glob("*.yaml"))


def find(name_or_path: str) -> Path:
    """A preset file from a shipped name ("rave") or a path ("my.yaml")."""
    path = Path(name_or_path).expanduser()
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        if not path.is_file():
            raise LivedreamError(f"preset file not found: {path}")
        return path
    candidate = data_dir("presets") / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(p.stem for p in shipped())
    raise LivedreamError(f"unknown preset {name_or_path!r}; shipped presets: {names} (or give a path to a .yaml file)")


def load(name_or_path: str) -> Preset:
    """Read and validate a preset; every problem is one line naming the file, the key, the value and what is allowed.

    Bounded before anything is built: the file's size, its nesting depth and its size with aliases expanded.
    """
    path = find(name_or_path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise LivedreamError(f"{path}: a preset is at most {MAX_BYTES // 1024} KiB; this file is larger")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LivedreamError(f"{path}: cannot read preset: {exc}") from None
    try:
        _check_shape(text, path)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise LivedreamError(f"{path}: not valid YAML{where}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise LivedreamError(f"{path}: not a usable preset ({str(exc)[:100]})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LivedreamError(f"{path}: a preset must be a mapping of parameter: value")
    description = data.pop("description", "")
    if not isinstance(description, str):
        raise LivedreamError(f"{path}: description must be text")
    values = validate_values(data, source=str(path))
    return Preset(name=path.stem, path=path, description=description.strip(), values=values)


def _check_shape(text: str, path: Path) -> None:
    """Walk the YAML events (no objects are built): refuse deep nesting and alias expansions past the bounds."""
    sizes: list[int] = [0]  # values counted so far in each open collection (the document at the bottom)
    anchors: dict[str, int] = {}  # anchor -> the number of values it expands to
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(open_anchors) >= MAX_DEPTH:
                raise LivedreamError(f"{path}: values nested deeper than {MAX_DEPTH} levels; a preset is flat")
            sizes.append(1)
            open_anchors.append(event.anchor)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            size, anchor = sizes.pop(), open_anchors.pop()
            if anchor is not None:
                anchors[anchor] = size
            sizes[-1] += size
        elif isinstance(event, yaml.ScalarEvent):
            sizes[-1] += 1
            if event.anchor is not None:
                anchors[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            sizes[-1] += anchors.get(event.anchor, 1)
        if sizes[-1] > MAX_VALUES or sum(sizes) > MAX_VALUES:
            raise LivedreamError(f"{path}: more than {MAX_VALUES} values (aliases expanded); a preset is small")


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class PresetLibrary:
    """Presets by name during a live set: each file is watched, reloaded when it changes, and a broken edit is
    reported once while the last good version stays in force.

    Names sent over OSC are plain names (no paths, so a tablet on the network cannot make livedream read
    arbitrary files): looked up in user_dir (the startup preset's folder) first, then among the shipped ones.
    """

    def __init__(self, user_dir: Path | None = None):
        self.user_dir = user_dir
        self._good: dict[Path, Preset] = {}  # the last good version of each preset used
        self._seen: dict[Path, tuple[int, int] | None] = {}  # the file signature last looked at
        self._lock = threading.Lock()  # poll() runs on a watcher thread, get() on the main thread
        self._known_cache: tuple[float, list[str]] = (-1e9, [])

    def add(self, name_or_path: str) -> Preset:
        """The startup preset (a shipped name or a path); its folder becomes user_dir when it is a file."""
        path = find(name_or_path).resolve()
        if self.user_dir is None and path.parent != data_dir("presets").resolve():
            self.user_dir = path.parent
        return self._get(path)

    def get(self, name: str) -> Preset:
        """A preset by plain name (raises LivedreamError: unknown name, or broken and never good)."""
        return self._get(self.locate(name))

    def locate(self, name: str) -> Path:
        """The file a plain preset name stands for (raises LivedreamError). Reads no file and keeps no state,
        so the OSC thread may check a name where it arrives."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name) or ".." in name:
            raise LivedreamError(f"preset name {brief(name)}: expected a plain name such as rave (no paths)")
        stem = name[: -len(Path(name).suffix)] if Path(name).suffix in (".yaml", ".yml") else name
        for folder in (self.user_dir, data_dir("presets")):
            for suffix in (".yaml", ".yml"):
                if folder is not None and (folder / f"{stem}{suffix}").is_file():
                    return (folder / f"{stem}{suffix}").resolve()
        raise LivedreamError(f"unknown preset {name!r}; known: {', '.join(self._known())}")

    def _known(self) -> list[str]:
        """The names on offer, listed at most once a second (a flood of unknown names must not glob per message)."""
        at, names = self._known_cache
        if time.monotonic() - at > 1.0:
            names = sorted({p.stem for p in shipped()} | {p.stem for p in self._user_files()})
            self._known_cache = (time.monotonic(), names)
        return names

    def names(self) -> list[str]:
        """The plain names get() takes: the startup preset's folder's presets and the shipped ones."""
        return sorted({p.stem for p in shipped()} | {p.stem for p in self._user_files()})

    def poll(self) -> list[Preset]:
        """Presets used so far whose file changed and reloaded well; a broken edit is logged once."""
        changed = []
        with self._lock:
            paths = list(self._good)
        for path in paths:
            sig = _signature(path)
            with self._lock:
                if sig == self._seen.get(path):
                    continue
                self._seen[path] = sig
            if sig is None:
                log.error("preset %s: the file is gone; keeping the last good version", path)
                continue
            try:
                preset = load(str(path))  # outside the lock: a slow read never holds up get()
            except LivedreamError as exc:
                log.error("preset reload failed, keeping the last good version: %s", exc)
                continue
            with self._lock:
                if preset == self._good.get(path):
                    continue
                self._good[path] = preset
            log.info("preset %s reloaded", path)
            changed.append(preset)
        return changed

    def _get(self, path: Path) -> Preset:
        sig = _signature(path)
        with self._lock:
            if path in self._good and sig == self._seen.get(path):
                return self._good[path]
        try:
            preset = load(str(path))
        except LivedreamError:
            with self._lock:
                if path in self._good:  # broken now: poll() reports it; the last good version serves
                    return self._good[path]
            raise
        with self._lock:
            self._good[path], self._seen[path] = preset, sig
        return preset

    def _user_files(self) -> list[Path]:
        if self.user_dir is None:
            return []
        return sorted([*self.user_dir.glob("*.yaml"), *self.user_dir.glob("*.yml")])


class Crossfade:
    """A preset switch spread over time: numbers glide linearly from the values in force to the preset's;
    switches, lists and changes to or from null happen at the midpoint (so a fade never passes through an
    in-between value a parameter does not have).
    """

    def __init__(self, start: Mapping[str, Any], target: Mapping[str, Any], duration_s: float, now: float):
        self.start = dict(start)
        self.target = {k: v for k, v in target.items() if start.get(k) != v}
        self.duration_s = max(0.0, float(duration_s))
        self.began = now

    def progress(self, now: float) -> float:
        if self.duration_s <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.began) / self.duration_s))

    def done(self, now: float) -> bool:
        return not self.target or self.progress(now) >= 1.0

    def drop(self, names: Iterable[str]) -> None:
        """These parameters were set by hand during the fade: the fade lets go of them."""
        for name in names:
            self.target.pop(name, None)

    def values(self, now: float) -> dict[str, Any]:
        """The fading parameters' values at now."""
        u = self.progress(now)
        out = {}
        for name, end in self.target.items():
            begin = self.start.get(name)
            kind = BY_NAME[name].kind
            if u >= 1.0:
                out[name] = end
            elif kind in ("float", "int") and begin is not None and end is not None:
                value = begin + u * (end - begin)
                out[name] = round(value) if kind == "int" else float(value)
            else:
                out[name] = end if u >= 0.5 else begin
        return out
