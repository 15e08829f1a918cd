"""Where a pair works: its range of gaps from the interaction curve, and the statistics that decide it.

* :func:`gap_span`: the core of gaps around the peak (at least ``half_max`` of it, and either
  :data:`NEAR_PEAK` of it or not significantly lower on the same backgrounds); a core of :data:`PLATEAU`
  gaps or more is a plateau whose range runs on to half the peak;
* :func:`settle_two_gaps`: a core of two gaps, read again on fresh backgrounds, is one gap (a hard spacing)
  unless the other is not significantly lower (:data:`HARD_P`).
"""

from __future__ import annotations

import numpy as np

#: a gap with at least this share of the peak's interaction is in the range's core even if significantly lower
NEAR_PEAK = 0.75
#: a core of at least this many gaps is a flexible pair's plateau, whose range runs on to half the peak
PLATEAU = 3
#: a core of two gaps is one (a hard spacing) when the weaker's interaction on fresh backgrounds is lower than
#: the stronger's at this one-sided p (:func:`settle_two_gaps`)
HARD_P = 0.01


def one_sided_p(values: np.ndarray) -> np.ndarray:
    """One-sided p (mean > 0) of each column of (N, R) paired differences."""
    from scipy.stats import ttest_1samp

    with np.errstate(invalid="ignore", divide="ignore"):
        p = ttest_1samp(values, 0.0, axis=0, alternative="greater").pvalue
    return np.where(np.isfinite(p), p, 1.0)


def _run_around(ok: np.ndarray, peak: int, bridge: bool = True) -> tuple[int, int]:
    """Indices (first, last) of the contiguous run of ``ok`` around ``peak``; with ``bridge``, one failing
    index between two that pass is bridged."""
    low = high = peak
    while low > 0 and (ok[low - 1] or (bridge and low > 1 and ok[low - 2])):
        low -= 1 if ok[low - 1] else 2
    while high < len(ok) - 1 and (ok[high + 1] or (bridge and high < len(ok) - 2 and ok[high + 2])):
        high += 1 if ok[high + 1] else 2
    return low, high


def gap_span(gaps: np.ndarray, each: np.ndarray, half_max: float, p_lower: float = 0.01) -> tuple[int, int, int]:
    """(low, high, peak) of the gaps where a pair works.

    Parameters
    ----------
    gaps : np.ndarray, shape (G,)
        Sorted gaps (bp).
    each : np.ndarray, shape (G, N)
        The interaction at each gap's best configuration on each background (the same backgrounds).
    half_max : float
        A gap's mean must reach this share of the peak's.
    p_lower : float
        A gap under :data:`NEAR_PEAK` of the peak whose interaction is lower than the peak's on the same
        backgrounds at this one-sided p-value (paired t-test) is out of the core: a hard spacing's
        neighbours that keep 60-70% of the response are not where the pair works.

    The **core** is the contiguous run around the peak of gaps that pass both. A core of one or two gaps
    that pass is the range (a core of two is then settled on fresh backgrounds by :func:`settle_two_gaps`,
    where the caller has them). A core of :data:`PLATEAU` or more is a flexible
    pair's plateau, and its range runs on to where the response falls under ``half_max`` of the peak (its
    full width at half maximum): a model that learned a window of spacings answers its ends less
    strongly, not less surely (the published demo2 design read 19-42 bp for its planted 14-44 otherwise).
    """
    means = each.mean(axis=1)
    peak = int(np.argmax(means))
    lower = one_sided_p((each[peak][None, :] - each).T)
    high_enough = means >= half_max * means[peak]
    ok = high_enough & ((lower >= p_lower) | (means >= NEAR_PEAK * means[peak]))
    ok[peak] = high_enough[peak] = True
    low, high = _run_around(ok, peak)
    if ok[low: high + 1].sum() >= PLATEAU:  # gaps that pass, not one bridged over a dip
        low, high = _run_around(high_enough, peak, bridge=False)  # a width at half maximum ends where it falls
    return int(gaps[low]), int(gaps[high]), int(gaps[peak])


def settle_two_gaps(peak: tuple[int, tuple], other: tuple[int, tuple], judge: int,
                    p_lower: float = HARD_P) -> tuple[int, tuple, bool]:
    """Of a core of two neighbouring gaps, which one the pair works at, or whether it works at both.

    Parameters
    ----------
    peak, other : (gap (bp), (together (N, R), interaction (N, R), start))
        The scan's peak and its neighbour in the core, each read on the same fresh backgrounds and fresh
        instances (:func:`~neuronmotif.rules.insertion.paired_effects`).
    judge : int
        Column of the judging readout.
    p_lower : float
        One-sided p (paired t-test) below which the weaker gap's interaction is lower than the stronger's.

    Returns
    -------
    (gap, its reading, alike)
        The gap of the larger mean interaction on the fresh backgrounds, its reading, and whether the other
        gap is not significantly lower (then both are the range; else the stronger is a hard spacing: a
        hard pair's neighbour keeps much of its response through pooling without being where it works).
    """
    stronger, weaker = sorted((peak, other), key=lambda g: -g[1][1][:, judge].mean())
    lower = float(one_sided_p((stronger[1][1][:, judge] - weaker[1][1][:, judge])[:, None])[0])
    return stronger[0], stronger[1], lower >= p_lower
