"""Score analysis detections on eval clips: onsets, chroma, beats (mir_eval F, AMLt), drum bands; per clip and kind.

Runs in the eval venv (mir_eval, pretty_midi, numpy; librosa for --librosa), not the project's:

    python score_analysis.py CLIPS DETECTIONS.json --json OUT [--chroma-shift S] [--librosa]

DETECTIONS.json: {"onsets": {id: [t...]}, "chroma": {id: {"times", "chroma"}}, "beats": {id: [t...]},
"downbeats": {id: [t...]}, "drums": {id: {"kick": [t...], "snare": [...], "hats": [...]}}}.
Per-drum truth comes from the clip's MIDI drum notes (GM keys), taken from the same source and window
as make_clips.py builds it. --librosa adds librosa's offline onset_detect, chroma_cqt and beat_track as references.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import mir_eval
import numpy as np

EVAL_DIR = "/work/shared/eval"
sys.path.insert(0, EVAL_DIR)
import eval_chroma  # noqa: E402
import eval_onsets  # noqa: E402

# GM drum keys per band: kick; snare, side stick, clap, electric snare; closed, pedal, open hi-hat
DRUM_KEYS = {"kick": {35, 36}, "snare": {37, 38, 39, 40}, "hats": {42, 44, 46}}


def drum_truth(clip_json: dict, clips_dir: str) -> dict[str, list[float]] | None:
    """Per-drum onset times (s, clip time) from the MIDI source, or None for a clip without a MIDI file."""
    src = clip_json["source"]
    if src["type"] != "midi" or src.get("only") == "pitched":
        return None
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(src["ref"])
    t0, dur = src["t0"], clip_json["duration"]
    out = {}
    for band, keys in DRUM_KEYS.items():
        ts = sorted(n.start - t0 for i in pm.instruments if i.is_drum for n in i.notes if n.pitch in keys)
        ts = [t for t in ts if 0 <= t < dur]
        merged: list[float] = []
        for t in ts:
            if not merged or t - merged[-1] > 0.03:
                merged.append(t)
        out[band] = merged
    return out


def metrical_levels(ref: np.ndarray) -> list[np.ndarray]:
    """[n] truth beats -> the same beats, at twice their rate (the midpoints added) and at half (either phase)."""
    double = np.sort(np.concatenate([ref, (ref[1:] + ref[:-1]) / 2]))
    return [ref, double, ref[::2], ref[1::2]]


def beat_scores(ref: list[float], est: list[float]) -> dict:
    """mir_eval's F, AMLt and CMLt, and F_level: the F against the truth at whichever of its own, twice or half its
    rate scores best (how much of F's shortfall is the metrical level alone; AMLt also counts that level right)."""
    ref_a, est_a = mir_eval.beat.trim_beats(np.asarray(ref)), mir_eval.beat.trim_beats(np.asarray(est, float))
    if len(ref_a) < 2 or len(est_a) < 2:
        return {"F": 0.0, "F_level": 0.0, "AMLt": 0.0, "CMLt": 0.0, "n_est": len(est_a)}
    f = mir_eval.beat.f_measure(ref_a, est_a)
    f_level = max(float(mir_eval.beat.f_measure(r, est_a)) for r in metrical_levels(ref_a))
    cmlc, cmlt, amlc, amlt = mir_eval.beat.continuity(ref_a, est_a)
    return {"F": float(f), "F_level": f_level, "AMLt": float(amlt), "CMLt": float(cmlt), "n_est": len(est_a)}


def librosa_refs(clips: str, index: dict) -> dict:
    import librosa

    on, ch, be = {}, {}, {}
    for c in index["clips"]:
        y, sr = librosa.load(os.path.join(clips, c["wav"]), sr=22050)
        on[c["id"]] = librosa.onset.onset_detect(y=y, sr=sr, units="time").tolist()
        hop = 220  # 100 fps
        cq = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop)
        ch[c["id"]] = {"fps": 100, "t0": 0.0, "chroma": cq.T.tolist()}
        _, bt = librosa.beat.beat_track(y=y, sr=sr, units="time")
        be[c["id"]] = np.asarray(bt).tolist()
    return {"onsets": on, "chroma": ch, "beats": be}


