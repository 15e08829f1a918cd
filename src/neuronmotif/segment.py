"""Stage 4a: cut CRM PPMs into motif segments by information content (section 1.9 of the method).

Steps, for a CRM PPM of shape (4, L) built from n sequences:

1. smooth with ``pseudo`` uniform pseudo-sequences: ``(ppm * n + pseudo * 0.25) / (n + pseudo)``;
2. information content per column **in bits** (the published code used nats here, which is a threshold
   of about 0.56 bits, while its sampling stage used bits);
3. a ``window``-bp moving average; at the two ends the average is over the columns that exist (the
   published code set the end columns to 0, so a motif at the edge of a CRM lost a column);
4. mark columns whose averaged IC exceeds ``ic_min`` bits, widen every marked run by ``flank`` bp on
   each side (runs that touch merge), and keep runs of at least ``min_length`` bp;
5. each segment is the *unsmoothed* PPM over ``[start, end)``; a run that reaches the last column keeps
   it (the published code dropped it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import check_range
from .names import crm_name, segment_name
from .ppm import CRM, information_content


@dataclass(frozen=True)
class SegmentConfig:
    """Parameters of segmentation (defaults as published, in bits).

    Attributes
    ----------
    pseudo : float
        Uniform pseudo-sequences added before computing IC.
    ic_min : float
        Averaged IC (bits) above which a column is part of a motif.
    window : int
        Moving-average width (bp).
    flank : int
        bp added on each side of a marked run.
    min_length : int
        Shortest segment kept (bp).
    """

    pseudo: float = 30.0
    ic_min: float = 1.0
    window: int = 3
    flank: int = 1
    min_length: int = 4

    def __post_init__(self) -> None:
        check_range("SegmentConfig", "ic_min", self.ic_min, 0.0, 2.0)
        check_range("SegmentConfig", "pseudo", self.pseudo, 0.0)
        check_range("SegmentConfig", "window", self.window, 1)
        check_range("SegmentConfig", "flank", self.flank, 0)
        check_range("SegmentConfig", "min_length", self.min_length, 1)


@dataclass(frozen=True)
class Segment:
    """One informative stretch of a CRM.

    Attributes
    ----------
    layer, neuron, crm_index : int
        Where it comes from (``crm_index`` is the CRM's number within its neuron).
    start, end : int
        Columns ``[start, end)`` of the CRM (bp, 0-based).
    ppm : np.ndarray, shape (4, end - start)
    mean_ic : float
        Mean IC (bits) of the segment's columns.
    """

    layer: int
    neuron: int
    crm_index: int
    start: int
    end: int
    ppm: np.ndarray
    mean_ic: float

    @property
    def crm(self) -> str:
        return crm_name(self.layer, self.neuron, self.crm_index)

    @property
    def name(self) -> str:
        return segment_name(self.layer, self.neuron, self.crm_index, self.start, self.end)

    @property
    def width(self) -> int:
        return self.end - self.start


def smoothed_information(ppm: np.ndarray, n_sequences: int, config: SegmentConfig = SegmentConfig()) -> np.ndarray:
    """Steps 1-3: the pseudo-count-smoothed, moving-averaged IC (bits) of each column, shape (L,)."""
    n = max(int(n_sequences), 0)
    smoothed = (ppm * n + config.pseudo * 0.25) / (n + config.pseudo)
    ic = information_content(smoothed)
    kernel = np.ones(config.window)
    return np.convolve(ic, kernel, mode="same") / np.convolve(np.ones_like(ic), kernel, mode="same")


def segment_bounds(ppm: np.ndarray, n_sequences: int, config: SegmentConfig = SegmentConfig()) -> list[tuple[int, int]]:
    """Steps 1-4 on one (4, L) PPM: the ``[start, end)`` column ranges of its motif segments."""
    marked = smoothed_information(ppm, n_sequences, config) > config.ic_min
    if config.flank > 0:
        marked = np.convolve(marked, np.ones(2 * config.flank + 1), mode="same") > 0
    edges = np.diff(np.concatenate([[0], marked.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= config.min_length]


def segment_crm(crm: CRM, layer: int, config: SegmentConfig = SegmentConfig()) -> list[Segment]:
    """All motif segments of one CRM, in column order."""
    ic = information_content(crm.ppm)
    return [Segment(layer, crm.neuron, crm.index, s, e, np.ascontiguousarray(crm.ppm[:, s:e]),
                    float(ic[s:e].mean()))
            for s, e in segment_bounds(crm.ppm, crm.n_sequences, config)]
