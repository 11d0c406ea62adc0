"""Produced recordings (no truth): `livedream analyze` against librosa's offline detectors, as a user would run it.

The eval sets are rendered from MIDI; a VJ plays mastered recordings (reverb, compression, dense mixes). This runs
the CLI (`livedream analyze --start --duration --json`, the user's command) on a 30 s window of each track and
compares what it heard with librosa's offline `beat_track`, `onset_detect` and `chroma_cqt` (look-ahead allowed) on
the same window. librosa is a reference, not truth: agreement is the figure, and where the two part the tempo ratio
says how (the same beat, twice or half it, or a 3:2 / 4:3 error, which the issue asks the tracker to avoid).

    /tmp/ana-venv/bin/python bench/bench_recorded.py [TRACK ...] [--json bench/results/recorded.json]

Without tracks: the game soundtracks of three Debian packages (GPL / CC BY-SA recordings, installed with
`apt-get install -y --no-install-recommends neverball-data hedgewars-data supertux-data`; no audio is committed).
Runs in the eval venv (librosa, mir_eval); the project's own CLI is called as a subprocess.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from score_analysis import beat_scores  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))
import mir_eval  # noqa: E402

# below it the tempo-locked events fall back (tempo.py imports nothing outside the eval venv's numpy)
from livedream.control.tempo import BEATS_MIN_CONFIDENCE  # noqa: E402

SOUNDTRACKS = (
    "/usr/share/games/neverball/bgm/*.ogg",
    "/usr/share/games/hedgewars/Data/Music/*.ogg",
    "/usr/share/games/supertux2/music/*/*.ogg",
)
START_S, DURATION_S = 30.0, 30.0  # the window of each track (from 0 where a track is shorter than START_S + 40 s)
SETTLE_S = 5.0  # beats and tempo are compared after this (the tracker's settling time, the issue's ~4 s)
STEADY = 0.1  # a beat interval within this share of the median one is steady
LIBROSA_RATE = 22050  # Hz: librosa's analyses of the window
CHROMA_HOP = 2048  # librosa's chroma_cqt frames (93 ms at 22.05 kHz; a multiple of 2^6 as its 7 octaves need)
RATIOS = {"same": 1.0, "x2": 2.0, "x0.5": 0.5, "x1.5": 1.5, "x0.67": 2 / 3, "x1.33": 4 / 3, "x0.75": 0.75, "x3": 3.0}


def ratio_name(ours: float, ref: float) -> str:
    """Our tempo against the reference's: the nearest simple ratio within 4 %, else 'other'."""
    r = ours / max(ref, 1e-9)
    name, v = min(RATIOS.items(), key=lambda kv: abs(np.log(r / kv[1])))
    return name if abs(np.log(r / v)) < 0.04 else "other"


def ours(track: str, start: float, livedream: str) -> dict:
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "a.json")
        cmd = [livedream, "analyze", track, "--start", str(start), "--duration", str(DURATION_S), "--json", out]
        subprocess.run(cmd, check=True, capture_output=True)
        with open(out) as f:
            return json.load(f)


def reference(track: str, start: float, cache: dict) -> dict:
    """librosa's tempo, beats, onsets and chroma of the window (from cache where it has them: they do not depend on
    us); lists in the cache, arrays out."""
    key = f"{track}@{start}"
    if "chroma" not in cache.get(key, {}):
        import librosa

        y, sr = librosa.load(track, sr=LIBROSA_RATE, mono=True, offset=start, duration=DURATION_S)
        tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
        onsets = librosa.onset.onset_detect(y=y, sr=sr, units="time")
        chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=CHROMA_HOP)  # [12, frames], frame j at j * hop
        cache[key] = {
            "tempo": float(np.atleast_1d(tempo)[0]),
            "beats": beats.tolist(),
            "onsets": onsets.tolist(),
            "chroma": np.round(chroma.T, 4).tolist(),
        }
    return {k: np.asarray(v) if isinstance(v, list) else v for k, v in cache[key].items()}


def chroma_agreement(a: dict, ref: dict) -> tuple[float, float]:
    """(mean cosine, share of frames whose strongest pitch class is the same) of our chroma (at the sound it
    describes: chroma_delay_s before its report) and librosa's chroma_cqt, over the frames after SETTLE_S where both
    have some. librosa's is much flatter (its harmonics and the CQT's low-frequency smear stay in): the cosine
    rewards a flat chroma, the strongest pitch class does not."""
    ours_t = np.asarray(a["chroma"]["times"]) - a.get("chroma_delay_s", 0.085)
    ours = np.asarray(a["chroma"]["values"])  # [hops, 12]
    theirs = np.asarray(ref["chroma"])  # [frames, 12]
    t = np.arange(len(theirs)) * CHROMA_HOP / LIBROSA_RATE
    keep = (t >= SETTLE_S) & (t <= ours_t[-1])
    mine = ours[np.clip(np.searchsorted(ours_t, t[keep]), 0, len(ours) - 1)]  # [kept, 12]
    num = (mine * theirs[keep]).sum(axis=1)
    den = np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs[keep], axis=1)
    ok = den > 0
    if not ok.any():
        return 0.0, 0.0
    same = np.argmax(mine[ok], axis=1) == np.argmax(theirs[keep][ok], axis=1)
    return float(np.mean(num[ok] / den[ok])), float(np.mean(same))


