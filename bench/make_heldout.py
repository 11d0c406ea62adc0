"""Build the held-out clips: the wide set's kinds, other pieces, engines swapped; judged, never tuned on.

Uses the shared kit's own builder (/work/shared/eval/make_clips.py: same engines, latency cut, truth format), so
only the list differs. Run it with the eval venv (music21, pretty_midi, soundfile); the audio stays out of the repo:

    python -m bench.make_heldout --out /tmp/heldout
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, "/work/shared/eval")
import make_clips as mc  # noqa: E402

M21, OMSX, BLP = mc.M21, mc.OMSX, mc.BLP
W = dict(dur=15.0)
HELDOUT = [
    # slow attack / legato: other pieces, other engines than the wide set's clip of that kind
    dict(
        W,
        id="h_palestrina_agnus02_choir_fr3",
        src=("music21", "palestrina/Agnus_02"),
        bpm=120,
        programs=[52] * 5,
        t0=0.0,
        engine="fr3",
        kind="legato-choir",
        license=M21,
    ),
    dict(
        W,
        id="h_monteverdi_m3_2_oohs_msg",
        src=("music21", "monteverdi/madrigal.3.2"),
        bpm=96,
        programs=[53] * 5,
        t0=0.0,
        engine="msg",
        kind="legato-choir",
        license=M21,
    ),
    dict(
        W,
        id="h_haydn_op74n1_m2_strings_msg",
        src=("music21", "haydn/opus74no1/movement2"),
        bpm=80,
        programs=[48] * 4,
        t0=0.0,
        engine="msg",
        kind="legato-strings",
        license=M21,
    ),
    dict(
        W,
        id="h_mozart_k156_m2_strings_tim",
        src=("music21", "mozart/k156/movement2"),
        bpm=70,
        programs=[49] * 4,
        t0=0.0,
        engine="tim",
        kind="legato-strings",
        license=M21,
    ),
    dict(
        W,
        id="h_bach_bwv66.6_pads_opl3",
        src=("music21", "bach/bwv66.6"),
        bpm=80,
        programs=[88, 89, 91, 95],
        t0=0.0,
        engine="opl3",
        kind="legato-pad",
        license=M21,
    ),
    dict(
        W,
        id="h_bach_bwv84.5_organ_tim",
        src=("music21", "bach/bwv84.5"),
        bpm=84,
        programs=[19] * 4,
        t0=0.0,
        engine="tim",
        kind="legato-organ",
        license=M21,
    ),
    # plucked / percussive, dense piano
    dict(
        W,
        id="h_jig_acrobats_nylon_fr3",
        src=("music21", "ryansMammoth/AcrobatsHornpipe"),
        bpm=160,
        programs=[24],
        t0=0.0,
        engine="fr3",
        kind="plucked-guitar",
        license=M21,
    ),
    dict(
        W,
        id="h_mozart_k156_m1_harp_opl3",
        src=("music21", "mozart/k156/movement1"),
        bpm=120,
        programs=[46] * 4,
        t0=0.0,
        engine="opl3",
        kind="plucked-harp",
        license=M21,
    ),
    dict(
        W,
        id="h_beethoven_op18n1_m1_piano_fr3",
        src=("music21", "beethoven/opus18no1/movement1"),
        bpm=150,
        programs=[0] * 4,
        t0=0.0,
        engine="fr3",
        kind="piano-dense",
        license=M21,
    ),
    dict(
        W,
        id="h_verdi_donna_marimba_tim",
        src=("music21", "verdi/laDonnaEMobile"),
        bpm=130,
        programs=[12] * 4,
        t0=0.0,
        engine="tim",
        kind="percussive-marimba",
        license=M21,
    ),
    # band mixes: other MIDI files
    dict(
        W,
        id="h_openmsx_city_blues_mix_opl3",
        src=("midi", mc.OPENMSX + "city_blues_redfarn.mid"),
        t0=40.0,
        engine="opl3",
        kind="drums+band",
        license=OMSX,
    ),
    dict(
        W,
        id="h_openmsx_fast_route_mix_msg",
        src=("midi", mc.OPENMSX + "the_fast_route.mid"),
        t0=30.0,
        engine="msg",
        kind="drums+band",
        license=OMSX,
    ),
    dict(
        W,
        id="h_openmsx_ttsong_iv_mix_fr3",
        src=("midi", mc.OPENMSX + "ttsong_iv_imuh3.mid"),
        t0=20.0,
        engine="fr3",
        kind="drums+synth-lead",
        license=OMSX,
    ),
    dict(
        W,
        id="h_openmsx_run_for_your_life_mix_tim",
        src=("midi", mc.OPENMSX + "run_for_your_life.mid"),
        t0=30.0,
        engine="tim",
        kind="drums+synth-lead",
        license=OMSX,
    ),
    dict(
        W,
        id="h_blupi_music006_mix_msg",
        src=("midi", mc.BLUPI + "music006.mid"),
        t0=40.0,
        engine="msg",
        kind="drums+synth-lead",
        license=BLP,
    ),
    dict(
        W,
        id="h_blupi_music008_drums_fr3",
        src=("midi", mc.BLUPI + "music008.mid"),
        only="drums",
        t0=40.0,
        engine="fr3",
        kind="drums-only",
        license=BLP,
    ),
    dict(
        W,
        id="h_blupi_music008_pitched_fr3",
        src=("midi", mc.BLUPI + "music008.mid"),
        only="pitched",
        t0=40.0,
        engine="fr3",
        kind="pitched-only",
        license=BLP,
    ),
]
for _c in HELDOUT:
    _c["family"] = next(v for k, v in mc.FAMILY.items() if _c["kind"].startswith(k))
    _c["set"] = "heldout"


GRID_TOL_TICKS = 3  # notes within +-3 ticks of one offset count as on it: music008's sit 17-22 ticks late
GRID_SHARE = 0.6  # ... and at least this share of the file's notes must (the kit's exact-tick test asks 40 %)


def notes_grid_offset(midi_path: str) -> int:
    """Ticks every note sits after the tempo map's 16th grid, or 0 when the notes share no clear offset.

    The kit moves the beats onto the notes' grid for Planet Blupi files 004-009 (their notes come about 20 ticks
    after the map's grid), but its test counts notes on one exact tick, and music008's spread over 17-22 ticks, so
    its beats stayed 60 ms before every note. This is the same test with a tolerance of a few ticks.
    """
    pm = mc.pretty_midi.PrettyMIDI(midi_path)
    g = pm.resolution // 4
    ticks = np.array([pm.time_to_tick(n.start) for i in pm.instruments for n in i.notes], dtype=np.int64)
    if not len(ticks):
        return 0
    ph = ticks % g
    ph = np.where(ph > g // 2, ph - g, ph)  # signed phase on the 16th
    best = max(range(-(g // 2), g // 2 + 1), key=lambda d: int(np.sum(np.abs(ph - d) <= GRID_TOL_TICKS)))
    near = np.abs(ph - best) <= GRID_TOL_TICKS
    return int(np.round(np.median(ph[near]))) if near.mean() >= GRID_SHARE else 0


def align_beats_to_notes(clip: dict, truth_path: str) -> None:
    """Moves a MIDI clip's beats and downbeats onto its notes' grid where the kit's test missed the offset."""
    with open(truth_path) as f:
        truth = json.load(f)
    if clip["src"][0] != "midi" or truth.get("beat_grid_offset_ticks") or truth.get("tempo_changes"):
        return
    d = notes_grid_offset(clip["src"][1])
    if not d:
        return
    pm = mc.pretty_midi.PrettyMIDI(clip["src"][1])
    shift = float(pm.tick_to_time(pm.resolution) - pm.tick_to_time(0)) * d / pm.resolution  # constant tempo
    for key in ("beats", "downbeats"):
        truth[key] = [round(t + shift, 4) for t in truth[key] if 0 <= t + shift < truth["duration"]]
    truth["beat_grid_offset_ticks"] = d
    truth["beat_grid_note"] = f"beats moved {shift * 1000:.1f} ms onto the notes' grid by bench/make_heldout.py"
    with open(truth_path, "w") as f:
        json.dump(truth, f, separators=(",", ":"))  # as the kit writes it


