"""The analysis as a picture: waveform and onsets, chroma, and the curves the controller makes from them."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from livedream.audio.features import CHROMA_NAMES, AudioFeatures
from livedream.control.amplitudes import by_role, effect_amounts
from livedream.control.controller import Controller
from livedream.errors import LivedreamError
from livedream.sources.file import read_audio

PLOT_FPS = 30  # controller steps per second in the plot, as in an export at 30 fps
PLOT_RATE = 2000  # samples per second kept for drawing the waveform


def controller_curves(
    features: Sequence[AudioFeatures], params: Mapping[str, Any], seed: int, duration: float
) -> dict[str, np.ndarray]:
    """Step a controller over the features at PLOT_FPS: times, pulse, motion, flash, contrast and the class mix."""
    controller = Controller(z_dim=8, c_dim=12, params=params, seed=seed)
    times = np.arange(0.0, max(duration, 1.0 / PLOT_FPS), 1.0 / PLOT_FPS)
    hop_times = [f.time for f in features]
    rows: dict[str, list] = {"pulse": [], "motion": [], "flash": [], "contrast": [], "classes": []}
    for t in times:
        i = bisect.bisect_right(hop_times, t) - 1
        feats = features[i] if i >= 0 else AudioFeatures.silent(t)
        frame = controller.step(float(t), by_role(feats))
        amounts = effect_amounts(frame.amplitudes, params)
        rows["pulse"].append(frame.amplitudes["pulse"] * params["pulse_react"])
        rows["motion"].append(frame.amplitudes["motion"] * params["motion_react"])
        rows["flash"].append(amounts["flash"])
        rows["contrast"].append(amounts["contrast"])
        rows["classes"].append(frame.c)
    return {"times": times, **{k: np.asarray(v) for k, v in rows.items()}}


def _colour_bar(fig, ax, image, label: str) -> None:
    """A thin colour bar just right of ax, inside the figure's margin: the panels keep one width and one time axis."""
    fig.colorbar(image, cax=ax.inset_axes((1.005, 0.0, 0.008, 1.0)), label=label)


def plot_analysis(
    song: Path,
    start: float,
    report: Mapping[str, Any],
    features: Sequence[AudioFeatures],
    params: Mapping[str, Any],
    seed: int,
    out: Path,
) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LivedreamError("--plot needs matplotlib: pip install 'livedream[plot]'") from None

    duration = report["duration_s"]
    samples, rate = read_audio(song, start=start, duration=duration, sample_rate=PLOT_RATE, channels=1)
    curves = controller_curves(features, params, seed, duration)
    fig, axes = plt.subplots(
        6, 1, figsize=(14, 14), sharex=True, gridspec_kw={"height_ratios": [1.2, 1.2, 0.8, 1, 1.2, 1]}
    )
    ax = axes[0]
    ax.plot(np.arange(len(samples)) / rate, samples[:, 0], color="0.35", lw=0.4)
    for t in report["onsets"]:
        ax.axvline(t, color="tab:red", lw=0.6, alpha=0.7)
    for t in report["beats"]:
        ax.axvline(t, color="tab:blue", lw=0.8, ls=":", alpha=0.8)
    for t in report["downbeats"]:
        ax.axvline(t, color="tab:blue", lw=2.0, alpha=0.6)
    bpms = [b for b in report["tempo_bpm"]["values"] if b > 0]
    tempo = float(np.median(bpms[len(bpms) // 2 :])) if bpms else 0.0
    ax.set_title(
        f"{song.name}: waveform, onsets (red, delay {report['onset_delay_s'] * 1000:.0f} ms corrected), "
        f"beats (dotted) and downbeats (thick blue, {tempo:.1f} bpm)"
    )
    ax.set_ylim(-1, 1)
    ax.set_ylabel("amplitude")
    chroma = np.asarray(report["chroma"]["values"]).T  # [12, hops]
    times = report["chroma"]["times"]
    extent = (times[0] if times else 0, times[-1] if times else duration, -0.5, 11.5)
    shown = axes[1].imshow(chroma, aspect="auto", origin="lower", extent=extent, cmap="magma", interpolation="nearest")
    _colour_bar(fig, axes[1], shown, "energy")
    axes[1].set_yticks(range(12), CHROMA_NAMES)
    axes[1].set_ylabel("pitch class")
    axes[1].set_title("chroma")
    bass = np.asarray(report["bass_chroma"]["values"]).T  # [12, hops]
    low = axes[2].imshow(bass, aspect="auto", origin="lower", extent=extent, cmap="magma", interpolation="nearest")
    _colour_bar(fig, axes[2], low, "energy")
    axes[2].set_yticks(range(0, 12, 2), CHROMA_NAMES[::2])
    axes[2].set_ylabel("bass pitch class")
    axes[2].set_title("bass chroma (30-220 Hz)")
    ax = axes[3]
    ft = [f.time for f in features]
    for i, (band, color) in enumerate((("kick", "tab:red"), ("snare", "tab:green"), ("hats", "tab:cyan"))):
        ax.plot(ft, [getattr(f, f"{band}_env") + 1.1 * i for f in features], color=color, lw=0.8, label=band)
        hits = report["drums"][band]
        ax.plot(hits, [1.1 * i + 1.0] * len(hits), "v", color=color, ms=3)
    ax.plot(ft, [3.3 + 0.9 * f.bar_phase for f in features], color="0.4", lw=0.6, label="bar phase")
    ax.set_yticks([])
    ax.set_ylabel("envelope (stacked)")
    ax.legend(loc="upper right", ncol=4)
    ax.set_title("drum bands: envelopes and onsets (kick, snare, hats), bar phase (top)")
    ax = axes[4]
    for name, color in (
        ("pulse", "tab:orange"),
        ("motion", "tab:green"),
        ("flash", "gold"),
        ("contrast", "tab:purple"),
    ):
        ax.plot(curves["times"], curves[name], color=color, lw=1, label=name)
    ax.legend(loc="upper right", ncol=4)
    ax.set_ylabel("amount")
    ax.set_title("controller: pulse and motion (amplitude x react), flash and contrast (amplitude x strength)")
    mix = axes[5].imshow(
        curves["classes"].T,
        aspect="auto",
        origin="lower",
        cmap="viridis",
        interpolation="nearest",
        extent=(0, curves["times"][-1], -0.5, 11.5),
    )
    _colour_bar(fig, axes[5], mix, "weight")
    axes[5].set_title("controller: class mix (12 chosen classes)")
    axes[5].set_ylabel("class slot")
    axes[5].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(out, dpi=80, format="png")
    plt.close(fig)
