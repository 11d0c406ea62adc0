"""Which truth onsets have no attack in the audio, and the onset F with and without them (eval venv).

An onset has *no attack* when, within 50 ms of its time, none of its new notes' partials (harmonics 1-6, the
loudest bin within half a semitone of each, 1024-point Hann STFT at 22.05 kHz, 2.9 ms hop) rise by 3 dB or more
over the frame that ends at the onset, and the spectrum as a whole (the mean rise in dB of the bins within 60 dB of
the loudest) rises by less than 8 dB; an onset with a drum note always has one. Such a note is heard late or not
at all: a legato repeat that only re-triggers a held pitch, a sampled ensemble or an FM patch whose sound starts
100-200 ms after the note-on. The plain F (all truth onsets) stays the main figure; this one shows what is left
when those are set aside (they and the detections within 50 ms of them are dropped). F_oracle is what a detector
would score that reported every onset with an attack, exactly on time, and nothing else (precision 1, recall the
share with an attack): a detector beats it only by finding attack-less notes from other cues (a pitch change, the
old note's release).

    /tmp/ana-venv/bin/python bench/onset_attacks.py /tmp/wide DETECTIONS.json [--json OUT]

DETECTIONS.json: {"onsets": {clip id: [t, ...]}} as `bench_analysis.py --detections-out` writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")  # music21 / pretty_midi chatter
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, "/work/shared/eval")
sys.path.insert(0, HERE)
import make_clips as mc  # noqa: E402
import mir_eval  # noqa: E402

SR, N_FFT, HOP = 22050, 1024, 64
WINDOW_S = 0.05
NOTE_DB, SPECTRUM_DB = 3.0, 8.0


def clip_notes(clip_id: str) -> list[tuple[float, int, bool]]:
    """(start s in clip time, MIDI pitch, is drum) of every note that starts inside the clip."""
    import make_heldout as mh

    clip = {c["id"]: c for c in [*mc.WIDE, *mh.HELDOUT]}[clip_id]
    with open(os.devnull, "w") as null:  # music21 prints on import
        old, sys.stdout = sys.stdout, null
        try:
            pm = mc.load_source(clip)
        finally:
            sys.stdout = old
    t0 = clip.get("t0", 0.0)
    dur = min(clip["dur"], pm.get_end_time() - t0)
    a = max(0.0, t0 - mc.PREROLL_S)
    pre = t0 - a
    win = mc.trim(pm, a, t0 + dur + mc.TAIL_S)
    return [(n.start - pre, n.pitch, i.is_drum) for i in win.instruments for n in i.notes if pre <= n.start < pre + dur]


def power_stft(wav: str) -> tuple[np.ndarray, np.ndarray]:
    """([frames, bins] power, [frames] centre times s) of the clip at SR."""
    import librosa

    x, _ = librosa.load(wav, sr=SR, mono=True)
    x = np.pad(x, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP] * np.hanning(N_FFT)
    return np.abs(np.fft.rfft(frames, axis=1)) ** 2, np.arange(len(frames)) * HOP / SR


def note_level(power: np.ndarray, pitch: int) -> np.ndarray:
    """[frames] dB of a note's partials: the loudest bin within half a semitone of each harmonic, summed."""
    df = SR / N_FFT
    parts = []
    for h in range(1, 7):
        f = 440.0 * 2 ** ((pitch - 69) / 12) * h
        if f > 5000:
            break
        c, w = int(round(f / df)), max(1, int(round(f * (2 ** (0.5 / 12) - 1) / df)))
        parts.append(power[:, max(1, c - w) : c + w + 1].max(axis=1))
    return 10 * np.log10(np.sum(parts, axis=0) + 1e-12)


def has_attack(power: np.ndarray, times: np.ndarray, notes: list, t0: float) -> bool:
    here = [n for n in notes if abs(n[0] - t0) < mc.ONSET_MERGE_S + 1e-3]
    if any(n[2] for n in here):
        return True
    i0 = int(np.argmin(np.abs(times - (t0 - N_FFT / 2 / SR))))  # the frame that ends at the onset
    win = (times >= t0) & (times <= t0 + WINDOW_S)
    if not win.any():
        return True
    for n in here:
        level = note_level(power, n[1])
        if level[win].max() - level[i0] >= NOTE_DB:
            return True
    before, after = 10 * np.log10(power[i0] + 1e-10), 10 * np.log10(power[win].max(axis=0) + 1e-10)
    active = np.maximum(before, after) > max(before.max(), after.max()) - 60
    return float(np.maximum(after - before, 0)[active].mean()) >= SPECTRUM_DB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips")
    ap.add_argument("detections")
    ap.add_argument("--json", help="write per-clip figures here")
    a = ap.parse_args()
    with open(a.detections) as f:
        det = json.load(f)["onsets"]
    with open(os.path.join(a.clips, "index.json")) as f:
        index = json.load(f)
    rows = {}
    for c in index["clips"]:
        with open(os.path.join(a.clips, c["json"])) as f:
            truth = json.load(f)
        ref = np.asarray(truth["onsets"])
        est = np.sort(np.asarray(det[c["id"]], float))
        est = est[est >= 0]
        power, times = power_stft(os.path.join(a.clips, c["wav"]))
        notes = clip_notes(c["id"])
        keep = np.array([has_attack(power, times, notes, t) for t in ref], bool)
        matched = mir_eval.util.match_events(ref, est, WINDOW_S)
        used = {j for _, j in matched}
        drop = {j for i, j in matched if not keep[i]}
        drop |= {j for j, e in enumerate(est) if j not in used and np.any(np.abs(ref[~keep] - e) <= WINDOW_S)}
        est2 = np.array([e for j, e in enumerate(est) if j not in drop])
        f_all = mir_eval.onset.f_measure(ref, est, window=WINDOW_S)[0]
        f_att = mir_eval.onset.f_measure(ref[keep], est2, window=WINDOW_S)[0] if keep.any() else float("nan")
        share = float(keep.mean())  # the oracle's recall; its precision is 1
        rows[c["id"]] = dict(
            F=f_all,
            F_attack=f_att,
            F_oracle=2 * share / (1 + share) if share else 0.0,
            n_ref=len(ref),
            n_no_attack=int((~keep).sum()),
            family=truth.get("family"),
            kind=truth.get("kind"),
        )
        print(
            f"{c['id']:42s} F {f_all:.3f}  without no-attack onsets {f_att:.3f}  ({(~keep).sum()}/{len(ref)})"
            f"  oracle {rows[c['id']]['F_oracle']:.3f}"
        )
    fams: dict[str, list[dict]] = {}
    for r in rows.values():
        fams.setdefault(r["family"], []).append(r)
    for fam, rs in fams.items():
        print(
            f"{fam:20s} F {np.mean([r['F'] for r in rs]):.3f} -> {np.nanmean([r['F_attack'] for r in rs]):.3f}"
            f"  no-attack onsets {sum(r['n_no_attack'] for r in rs)}/{sum(r['n_ref'] for r in rs)}"
        )
    mean = dict(
        F=float(np.mean([r["F"] for r in rows.values()])),
        F_attack=float(np.nanmean([r["F_attack"] for r in rows.values()])),
        F_oracle=float(np.mean([r["F_oracle"] for r in rows.values()])),
    )
    print(
        f"mean F {mean['F']:.4f}  without no-attack onsets {mean['F_attack']:.4f}"
        f"  every onset with an attack and nothing else {mean['F_oracle']:.4f}"
    )
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(mean=mean, clips=rows, note_db=NOTE_DB, spectrum_db=SPECTRUM_DB), f, indent=1)


if __name__ == "__main__":
    main()
