"""The beat tracker's phase fit: the phase signal (ODF, bass, chord change, drums, harmony, onsets) and the comb over
it."""

from __future__ import annotations

import numpy as np

from livedream.audio.bands import REPORT_HOPS

PHASE_BEATS = 16  # beats of ODF history the phase is fitted on: a short fit hops between the eighths
PHASE_DECAY = 0.88  # weight of each older beat in the phase fit
PHASE_BASS = 0.5  # weight of the bass onsets (each part over its mean) in the phase fit: kick and bass sit on the beat
PHASE_CHORD = 0.25  # weight of the chord change in the phase fit: chords change on the beat, not on the off-beat.
#   At 0.5 a click's second chord change (as it leaves the chroma window, 1/3 of a 174 bpm beat later) weighs a
#   quarter of the click, and the swing taps below move a click track's beat onto it
CHORD_LAG_S = 0.07  # the chord change comes this much after the ODF (the chroma window's centre)
PHASE_KICK = 0.6  # weight of the kick band's hits in the phase fit: where a drum kit plays, the kick marks the beat
#   (the ODF often peaks on the off-beat's hats and chords); over the kicks' mean, floored at KICK_FLOOR a beat, so
#   the odd low note the kick band takes in music without drums does not weigh like a kick on every beat
PHASE_SNARE = 0.3  # the same for the snare band: the back-beat is a beat too (2 and 4), never the off-beat
KICK_FLOOR = 0.5
PHASE_ODF_POW = 0.8  # the ODF is raised to this power (then over its mean) in the phase fit: the comb should count
#   where notes are more than how loud the loudest are. A guitar's or band's louder off-beat chords (cpebach, Blupi's
#   off-beat kicks and section hits) outweighed softer beats that the chord changes, bass and kick also mark: wide F
#   0.786 -> 0.801, AMLt 0.802 -> 0.807 (cpebach 0.38 -> 0.61, blupi_music001 0.68 -> 0.79, the Haydn 6/8 winds
#   0.65 -> 0.71), no clip lower in F (cpebach's AMLt 0.62 -> 0.47); 0.6-0.7 gain a little more but lower ttsong,
#   ultimate_run and the menuetto, 0.9 gains 0.005. Plainly weighing the ODF less (0.6-0.8) gives F 0.788-0.789: the
#   compression is what helps. Tempo and the bar accents keep the ODF as it is
PHASE_ONSET = 0.5  # weight of the onsets (1 each, over their mean, see onset_signal) at their stamped times in the
#   phase fit. A slow attack's ODF peaks late, 30-50 ms after the note starts, and the beats sat there (wide median
#   offsets, beats within a quarter beat of the truth: Haydn's menuetto +52 ms, the organ +31 ms, K. 80 +183 ms on a
#   grid 0.4 of its beat off; +-5 ms on plucked, piano and drum clips), while the onset paths stamp their reports back
#   (the slow and pitch paths' 20-25 ms, the release path's more). With PHASE_ONSET_PLAIN: wide F / AMLt / CMLt
#   0.801 / 0.807 / 0.767 -> 0.860 / 0.875 / 0.811, no clip lower in any (the menuetto 0.82 -> 0.95, offset +34 ms;
#   K. 80 0.12 -> 0.65, AMLt 0.09 -> 0.91, offset +3 ms; cpebach 0.61 -> 0.88, the Gloria 0.36 -> 0.73, Corelli 0.10
#   -> 0.30, the Haydn winds 0.71 -> 0.76). The same rows at the report hops (not stamped back): F 0.812 (K. 80 0,
#   the menuetto 0.82, the winds 0.47): the stamps are what helps. All of it here (1.0, none plain): F 0.865, AMLt
#   0.857 (the Gloria's AMLt 0.58 -> 0.33, the jig's 0.79 -> 0.53), but the plucked bass notes under louder off-beat
#   chords (tests/audio/test_beats_bands.py) went to the off-beats from 0.6 on: the pluck's second, false report 0.1 s
#   after each note fed the 2/3 tap of the off-beat. All of it plain: F 0.852, the winds 0.71 -> 0.47-0.65. Here
#   0.4-0.6 (plain 0.5-0.7) give F 0.861, AMLt 0.868. Weighed by the ODF at the report instead of 1: F 0.802-0.805
#   (the loud off-beats again); only the slow, pitch and release paths' onsets: the harp, the mazurka and the pads
#   lose (0.97 / 1.00 / 0.96 -> 0.84 / 0.82 / 0.87)
PHASE_ONSET_PLAIN = 0.3  # ... and this much more added to the comb's fit without the PHASE_TAPS (the false reports
#   a third of a beat off do not move the swing taps); 0.5-0.7: AMLt 0.868 (the jig's 0.79 -> 0.68)
ONSET_FLOOR = 0.5  # onsets a beat the onset row's mean is floored at: in sparse music one onset weighs at most 2
#   beats' mean (0.25: K. 80 0.65 -> 0.61; 1.0: the Gloria 0.73 -> 0.64)
ONSET_KIT = 0.7  # kick hits a beat (the kick row's mean) at which the onset row has faded out (linearly from none):
#   where a kit plays, the onsets count the hats and the off-beat hits while the kick and snare rows mark the beat;
#   without the fade ttsong 1.00 -> 0.97, blupi_music001 0.79 -> 0.68. Kicks a beat on wide: 0-0.1 without drums (the
#   jig's guitar notes 0.19, Blupi's pitched part 0.48), band mixes 0.15-1.9. 0.5 the same, 1.0 F 0.864, AMLt 0.872
DRUM_LAG = REPORT_HOPS[:2]  # the kick and snare bands report a hit this many hops after the ODF shows it
PHASE_HARM = 0.7  # weight of the harmonic novelty in the phase fit (harmony.py: the chroma of the 0.2 s before a hop
#   against the 0.2 s after it). Chords change on the beat even where the off-beat's notes are the louder ones;
#   over 0.2 s it is a bump about a beat wide: at 0.5-0.8 the wide set's F is 0.735-0.741, at 1-4 it outweighs
#   clear ODF peaks and moves straight clips (0.735-0.69)
PHASE_TAPS = ((1 / 3, -0.7), (2 / 3, 0.7))  # (share of a beat after it, weight) in the phase fit: in swing and in
#   long-short figures the note on the beat is followed by one 2/3 of a beat later, not 1/3 (the long note starts on
#   it), even where the swung note is the louder (a boogie's 4:1, Blupi's shuffles). At 0.9-1.0 a tap outweighs the
#   beat's own comb and straight music slips by a third; 0.5 keeps straight music a little better (wide F 0.648)