def group_means(rows: dict, meta: dict, key: str) -> dict:
    groups: dict[str, list] = {}
    for cid, r in rows.items():
        groups.setdefault(meta[cid][key], []).append(r)
    return {
        g: {k: round(float(np.mean([r[k] for r in rs])), 3) for k in rs[0] if k != "n_est"} for g, rs in groups.items()
    }


def score(clips: str, det: dict, chroma_shift: float) -> dict:
    with open(os.path.join(clips, "index.json")) as f:
        index = json.load(f)
    truth = eval_onsets.load_truth(clips)
    meta = {c["id"]: {"kind": c["kind"], "family": c.get("family", c["kind"])} for c in index["clips"]}
    res: dict = {}
    if det.get("onsets"):
        o = eval_onsets.evaluate(clips, det["onsets"])
        res["onsets"] = {"mean": o["mean"], "clips": o["clips"]}
        rows = {cid: {"F": r["F"], "P": r["P"], "R": r["R"]} for cid, r in o["clips"].items()}
        res["onsets"]["by_kind"] = group_means(rows, meta, "kind")
        res["onsets"]["by_family"] = group_means(rows, meta, "family")
    if det.get("chroma"):
        c = eval_chroma.evaluate(clips, det["chroma"], shift=chroma_shift)
        rows = {cid: {"cos": r["cos"]} for cid, r in c["clips"].items()}
        res["chroma"] = {"mean": c["mean"], "clips": rows, "by_family": group_means(rows, meta, "family")}
    if det.get("beats"):
        rows = {cid: beat_scores(truth[cid]["beats"], det["beats"].get(cid, [])) for cid in truth}
        res["beats"] = {
            "mean": {
                k: round(float(np.mean([r[k] for r in rows.values()])), 3) for k in ("F", "F_level", "AMLt", "CMLt")
            },
            "clips": rows,
            "by_family": group_means(rows, meta, "family"),
        }
    if det.get("downbeats"):
        rows = {}
        for cid in truth:
            ref = truth[cid].get("downbeats", [])
            if len(ref) >= 3:
                ref_a = mir_eval.beat.trim_beats(np.asarray(ref))
                est = mir_eval.beat.trim_beats(np.asarray(det["downbeats"].get(cid, []), float))
                rows[cid] = {"F": float(mir_eval.beat.f_measure(ref_a, est)) if len(ref_a) else 0.0}
        res["downbeats"] = {"mean": {"F": round(float(np.mean([r["F"] for r in rows.values()])), 3)}, "clips": rows}
    if det.get("drums"):
        rows = {}
        for cid in truth:
            dt = drum_truth(truth[cid], clips)
            if not dt or cid not in det["drums"]:
                continue
            rows[cid] = {}
            for band, ref in dt.items():
                if len(ref) < 4:
                    continue
                est = np.asarray(det["drums"][cid].get(band, []), float)
                f, p, r = mir_eval.onset.f_measure(np.asarray(ref), np.sort(est[est >= 0]), window=0.05)
                rows[cid][band] = {"F": float(f), "P": float(p), "R": float(r), "n_ref": len(ref), "n_est": len(est)}
        mean = {
            b: round(float(np.mean([r[b]["F"] for r in rows.values() if b in r])), 3)
            for b in DRUM_KEYS
            if any(b in r for r in rows.values())
        }
        res["drums"] = {"mean_F": mean, "clips": rows}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips")
    ap.add_argument("detections")
    ap.add_argument("--json", required=True)
    ap.add_argument("--chroma-shift", type=float, default=0.0)
    ap.add_argument("--librosa", action="store_true", help="also score librosa's offline detectors")
    a = ap.parse_args()
    with open(a.detections) as f:
        det = json.load(f)
    res = {"livedream": score(a.clips, det, a.chroma_shift)}
    if a.librosa:
        with open(os.path.join(a.clips, "index.json")) as f:
            index = json.load(f)
        res["librosa"] = score(a.clips, librosa_refs(a.clips, index), 0.0)
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
