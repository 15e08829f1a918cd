"""Direct comparison of PPMs: best ungapped alignment by Pearson correlation, both strands.

Used to score a CRM against a planted motif in the demo and tests. (Motif naming against a database
uses TOMTOM through memelite; this module needs no background statistics.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def reverse_complement(ppm: np.ndarray) -> np.ndarray:
    """Reverse complement of a (4, L) PPM with rows A, C, G, T."""
    return ppm[::-1, ::-1].copy()


def align(query: np.ndarray, target: np.ndarray) -> Alignment:
    """Best placement of the shorter of two (4, L) PPMs fully inside the longer, on either strand."""
    best = Alignment(-1.0, 0, "+")
    for strand, q in (("+", query), ("-", reverse_complement(query))):
        short, long_ = (q, target) if q.shape[1] <= target.shape[1] else (target, q)
        w = short.shape[1]
        windows = np.lib.stride_tricks.sliding_window_view(long_, w, axis=1)  # (4, n_off, w)
        a = short.reshape(-1) - short.mean()
        b = windows.transpose(1, 0, 2).reshape(windows.shape[1], -1)
        b = b - b.mean(axis=1, keepdims=True)
        denom = np.linalg.norm(a) * np.linalg.norm(b, axis=1)
        corr = np.where(denom > 0, b @ a / np.maximum(denom, 1e-12), 0.0)
        i = int(corr.argmax())
        if corr[i] > best.correlation:
            best = Alignment(float(corr[i]), i, strand)
    return best