HALF_HARM = 1.5  # between the best phase and the one half a beat from it, the harmonic novelty (over its mean) counts
#   this much more: chords change on the beat, while in band mixes the ODF, kick and snare often peak on the
#   off-beat (Blupi's syncopated kicks, midnight_snow_run's off-beat snare), which flipped the fit to the off-beat
#   for bars at a time. Only for that choice: added to the whole fit, its beat-wide bump moved the boogie's and the
#   marimba's right phases (wide F 0.751 at 1.0, held-out 0.646 -> 0.633); 1.0-2.0 all within +-0.005 of 1.5
THIRD_HARM = 1.2  # the same for the phases a third of a beat either side: a 3/4's string chords (the Haydn menuetto,
#   whose fit slipped onto the swing tap's third: 0.68 -> 0.82) and long-short figures; 0.8-1.5 within +-0.003
#   of 1.2 on the beats (at 1.5 the held-out downbeats 0.263 -> 0.249), at 2.0 wide F 0.752 and downbeats 0.20


def harm_signal(hist: np.ndarray, chord_lag: int) -> np.ndarray:
    """[n] the harmonic novelty row of the history [7, n] over its mean, moved back onto the ODF's time."""
    n = hist.shape[1]
    out = np.zeros(n)
    if chord_lag < n:
        out[: n - chord_lag] = hist[5, chord_lag:] / max(float(hist[5].mean()), 1e-9)
    return out


def phase_signal(hist: np.ndarray, p: float, chord_lag: int) -> np.ndarray:
    """[n] the phase signal of the history [7, n] for a period of p hops: the ODF plus the bass, chord, kick, snare and
    harmony rows (each over its mean), the late ones moved back onto the ODF's time (chord_lag: hops)."""
    means = hist.mean(axis=1)  # [7]
    odf = hist[0] ** PHASE_ODF_POW  # [n]
    sig = odf / max(float(odf.mean()), 1e-9) + PHASE_BASS * hist[1] / max(means[1], 1e-9)  # [n]
    late = (  # (row, weight over its mean, hops it comes after the ODF)
        (2, PHASE_CHORD / max(means[2], 1e-9), chord_lag),
        (3, PHASE_KICK / max(means[3], KICK_FLOOR / p, 1e-9), DRUM_LAG[0]),
        (4, PHASE_SNARE / max(means[4], KICK_FLOOR / p, 1e-9), DRUM_LAG[1]),
        (5, PHASE_HARM / max(means[5], 1e-9), chord_lag),
    )
    n = hist.shape[1]
    for row, weight, lag in late:  # each moved back onto the ODF's time
        if lag < n:
            sig[: n - lag] += weight * hist[row, lag:]
    return sig


def onset_signal(hist: np.ndarray, p: float) -> np.ndarray:
    """[n] the onset row of the history [7, n] (1 an onset at its stamped time) over its mean (floored at ONSET_FLOOR
    a beat), faded out as the kick band's hits a beat reach ONSET_KIT (p: the period in hops)."""
    kicks, onsets = float(hist[3].mean()), float(hist[6].mean())
    fade = min(max(1.0 - kicks * p / ONSET_KIT, 0.0), 1.0)
    return hist[6] * (fade / max(onsets, ONSET_FLOOR / p, 1e-9))


