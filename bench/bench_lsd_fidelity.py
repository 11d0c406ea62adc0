"""Trajectory figures of the controller against Lucid Sonic Dreams' behaviour, on clips of the shared eval kit.

For each clip: the controller runs at LSD's defaults (z 512, 1000 classes, 43 fps, flash 0.5) on the
analyser's features and records z, z without the pulse (the same seed with pulse_react 0: the pulse never
feeds back into the motion), c and the amplitudes. Figures:

- motion: mean speed of z without the pulse (per dimension, per second) and its correlation with the
  harmonic power (the analyser's raw harmonic energy, squared);
- motion_percussive (with motion_harmonic off): the same speed and its correlations with the
  percussive and the harmonic power;
- range: std and max of z, share of values beyond +-2 and +-2.5;
- pulse: median and max of the pulse size per dimension at hits (frames within 50 ms of a drum onset),
  and the median frame of its peak relative to the onset's own frame (0 = on the frame);
- rest: share of frames where the flash (strength 0.5) changes no pixel by a grey level, over all
  frames and over frames 100 ms or more from any onset;
- class: mean max and sum of the class vector, argmax changes, the lag (s) that best aligns the
  12 pitch weights with the clip's true chroma, and how often its argmax is the loudest true pitch.

    python -m bench.bench_lsd_fidelity --clips /tmp/ctl-clips [--normalize adaptive] [--lsd-ref DIR]

Clips: `python /work/shared/eval/make_clips.py --out /tmp/ctl-clips` (the default set). --lsd-ref reads
<clip id>.npz files with LSD's own trajectories at its frame rate (noise [n, 512], nopulse [n, 512]: the
noise without its pulse term, cls [n, 12]: the class vector at the 12 chosen classes, sp_flash [n]: its
flash amplitude, fps), from a scratch run of LSD's formulas outside this repository, and computes the same
figures for them. Results: bench/results/lsd_fidelity.json (global), lsd_fidelity_adaptive.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.machine import cpu_name
from livedream.audio.timeline import FeatureTimeline
from livedream.control.amplitudes import by_role
from livedream.control.controller import Controller
from livedream.params import resolve

CLIPS = ("openmsx_city_blues_mix", "bach_bwv1.6_organ", "openmsx_careless_perc_drums")
Z_DIM, C_DIM = 512, 1000


def run_clip(wav: Path, fps: float, normalize: str, params: dict) -> dict[str, np.ndarray]:
    """The controller's trajectory on one clip, with and without the pulse."""
    out: dict[str, list] = {k: [] for k in ("z", "nopulse", "perc_motion", "c", "flash", "harm", "perc")}
    tl = FeatureTimeline(wav, normalize=normalize)
    ctl = Controller(Z_DIM, C_DIM, resolve(params), seed=0)
    ctl0 = Controller(Z_DIM, C_DIM, resolve({**params, "pulse_react": 0.0}), seed=0)
    drums = {"pulse_react": 0.0, "motion_percussive": True, "motion_harmonic": False}
    ctl_p = Controller(Z_DIM, C_DIM, resolve({**params, **drums}), seed=0)
    classes = ctl._classes._random_classes if not params.get("classes") else params["classes"]
    duration = float(json.loads(wav.with_suffix(".json").read_text())["duration"])
    for k in range(int(duration * fps)):
        t = k / fps
        f = tl.at(t + 0.5 / fps)
        frame = ctl.step(t, by_role(f))
        out["z"].append(frame.z)
        out["nopulse"].append(ctl0.step(t, by_role(f)).z)
        out["perc_motion"].append(ctl_p.step(t, by_role(f)).z)
        out["c"].append(frame.c[classes])
        out["flash"].append(frame.amplitudes["flash"])
        out["harm"].append(f.harmonic**2)
        out["perc"].append(f.percussive**2)
    return {k: np.asarray(v) for k, v in out.items()}


