"""MIDI ports: which MIDI system (JACK when a JACK server runs, else ALSA), the port list, what --midi names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from livedream.errors import LivedreamError

CLIENT_NAME = "livedream"
INSTALL_HINT = "MIDI needs python-rtmidi and mido: pip install 'livedream[midi]'"


def rtmidi_module():
    try:
        import rtmidi
    except ImportError:
        raise LivedreamError(INSTALL_HINT) from None
    return rtmidi


def open_api() -> tuple[int, str]:
    """(rtmidi API, its name): JACK when a JACK server runs, else ALSA (else the platform's default)."""
    rtmidi = rtmidi_module()
    compiled = rtmidi.get_compiled_api()
    for api in (rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA):
        if api not in compiled:
            continue
        try:
            probe = rtmidi.MidiIn(api, name=f"{CLIENT_NAME}-probe")
        except rtmidi.SystemError:
            continue
        probe.delete()
        return api, rtmidi.get_api_name(api)
    others = [a for a in compiled if a not in (rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA)]
    if others:  # macOS CoreMIDI, Windows MM
        return others[0], rtmidi.get_api_name(others[0])
    raise LivedreamError("no MIDI system: no JACK server runs and ALSA's sequencer (/dev/snd/seq) cannot be opened")


def port_names(api: int | None = None) -> list[str]:
    """The MIDI ports livedream can listen to now."""
    rtmidi = rtmidi_module()
    api = open_api()[0] if api is None else api
    try:
        probe = rtmidi.MidiIn(api, name=f"{CLIENT_NAME}-list")
    except rtmidi.SystemError as exc:
        raise LivedreamError(f"cannot list MIDI ports: {exc}") from None
    try:
        return [str(n) for n in probe.get_ports()]
    finally:
        probe.delete()


def match_port(spec: str, names: Sequence[str]) -> str | None:
    """The port a --midi argument means: an exact name, an index into the list, a client's name (the part before
    ':' in JACK, the whole ALSA client), or the one name containing it; None when none or several do."""
    if spec in names:
        return spec
    if spec.isdigit() and int(spec) < len(names):
        return names[int(spec)]
    low = spec.lower()
    for rule in (
        lambda n: n.lower().split(":")[0] == low,
        lambda n: n.lower().startswith(low),
        lambda n: low in n.lower(),
    ):
        hits = [n for n in names if rule(n)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            return None  # ambiguous
    return None


def same_port(was: str | None, names: Sequence[str]) -> str | None:
    """The port that came back: the same name, or the same but for ALSA's client:port numbers (a replugged
    USB controller gets new ones); never merely a name that also contains the --midi argument."""
    if was is None:
        return None
    if was in names:
        return was
    stem = re.sub(r"\s+\d+:\d+$", "", was)
    hits = [n for n in names if re.sub(r"\s+\d+:\d+$", "", n) == stem]
    return hits[0] if len(hits) == 1 else None
