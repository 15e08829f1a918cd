"""Direct comparison of PPMs: best ungapped alignment by Pearson correlation, both strands.

Used by the tests to score a CRM against a planted motif. (Motif naming against a database
uses TOMTOM through memelite; this module needs no background statistics.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuronmotif.sequences import reverse_complement


@dataclass(frozen=True)
class Alignment:
    """Where a query PPM sits best in a target PPM.

    Attributes
    ----------
    correlation : float
        Pearson correlation of the aligned (4, w) blocks (w = the shorter length).
    offset : int
        Start of the shorter motif within the longer one (bp).
    strand : str
        '+' or '-' (the query's reverse complement aligned).
    """

    correlation: float
    offset: int
    strand: str


def _offset_correlations(query: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of the shorter PPM with every window of the longer, (n_offsets,)."""
    short, long_ = (query, target) if query.shape[1] <= target.shape[1] else (target, query)
    w = short.shape[1]
    windows = np.lib.stride_tricks.sliding_window_view(long_, w, axis=1)  # (4, n_off, w)
    a = short.reshape(-1) - short.mean()
    b = windows.transpose(1, 0, 2).reshape(windows.shape[1], -1)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.linalg.norm(a) * np.linalg.norm(b, axis=1)
    return np.where(denom > 0, b @ a / np.maximum(denom, 1e-12), 0.0)


def _oriented(query: np.ndarray, strand: str) -> np.ndarray:
    return query if strand == "+" else reverse_complement(query)


def align(query: np.ndarray, target: np.ndarray, strands: str = "+-") -> Alignment:
    """Best placement of the shorter of two (4, L) PPMs fully inside the longer.

    ``strands`` '+-' tries the query and its reverse complement, '+' or '-' only one.
    """
    best = Alignment(-1.0, 0, "+")
    for strand in strands:
        corr = _offset_correlations(_oriented(query, strand), target)
        i = int(corr.argmax())
        if corr[i] > best.correlation:
            best = Alignment(float(corr[i]), i, strand)
    return best


def occurrences(motif: np.ndarray, ppm: np.ndarray, strand: str = "+", threshold: float = 0.7) -> list[Alignment]:
    """Non-overlapping placements of ``motif`` (4, w) in a longer ``ppm`` (4, L) with r >= threshold.

    Greedy non-maximum suppression: the best placement first, then the best one not overlapping it, etc.
    """
    if ppm.shape[1] < motif.shape[1]:
        return []
    corr = _offset_correlations(_oriented(motif, strand), ppm)
    w, found = motif.shape[1], []
    for i in np.argsort(-corr, kind="stable"):
        if corr[i] < threshold:
            break
        if all(abs(int(i) - f.offset) >= w for f in found):
            found.append(Alignment(float(corr[i]), int(i), strand))
    return sorted(found, key=lambda a: a.offset)


@dataclass(frozen=True)
class PairPlacement:
    """Two motifs found in one PPM, in the orientation where the first motif reads forward.

    Attributes
    ----------
    correlation : float
        The weaker of the two motifs' alignment correlations.
    gap : int
        bp between the two motifs (negative when they overlap).
    strand : str
        '+' if the pair reads forward in the PPM, '-' if on its reverse complement.
    order : str
        'forward' (the second motif follows the first) or 'reverse' (it precedes it).
    """

    correlation: float
    gap: int
    strand: str
    order: str = "forward"


def place_pair(ppm: np.ndarray, first: np.ndarray, second: np.ndarray, threshold: float = 0.7) -> PairPlacement:
    """The best adjacent placement of two motifs in a (4, L) PPM, both on the same strand.

    Occurrences of each motif (r >= ``threshold``) are found on each strand; every occurrence of the
    first motif is paired with the nearest occurrence of the second one downstream of it (in the
    orientation where the first reads forward), so a CRM holding a motif twice is read as the grammar it
    shows. When the second motif never follows the first, the nearest upstream pair is reported with
    ``order='reverse'``. The score is the weaker of the two correlations.
    """
    w1, w2, length = first.shape[1], second.shape[1], ppm.shape[1]
    downstream: list[PairPlacement] = []
    upstream: list[PairPlacement] = []
    for strand in "+-":
        for a in occurrences(first, ppm, strand, threshold):
            for b in occurrences(second, ppm, strand, threshold):
                # start of each motif in the orientation where the first motif reads forward
                a_start = a.offset if strand == "+" else length - a.offset - w1
                b_start = b.offset if strand == "+" else length - b.offset - w2
                score = min(a.correlation, b.correlation)
                if b_start >= a_start:
                    downstream.append(PairPlacement(score, b_start - a_start - w1, strand))
                else:
                    upstream.append(PairPlacement(score, a_start - b_start - w2, strand, "reverse"))
    candidates = downstream or upstream
    if not candidates:
        return PairPlacement(-1.0, 0, "+")
    return min(candidates, key=lambda p: (abs(p.gap), -p.correlation))
