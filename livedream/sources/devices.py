"""Sound-card inputs: list them, and pick one by index or by a piece of its name."""

from __future__ import annotations

from dataclasses import dataclass

from livedream.errors import LivedreamError


@dataclass(frozen=True)
class InputDevice:
    """One PortAudio device that can record."""

    index: int
    name: str
    host_api: str
    channels: int  # maximum input channels
    sample_rate: float  # the device's default rate
    latency_s: float  # PortAudio's default low input latency
    is_default: bool


def input_devices() -> list[InputDevice]:
    """Every device with at least one input channel, in PortAudio's order."""
    import sounddevice as sd

    apis = sd.query_hostapis()
    try:
        default_in = sd.default.device[0]
    except (TypeError, IndexError):
        default_in = -1
    if default_in is None or default_in < 0:
        default_in = next((a["default_input_device"] for a in apis if a["default_input_device"] >= 0), -1)
    found = []
    for info in sd.query_devices():
        if info["max_input_channels"] < 1:
            continue
        found.append(
            InputDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                host_api=str(apis[info["hostapi"]]["name"]),
                channels=int(info["max_input_channels"]),
                sample_rate=float(info["default_samplerate"]),
                latency_s=float(info["default_low_input_latency"]),
                is_default=int(info["index"]) == default_in,
            )
        )
    return found


def find_input(spec: str | int | None) -> InputDevice:
    """The input named by spec: None for the default, a number for an index, else a unique case-blind name part."""
    devices = input_devices()
    if not devices:
        raise LivedreamError("no audio input device found (is a sound server running? see `livedream devices`)")
    if spec is None or spec == "":
        return next((d for d in devices if d.is_default), devices[0])
    text = str(spec).strip()
    if text.isdigit():
        for d in devices:
            if d.index == int(text):
                return d
        raise LivedreamError(f"no input device with index {text}; see `livedream devices`")
    matches = [d for d in devices if text.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == text.lower()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise LivedreamError(f"no input device matches {text!r}; see `livedream devices`")
    names = ", ".join(f"{d.index}: {d.name}" for d in matches)
    raise LivedreamError(f"{text!r} matches several input devices ({names}); give the index")


def describe(devices: list[InputDevice]) -> list[str]:
    """One line per device, for `livedream devices`."""
    return [
        f"{'*' if d.is_default else ' '} {d.index:>3}  {d.name}  ({d.host_api}, {d.channels} in, {d.sample_rate:g} Hz)"
        for d in devices
    ]
