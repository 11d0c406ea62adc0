"""The machine a benchmark ran on, for its results file: the CPU's model name, and a file-name-safe form of it."""

from __future__ import annotations

import platform
import re
from pathlib import Path


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo where there is one (e.g. "AMD EPYC"), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_slug() -> str:
    """cpu_name() lower-cased with every run of other characters as one dash: "amd-epyc"."""
    return re.sub(r"[^a-z0-9]+", "-", cpu_name().lower()).strip("-") or "cpu"
