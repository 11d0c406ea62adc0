"""What the tests and the benchmarks share: synthetic audio, MP4 read-back, the live harness, model-file writers."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: where `python -m livedream` finds this livedream
