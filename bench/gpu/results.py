"""The benchmark's results file: header, entries, skips and checks; written after every entry, merged, printed."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any

import torch

from bench.machine import cpu_name

ENTRY_KEYS = (
    "what",
    "model_resolution",
    "render_resolution",
    "dtype",
    "batch",
    "variant",
    "fps",
    "p50_ms",
    "p99_ms",
)
WHATS = ("generator", "export", "live")


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU {cpu_name()}"


def slug(name: str) -> str:
    """'NVIDIA H200' -> 'nvidia-h200': the results file's name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "device"


class Results:
    """One section's (or a whole run's) results, rewritten to `path` after each change so that a kill loses nothing."""

    def __init__(self, path: Path | None, device: torch.device, quick: bool) -> None:
        self.path = path
        name = device_name(device)
        self.data: dict[str, Any] = {
            "device": name,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "torch": torch.__version__,
            "cuda": torch.version.cuda if device.type == "cuda" else None,
            "fp16_vs_fp32_max_abs": None,
            "entries": [],
            "quick": quick,
            "device_slug": slug(name) + ("-quick" if quick else ""),
            "host": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
            "tf32_conv": bool(torch.backends.cudnn.allow_tf32) if device.type == "cuda" else None,
            "cudnn": torch.backends.cudnn.version() if device.type == "cuda" else None,
            "checks": {},
            "skipped": [],
        }
        self.save()

    def add(self, entry: dict[str, Any]) -> None:
        missing = [k for k in ENTRY_KEYS if k not in entry]
        if missing:
            raise ValueError(f"entry lacks {missing}")
        self.data["entries"].append(entry)
        self.save()

    def skip(self, what: str, variant: str, why: str, **where: Any) -> None:
        self.data["skipped"].append({"what": what, "variant": variant, "why": why, **where})
        self.save()

    def check(self, name: str, value: Any) -> None:
        self.data["checks"][name] = value
        self.save()

    def save(self) -> None:
        if self.path is not None:
            write_json(self.path, self.data)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all: a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One results dict from section parts: the first header; entries, skips and checks of all, in order."""
    if not parts:
        raise ValueError("nothing to merge")
    out = {k: v for k, v in parts[0].items() if k not in ("entries", "skipped", "checks")}
    out.update({"entries": [], "skipped": [], "checks": {}})
    for part in parts:
        out["entries"] += part.get("entries", [])
        out["skipped"] += part.get("skipped", [])
        out["checks"].update(part.get("checks", {}))
        if part.get("fp16_vs_fp32_max_abs") is not None:
            out["fp16_vs_fp32_max_abs"] = part["fp16_vs_fp32_max_abs"]
    return out


def table(data: dict[str, Any]) -> str:
    """The summary: one line per entry, then the checks and what was skipped."""
    lines = [
        f"{data['device']}  torch {data['torch']}  cuda {data['cuda']}  {data['date']}"
        + ("  (QUICK: tiny sizes, not figures)" if data.get("quick") else ""),
        f"{'what':<9} {'model':>5} {'render':>6} {'dtype':<5} {'batch':>5} {'variant':<26} {'fps':>8} {'p50 ms':>9} {'p99 ms':>9}",
    ]
    for e in data["entries"]:
        lines.append(
            f"{e['what']:<9} {e['model_resolution']:>5} {e['render_resolution']:>6} {e['dtype']:<5} {e['batch']:>5} "
            f"{e['variant']:<26} {e['fps']:>8.1f} {e['p50_ms']:>9.2f} {e['p99_ms']:>9.2f}"
        )
    lines.append(f"fp16 vs fp32 max abs (0..255 levels): {data.get('fp16_vs_fp32_max_abs')}")
    for name, value in data.get("checks", {}).items():
        lines.append(f"check {name}: {json.dumps(value)}")
    for s in data.get("skipped", []):
        lines.append(f"skipped {s['what']} {s['variant']}: {s['why']}")
    return "\n".join(lines)