def comb_fit(smooth: np.ndarray, p: float, phis: np.ndarray | None = None) -> np.ndarray:
    """[P] the fit of a comb of PHASE_BEATS past beats for a latest beat 0, 0.5, 1, ... hops back from now (or phis
    [P] hops back)."""
    n = len(smooth)
    phis = np.arange(0.0, p, 0.5) if phis is None else phis  # [P]
    k = np.arange(PHASE_BEATS)  # [K]
    idx = n - 1 - phis[:, None] - k[None, :] * p  # [P, K]
    w = np.where(idx >= 0, PHASE_DECAY**k, 0.0)
    vals = np.interp(np.clip(idx, 0, n - 1), np.arange(n), smooth)
    return (vals * w).sum(axis=1)


def best_phase(sig: np.ndarray, p: float, harm: np.ndarray | None = None, plain: np.ndarray | None = None) -> float:
    """Hops back from now to the latest beat (a multiple of 0.5) whose comb, with the PHASE_TAPS, best fits sig [n];
    with harm [n] (harm_signal) the best phase or the one half or a third of a beat from it, whichever wins with the
    novelty's fit added (HALF_HARM, THIRD_HARM); plain [n] (onset_signal) adds its comb without the taps."""
    return _best_phase(sig, p, harm, plain)[0]


def phase_lead(
    sig: np.ndarray, p: float, harm: np.ndarray | None, cur: float, plain: np.ndarray | None = None
) -> tuple[float, float]:
    """best_phase, and its lead over cur (hops back to the latest beat the tracker follows) as a share of its own
    score: the fit, plus the novelty's fit where best_phase's choice would weigh it (half or a third of a beat)."""
    phi, fit, smooth_harm = _best_phase(sig, p, harm, plain)
    d = ((cur - phi) / p + 0.5) % 1.0 - 0.5  # beats from the chosen phase to cur
    w = HALF_HARM if abs(d) > 0.4 else THIRD_HARM if abs(d) > 0.25 else 0.0
    at = np.array((phi, cur % p))  # [2]
    score = np.interp(at, np.arange(0.0, p, 0.5), fit, period=p)  # [2]
    if smooth_harm is not None and w > 0:
        score = score + w * comb_fit(smooth_harm, p, at)
    return phi, float((score[0] - score[1]) / max(abs(float(score[0])), 1e-9))


def _best_phase(
    sig: np.ndarray, p: float, harm: np.ndarray | None, plain: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """best_phase's choice, the fit [P] it was made on and the smoothed novelty [n] (None without harm)."""
    smooth = np.convolve(sig, (0.25, 0.5, 0.25), mode="same")
    phis = np.arange(0.0, p, 0.5)  # [P] hops back from now to the latest beat
    comb = comb_fit(smooth, p)  # [P] the comb's fit for a beat phi hops back
    fit = comb.copy()
    steps = np.arange(len(phis))  # [P]
    for share, weight in PHASE_TAPS:  # + the fit of the phase share of a beat later (phi smaller)
        fit += weight * comb[(steps - int(round(share * len(phis)))) % len(phis)]
    if plain is not None:  # the onsets' share without the taps (PHASE_ONSET_PLAIN)
        fit += comb_fit(np.convolve(plain, (0.25, 0.5, 0.25), mode="same"), p)
    i = int(np.argmax(fit))
    if harm is None:
        return float(phis[i]), fit, None
    # the beat, its off-beat or a third of a beat either side: the harmonic novelty decides more than it moves the
    # fit (see HALF_HARM)
    m = len(phis)
    cands = np.array([i, (i + m // 2) % m, (i + int(round(m / 3))) % m, (i + int(round(2 * m / 3))) % m])  # [4]
    smooth_harm = np.convolve(harm, (0.25, 0.5, 0.25), mode="same")
    hs = comb_fit(smooth_harm, p, phis[cands])  # [4] the novelty's fit there
    gain = fit[cands[1:]] - fit[i] + np.array((HALF_HARM, THIRD_HARM, THIRD_HARM)) * (hs[1:] - hs[0])  # [3]
    k = int(np.argmax(gain))
    return float(phis[cands[1 + k]] if gain[k] > 0 else phis[i]), fit, smooth_harm


def sub_fits(smooth: np.ndarray, p: float) -> tuple[float, float, float]:
    """The phase fit half, a third and two thirds of a beat after its best phase, over the fit's floor, as a share
    of its peak."""
    comb = comb_fit(smooth, p)  # [P]
    i, lo, m = int(np.argmax(comb)), float(comb.min()), len(comb)
    span = max(float(comb[i]) - lo, 1e-9)
    half, third, two_thirds = ((float(comb[(i - int(round(f * m))) % m]) - lo) / span for f in (1 / 2, 1 / 3, 2 / 3))
    return half, third, two_thirds
