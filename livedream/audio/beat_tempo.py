"""The beat tracker's tempo candidates: the ODF's autocorrelation, a comb over it at the beat and the bar with a tempo
prior, the harmonic novelty's autocorrelation mixed in where the ODF's is flat, the 3+3+2 test, and the refinement of
the period chosen. Pure functions of the tracker's history; which candidate is followed is beats.py's."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from livedream.audio.beat_phase import phase_signal, sub_fits

BPM_LO, BPM_HI = 56.0, 220.0  # beat tempi considered: the slowest felt beats are ~60 bpm (a 4/2 half note)
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 0.75  # log-gaussian tempo prior (centre, std in octaves)
COMB = (1.0, 1.0, 1.0, 1.0)  # weights of ACF at 1..4 beat periods: the beat level the music repeats at
REFINE_BEATS = 8  # the chosen period is refined (within 3 %) on a comb over this many periods: a 1 % error drifts
#   the phase by a tenth of a beat in ten beats
TEMPO_HARM = 0.5  # weight of the harmonic novelty's ACF in the tempo comb where the ODF's ACF peaks at FLAT_HI or
#   less over the tempo range (full weight at FLAT_LO): slow legato choirs and strings have no clear onsets but
#   change chords on the beat (Palestrina 164 -> 64 bpm for 60, the Gloria 81 -> 64 for 64). Not in the first
#   FLAT_AFTER_S (the ODF's ACF is short and low there), and a tempo the mix picks must beat the one followed by
#   HARM_SWITCH (at 1.1 a harp's flat bar took 85 for 96 bpm for a second); at 1.0 it moved clear clips too
FLAT_LO, FLAT_HI = 0.2, 0.3
FLAT_AFTER_S = 4.0
FUNDAMENTAL = 0.5  # the comb is multiplied by ACF(period) to this power: the period itself must repeat
BAR_COMB = 0.5  # weight of the bar's repetition (ACF at 3 and 6 or at 4 and 8 periods, the larger): 2/3 of a 4/4 beat
#   (a dotted quarter, the 3+3+2 of band music) repeats at 1.5 and 3 beats but not at the 4-beat bar
# The 3+3+2 figure of band music (a dotted quarter twice, then a quarter) makes the ODF repeat at 1.5 beats as much as
# at the beat, and the comb then takes 2/3 of the tempo. Its tell: the slower grid's phase fit has notes a third and
# two thirds of its period after its beat (the beats and the figure's accents, in turn) but none half-way, the faster
# grid's fit is fed on its half (the eighths), and the ODF repeats at 4 faster beats (the bar) more than at 2 slower
# ones (3 beats: no bar). A 6/8 jig's even eighths repeat at every level and fail the bar test. (4 slower beats as well
# in the bar test: the rule fired 5 s later on the wide band mix, at 6 beats the ACF has few products early on.)
LEVEL_SCORE = 0.7  # the faster level's comb score must reach this share of the slower one's
LEVEL_HOLD = 0.5  # ... or this share once the faster level is followed: a dip for a bar does not drop it
LEVEL_BAR = 0.08  # ACF at 4 faster beats over ACF at 2 slower beats by this
LEVEL_OFF, LEVEL_ON = 0.15, 0.5  # phase-fit at a sub-beat (over the fit's floor, as a share of its peak): none, a note


_SMOOTH = np.convolve((1, 4, 6, 4, 1), (1, 4, 6, 4, 1)) / 256.0  # [9] binomial, sigma ~1.4 hops


def candidate_periods(hop_s: float) -> tuple[np.ndarray, np.ndarray]:
    """-> [L] candidate periods (hops, quarter-hop steps over BPM_LO..BPM_HI) and [L] their log-gaussian prior."""
    lags = np.arange(60.0 / (BPM_HI * hop_s), 60.0 / (BPM_LO * hop_s), 0.25)
    bpm = 60.0 / (lags * hop_s)
    return lags, np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


def autocorr(h: np.ndarray, fft_n: int) -> np.ndarray | None:
    """[n] the unbiased autocorrelation of h [n], smoothed first, over its value at lag 0; None if h is flat."""
    # smoothed first: a spiky ODF sampled per hop makes the ACF peaky at whole-hop lags, whatever the tempo
    x = np.convolve(h, _SMOOTH, mode="same")
    x = x - x.mean()
    spec = np.fft.rfft(x, fft_n)
    acf = np.fft.irfft(spec * np.conj(spec), fft_n)[: len(x)]
    acf = acf / np.maximum(len(x) - np.arange(len(x)), 1)  # unbiased: later lags have fewer products
    if acf[0] < 1e-10:
        return None
    return np.maximum(acf / max(acf[0], 1e-12), 0.0)


def with_harmony(
    acf: np.ndarray, harm: np.ndarray, w: int, lags: np.ndarray, elapsed_s: float, fft_n: int
) -> np.ndarray:
    """acf [n], or, where it is flat over the tempo range (legato music: the ODF's peaks are noise), a mix with the
    autocorrelation of harm [n] (the harmonic novelty row, its newest w hops not filled in yet), where that one
    repeats at least as clearly (see TEMPO_HARM)."""
    grid = np.arange(len(acf))
    peak = float(np.interp(lags, grid, acf).max())
    g = TEMPO_HARM * min(max((FLAT_HI - peak) / (FLAT_HI - FLAT_LO), 0.0), 1.0)
    if g == 0 or elapsed_s < FLAT_AFTER_S or len(harm) <= 3 * w:
        return acf
    harm_acf = autocorr(harm[:-w], fft_n)  # [n - w]
    if harm_acf is None or float(np.interp(lags, grid[: len(harm_acf)], harm_acf, right=0.0).max()) < peak:
        return acf
    return (1 - g) * acf + g * np.concatenate((harm_acf, np.zeros(w)))


def comb_score(acf: np.ndarray, lags: np.ndarray, prior: np.ndarray) -> np.ndarray | None:
    """[L] each candidate period's score: the comb over acf [n] at 1..4 periods and the bar's, times the period's own
    repetition and the prior; None where nothing repeats (one transient, a tone's start, and nothing after it)."""
    grid = np.arange(len(acf))
    at = {k: np.interp(lags * k, grid, acf, right=0.0) for k in (1, 2, 3, 4, 6, 8)}  # [L] at k periods
    score = sum(w * at[k] for k, w in enumerate(COMB, start=1))  # [L]
    score = score + BAR_COMB * np.maximum(at[3] + at[6], at[4] + at[8])
    if score.max() < 1e-6:
        return None
    # 1.5 beats in 3/4 hits the bar at its 2nd and 4th multiples: without its own repetition it is no beat
    return score * at[1] ** FUNDAMENTAL * prior


def three_two(
    hist: np.ndarray,
    best: float,
    at_lag: Callable[[float], float],
    acf: np.ndarray,
    lags: np.ndarray,
    period: float,
    chord_lag: int,
) -> float:
    """2/3 of the period best where best is the dotted beat of a 3+3+2 figure (see LEVEL_*), else 0 (hist [7, n] the
    tracker's history, at_lag a period's comb score, acf [n] the ODF's, period the one followed now, 0 if none)."""
    c = best * 2 / 3
    held = period > 0 and abs(c / period - 1) < 0.04  # the faster level is the one followed now
    if c < lags[0] or at_lag(c) < (LEVEL_HOLD if held else LEVEL_SCORE) * at_lag(best):
        return 0.0
    grid = np.arange(len(acf))
    if np.interp(4 * c, grid, acf, right=0.0) < np.interp(2 * best, grid, acf) + LEVEL_BAR:
        return 0.0
    sig = np.convolve(phase_signal(hist, best, chord_lag), (0.25, 0.5, 0.25), mode="same")  # [n]
    half, third, two_thirds = sub_fits(sig, best)
    if half > LEVEL_OFF or min(third, two_thirds) < LEVEL_ON or sub_fits(sig, c)[0] < LEVEL_ON:
        return 0.0
    return c


def refine(period: float, acf: np.ndarray, lags: np.ndarray) -> float:
    """The period (hops) within 3 % of period whose comb over REFINE_BEATS periods of acf [n] is highest."""
    periods = np.clip(period * (1.0 + np.linspace(-0.03, 0.03, 25)), lags[0], lags[-1])  # [C]
    fine = np.zeros_like(periods)
    for k in range(1, REFINE_BEATS + 1):
        inside = periods * k < len(acf) - 1  # [C]
        fine[inside] += np.interp(periods[inside] * k, np.arange(len(acf)), acf)
    return float(periods[int(np.argmax(fine))])
