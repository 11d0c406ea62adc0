"""The list of public StyleGAN2 models shipped with livedream, and their download-once cache."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

import yaml

from livedream.errors import LivedreamError
from livedream.util.atomic import atomic_output

log = logging.getLogger(__name__)

EXTRA_STYLES_ENV = "LIVEDREAM_STYLES"  # path of a YAML list merged over the shipped one (own catalogue, tests)
CACHE_ENV = "LIVEDREAM_CACHE_DIR"
_FIELDS = {"name", "url", "resolution", "classes", "source", "licence", "sha256", "filename"}


@dataclass(frozen=True)
class Style:
    """One catalogue entry; classes None means unknown until the file is loaded."""

    name: str
    url: str
    resolution: int | None
    classes: int | None
    source: str
    licence: str
    sha256: str | None = None
    filename: str | None = None

    @property
    def file_name(self) -> str:
        return self.filename or f"{self.name}-{os.path.basename(urlparse(self.url).path) or 'model.pkl'}"


def _parse(text: str, where: str) -> list[Style]:
    data = yaml.safe_load(text) or []
    if not isinstance(data, list):
        raise LivedreamError(f"{where}: expected a YAML list of styles")
    out = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not {"name", "url"} <= entry.keys():
            raise LivedreamError(f"{where}: entry {i + 1} needs at least a name and a url")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise LivedreamError(
                f"{where}: entry {entry['name']!r} has unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(_FIELDS))})"
            )
        sha = entry.get("sha256")
        if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
            raise LivedreamError(f"{where}: entry {entry['name']!r}: sha256 must be 64 hex digits, quoted")
        out.append(
            Style(
                name=str(entry["name"]), url=str(entry["url"]), resolution=entry.get("resolution"),
                classes=entry.get("classes"), source=str(entry.get("source", "")), licence=str(entry.get("licence", "unknown")),
                sha256=sha.lower() if sha else None, filename=entry.get("filename"),
            )
        )  # fmt: skip
    return out


def styles() -> list[Style]:
    """The shipped list, then entries from $LIVEDREAM_STYLES (same name: the extra entry wins)."""
    shipped = resources.files("livedream.models").joinpath("styles.yaml").read_text(encoding="utf-8")
    by_name = {s.name: s for s in _parse(shipped, "styles.yaml")}
    extra = os.environ.get(EXTRA_STYLES_ENV)
    if extra:
        try:
            text = Path(extra).read_text(encoding="utf-8")
        except OSError as e:
            raise LivedreamError(f"{EXTRA_STYLES_ENV}={extra}: cannot read it ({e.strerror})") from None
        by_name.update({s.name: s for s in _parse(text, extra)})
    return list(by_name.values())


def find(name: str) -> Style | None:
    return next((s for s in styles() if s.name == name), None)


def cache_dir() -> Path:
    """$LIVEDREAM_CACHE_DIR, else $XDG_CACHE_HOME/livedream/styles, else ~/.cache/livedream/styles."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None
    ) or Path.home() / ".cache"  # fmt: skip
    return Path(base) / "livedream" / "styles"


def cached_path(style: Style) -> Path:
    return cache_dir() / style.file_name


class _Bar:
    """Bytes downloaded, on one redrawn line of the stream (stderr when it is a terminal)."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None) -> None:
        self.label, self.total, self.stream, self._last = label, total, stream, 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (now - self._last < 0.2 and not final):
            return
        self._last = now
        mb = done / 1e6
        if self.total:
            filled = int(30 * done / self.total)
            text = (
                f"\rdownloading {self.label} [{'#' * filled}{'-' * (30 - filled)}] {mb:.1f}/{self.total / 1e6:.1f} MB"
            )
        else:
            text = f"\rdownloading {self.label} {mb:.1f} MB"
        self.stream.write(text + ("\n" if final else ""))
        self.stream.flush()


def fetch(name: str, progress: TextIO | None | bool = None, timeout: float = 60.0) -> Path:
    """The cached file of style `name`, downloading it first if needed.

    The download goes to a .part file that becomes the cached file only when complete and, where a
    sha256 is known, verified; on any failure nothing is left behind. Offline, the error says which
    URL to fetch and where to put the file.
    """
    style = find(name)
    if style is None:
        raise LivedreamError(f"no style named {name!r} (see `livedream styles`)")
    dest = cached_path(style)
    if dest.is_file():
        return dest
    stream = sys.stderr if progress is True or (progress is None and sys.stderr.isatty()) else (progress or None)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LivedreamError(f"cannot create the style cache {dest.parent} ({e.strerror})") from None
    log.info("downloading style %s from %s to %s", name, style.url, dest)
    digest = hashlib.sha256()
    done = 0
    try:
        with atomic_output(dest) as part:
            request = urllib.request.Request(style.url, headers={"User-Agent": "livedream"})
            with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as f:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                bar = _Bar(name, total, stream)
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    bar.update(done)
                bar.update(done, final=True)
            if total is not None and done != total:
                raise LivedreamError(f"download of style {name} stopped after {done} of {total} bytes; try again")
            if style.sha256 and digest.hexdigest() != style.sha256:
                raise LivedreamError(
                    f"download of style {name} has the wrong checksum (sha256 {digest.hexdigest()[:12]}..., expected {style.sha256[:12]}...)"
                )
    except (urllib.error.URLError, OSError, ValueError) as e:
        if isinstance(e, urllib.error.HTTPError):
            reason = f"HTTP {e.code} {e.reason}"
        else:
            reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or str(e)
        raise LivedreamError(
            f"could not download style {name} from {style.url} ({reason}); download it yourself and save it as {dest}"
        ) from None
    return dest