def compare(a: dict, ref: dict) -> dict:
    """One track's figures: tempo ratio, beat agreement after SETTLE_S, onset rate and agreement, chroma agreement."""
    tb = a["tempo_bpm"]
    t, v = np.asarray(tb["times"]), np.asarray(tb["values"])
    tempo = float(np.median(v[t >= SETTLE_S])) if (t >= SETTLE_S).any() else 0.0
    beats = np.asarray(a["beats"])
    b = beat_scores(ref["beats"][ref["beats"] >= SETTLE_S].tolist(), beats[beats >= SETTLE_S].tolist())
    ibi = np.diff(beats[beats >= SETTLE_S])
    conf = np.asarray(tb["confidence"])[t >= SETTLE_S]
    later = v[(t >= SETTLE_S) & (v > 0)]
    switches = int(np.sum(np.abs(np.diff(np.log(later))) > 0.1)) if len(later) > 1 else 0
    onsets = np.asarray(a["onsets"])
    f_on = mir_eval.onset.f_measure(ref["onsets"], onsets, window=0.05)[0] if len(ref["onsets"]) else 0.0
    return {
        "tempo_bpm": round(tempo, 1),
        "librosa_tempo_bpm": round(ref["tempo"], 1),
        "ratio": ratio_name(tempo, ref["tempo"]),
        "beat_F": round(b["F"], 3),
        "beat_F_level": round(b["F_level"], 3),
        "beat_AMLt": round(b["AMLt"], 3),
        # how even the beats are (a strobe on them), and how long the tempo-locked events trust them
        "steady_beats": round(float(np.mean(np.abs(ibi / np.median(ibi) - 1) < STEADY)), 3) if len(ibi) > 2 else 0.0,
        "tempo_switches": switches,  # after SETTLE_S: changes of the tempo followed by more than 10 %
        "trusted_time": round(float(np.mean(conf >= BEATS_MIN_CONFIDENCE)), 3) if len(conf) else 0.0,
        "onsets_per_s": round(len(onsets) / DURATION_S, 2),
        "librosa_onsets_per_s": round(len(ref["onsets"]) / DURATION_S, 2),
        "onset_F_vs_librosa": round(float(f_on), 3),
        **dict(
            zip(("chroma_cos_vs_librosa", "chroma_top_vs_librosa"), np.round(chroma_agreement(a, ref), 3), strict=True)
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tracks", nargs="*")
    ap.add_argument("--livedream", default=os.path.join(os.path.dirname(HERE), ".venv", "bin", "livedream"))
    ap.add_argument("--json", help="write the per-track figures here")
    ap.add_argument("--reference-cache", help="keep librosa's detections in this json between runs")
    a = ap.parse_args()
    tracks = a.tracks or sorted(p for pat in SOUNDTRACKS for p in glob.glob(pat))
    if not tracks:
        sys.exit("bench_recorded: no tracks given and no soundtrack packages installed (see --help)")
    import soundfile

    cache: dict = {}
    if a.reference_cache and os.path.exists(a.reference_cache):
        with open(a.reference_cache) as f:
            cache = json.load(f)
    rows = {}
    for track in tracks:
        length = soundfile.info(track).duration
        if length < DURATION_S + 5:
            continue
        start = START_S if length >= START_S + DURATION_S + 10 else 0.0
        name = os.path.relpath(track, "/usr/share/games") if track.startswith("/usr/share/games") else track
        rows[name] = compare(ours(track, start, a.livedream), reference(track, start, cache))
        r = rows[name]
        print(
            f"{name[:58]:58s} {r['tempo_bpm']:6.1f} / {r['librosa_tempo_bpm']:6.1f} bpm {r['ratio']:6s}"
            f" beat F {r['beat_F']:.2f} AMLt {r['beat_AMLt']:.2f}  onsets/s {r['onsets_per_s']:5.2f}"
            f" / {r['librosa_onsets_per_s']:5.2f}  F {r['onset_F_vs_librosa']:.2f}"
            f"  steady {r['steady_beats']:.2f} trusted {r['trusted_time']:.2f} switches {r['tempo_switches']}"
            f"  chroma {r['chroma_cos_vs_librosa']:.2f} / {r['chroma_top_vs_librosa']:.2f}"
        )
    if a.reference_cache:
        with open(a.reference_cache, "w") as f:
            json.dump(cache, f)
    ratios: dict[str, int] = {}
    for r in rows.values():
        ratios[r["ratio"]] = ratios.get(r["ratio"], 0) + 1
    keys = ("beat_F", "beat_F_level", "beat_AMLt", "steady_beats", "trusted_time", "tempo_switches")
    mean = {k: round(float(np.mean([r[k] for r in rows.values()])), 3) for k in keys}
    for k in ("onset_F_vs_librosa", "chroma_cos_vs_librosa", "chroma_top_vs_librosa"):
        mean[k] = round(float(np.mean([r[k] for r in rows.values()])), 3)
    print(f"{len(rows)} tracks; tempo against librosa: {ratios}; means {mean}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"window_s": [START_S, DURATION_S], "ratios": ratios, "mean": mean, "tracks": rows}, f, indent=1)


if __name__ == "__main__":
    main()