def _worker(args):
    """make_clips' worker, a failed render (a runaway synth) skipping that clip instead of the whole set."""
    try:
        return mc._wide_worker(args)
    except (RuntimeError, ValueError, OSError) as e:  # a runaway synth, a corrupt MIDI file
        return None, str(e)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/heldout")
    ap.add_argument("--sr", type=int, default=44100)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    clips = [c for c in HELDOUT if mc.engine_ok(c["engine"])]
    with tempfile.TemporaryDirectory() as td:
        engines = mc.engine_table(sorted({c["engine"] for c in clips}), a.sr, td)
        jobs = [(c, a.out, a.sr, 100, td, dict(mc._LATENCY)) for c in clips]
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(a.jobs) as ex:
            results = list(ex.map(_worker, jobs))
    entries = []
    for c, (entry, err) in zip(clips, results, strict=True):
        if entry is None:
            print(f"  skip {c['id']}: {err}")
            continue
        align_beats_to_notes(c, os.path.join(a.out, f"{c['id']}.json"))
        entries.append(entry)
        print(f"  {c['id']:40s} onsets={entry['n_onsets']:4d} {entry['engine']:5s} {entry['kind']}")
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(dict(set="heldout", sr=a.sr, chroma_fps=100, engines=engines, clips=entries), f, indent=1)
    print(f"built {len(entries)} held-out clips in {a.out}")


if __name__ == "__main__":
    main()