def figures(z, nopulse, cls, flash, fps, truth, harm=None) -> dict[str, float]:
    """The figures above from one trajectory: z [n, d], nopulse [n, d], cls [n, 12], flash [n]."""
    n = len(z)
    speed = np.linalg.norm(np.diff(nopulse, axis=0), axis=1) / np.sqrt(z.shape[1]) * fps  # [n-1] per dim per s
    res: dict[str, float] = {"frames": n, "speed_per_dim_s": float(speed.mean())}
    if harm is not None:
        res["r_speed_harmonic"] = float(np.corrcoef(speed, harm[1:n])[0, 1])
    res.update(
        z_std=float(z.std()),
        z_max=float(np.abs(z).max()),
        z_beyond_2_pct=float(np.mean(np.abs(z) > 2) * 100),
        z_beyond_2_5_pct=float(np.mean(np.abs(z) > 2.5) * 100),
    )
    pulse = np.median(np.abs(z - nopulse), axis=1)  # [n] per-dimension pulse size
    times = np.arange(n) / fps
    drums = np.asarray(truth.get("onsets_drums") or truth["onsets"])
    onsets = np.asarray(truth["onsets"])
    hit_frames = [int(round(o * fps)) for o in drums if o * fps < n - 4]
    if hit_frames:
        near = np.zeros(n, bool)
        for h in hit_frames:
            near[max(0, h - 1) : h + 3] = True
        res["pulse_at_hits_median"] = float(np.median(pulse[near]))
        res["pulse_max"] = float(pulse.max())
        lags = [int(np.argmax(pulse[h : h + 4])) for h in hit_frames if pulse[h : h + 4].max() > 0]
        res["pulse_peak_frame_after_onset_median"] = float(np.median(lags)) if lags else float("nan")
    far = np.ones(n, bool)
    for o in onsets:
        far &= np.abs(times - o) >= 0.1
    rest = flash * 0.5 * 255 < 1  # the flash at strength 0.5 changes no pixel by a grey level
    res["flash_rest_pct"] = float(np.mean(rest) * 100)
    res["flash_rest_between_hits_pct"] = float(np.mean(rest[far]) * 100) if far.any() else float("nan")
    res["flash_mean"] = float(flash.mean())
    res["class_max_mean"] = float(cls.max(axis=1).mean())
    res["class_sum_mean"] = float(cls.sum(axis=1).mean())
    res["class_argmax_changes"] = int(np.sum(np.diff(cls.argmax(axis=1)) != 0))
    chroma = np.asarray(truth["chroma"], float)  # [T, 12] at chroma_fps
    tc = np.arange(len(chroma)) / truth["chroma_fps"]
    truth_at = chroma[np.clip(np.searchsorted(tc, times), 0, len(chroma) - 1)]  # [n, 12]
    pitched = truth_at.sum(axis=1) > 0
    if pitched.sum() > fps:
        best, best_r = 0.0, -2.0
        for lag_frames in range(0, int(1.5 * fps)):
            a = cls[lag_frames:][pitched[: n - lag_frames]]
            b = truth_at[: n - lag_frames][pitched[: n - lag_frames]]
            a = a - a.mean(axis=1, keepdims=True)
            b = b - b.mean(axis=1, keepdims=True)
            r = float(np.mean(np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-9)))
            if r > best_r:
                best, best_r = lag_frames / fps, r
        res["class_lag_s"] = best
        res["class_chroma_r_at_lag"] = best_r
        res["class_argmax_is_top_pitch_pct"] = float(
            np.mean(cls[pitched].argmax(1) == truth_at[pitched].argmax(1)) * 100
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=Path, default=Path("/tmp/ctl-clips"))
    ap.add_argument("--ids", nargs="*", default=list(CLIPS))
    ap.add_argument("--fps", type=float, default=43.0)
    ap.add_argument("--normalize", choices=("global", "adaptive"), default="global")
    ap.add_argument("--lsd-ref", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "lsd_fidelity.json")
    args = ap.parse_args()
    params = {"flash_strength": 0.5}
    results: dict = {
        "machine": cpu_name(),
        "note": "trajectory figures do not depend on the machine; 'lsd' entries: LSD's formulas (librosa 0.11)",
        "normalize": args.normalize,
        "fps": args.fps,
        "clips": {},
    }
    for cid in args.ids:
        wav = args.clips / f"{cid}.wav"
        truth = json.loads(wav.with_suffix(".json").read_text())
        t0 = time.perf_counter()
        tr = run_clip(wav, args.fps, args.normalize, params)
        entry = {"livedream": figures(tr["z"], tr["nopulse"], tr["c"], tr["flash"], args.fps, truth, tr["harm"])}
        speed = np.linalg.norm(np.diff(tr["perc_motion"], axis=0), axis=1) / np.sqrt(Z_DIM) * args.fps
        entry["livedream"].update(
            motion_percussive_speed_per_dim_s=float(speed.mean()),
            motion_percussive_r_percussive=float(np.corrcoef(speed, tr["perc"][1:])[0, 1]),
            motion_percussive_r_harmonic=float(np.corrcoef(speed, tr["harm"][1:])[0, 1]),
        )
        if args.lsd_ref and (args.lsd_ref / f"{cid}.npz").exists():
            d = np.load(args.lsd_ref / f"{cid}.npz")
            fps = float(d["fps"])
            n = len(d["noise"])
            harm = np.interp(np.arange(n) / fps, np.arange(len(tr["harm"])) / args.fps, tr["harm"])
            entry["lsd"] = figures(d["noise"], d["nopulse"], d["cls"], d["sp_flash"], fps, truth, harm)
        results["clips"][cid] = entry
        print(f"{cid} ({time.perf_counter() - t0:.1f} s)")
        for who, figs in entry.items():
            print(f"  {who:9s} " + " ".join(f"{k}={v:.3g}" for k, v in figs.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
