"""Stage 4b: one neuron's motif dictionary, from the segments of all its CRMs (section 1.10, reworked).

All segments of a neuron are compared with each other by TOMTOM on both strands, against a background
padded with JASPAR (so p-values are sound however few segments a neuron has). Two segments are the same
motif when their q-value (Benjamini-Hochberg over the neuron's segment pairs, each pair scored by the
larger of its two directional p-values) is below ``group_q`` and they overlap by at least half the
longer one (so a composite segment holding two motifs does not chain them into one group). Groups
are the connected components of that relation (union-find), so grouping is transitive and every
segment lands in exactly one entry. A motif and its reverse complement are one
entry; each occurrence records the strand it reads on.

The representative of an entry is its best-supported member: the segment similar to most others in
its group, ties broken by total information content. Every occurrence is then placed in its CRM by its
TOMTOM alignment to the representative.

This replaces the published iterative build (greedy, overlapping groups, a crash when every CRM is
explained, different representative rules in different steps, TOMTOM on tiny self-databases).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ppm import information_content
from .segment import Segment
from .similarity import UnionFind, similar_pairs


@dataclass(frozen=True)
class DictionaryConfig:
    """Parameters of motif grouping.

    Attributes
    ----------
    group_q : float
        q-value below which two segments are the same motif.
    min_overlap : float
        Aligned columns needed, as a share of the longer motif.
    """

    group_q: float = 0.01
    min_overlap: float = 0.5


@dataclass(frozen=True)
class Occurrence:
    """A dictionary motif placed in one CRM.

    Attributes
    ----------
    segment : Segment
        The CRM segment it was found as.
    motif : int
        0-based index in the neuron's dictionary.
    start : int
        CRM column where the motif's (representative's) column 0 sits when read on ``strand``; the motif
        covers CRM columns ``[start, start + width)``. May be negative near the CRM's edge.
    width : int
    strand : str
        '+' if the representative reads forward in the CRM, '-' if its reverse complement does.
    """

    segment: Segment
    motif: int
    start: int
    width: int
    strand: str

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def crm_index(self) -> int:
        return self.segment.crm_index


@dataclass
class DictionaryMotif:
    """One distinct motif of a neuron.

    Attributes
    ----------
    layer, neuron, index : int
    ppm : np.ndarray, shape (4, w)
        The representative segment's PPM.
    representative : Segment
    occurrences : list of Occurrence
    """

    layer: int
    neuron: int
    index: int
    ppm: np.ndarray
    representative: Segment
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"L{self.layer}_N{self.neuron}_M{self.index}"

    @property
    def width(self) -> int:
        return self.ppm.shape[1]

    @property
    def n_crms(self) -> int:
        return len({o.crm_index for o in self.occurrences})

    def strand_counts(self) -> dict[str, int]:
        return {s: sum(o.strand == s for o in self.occurrences) for s in "+-"}


@dataclass
class NeuronDictionary:
    """The distinct motifs of one neuron and where each CRM holds them."""

    layer: int
    neuron: int
    motifs: list[DictionaryMotif]

    def occurrences_by_crm(self) -> dict[int, list[Occurrence]]:
        """CRM index -> its motif occurrences sorted by start."""
        out: dict[int, list[Occurrence]] = {}
        for motif in self.motifs:
            for occ in motif.occurrences:
                out.setdefault(occ.crm_index, []).append(occ)
        return {k: sorted(v, key=lambda o: (o.start, o.motif)) for k, v in sorted(out.items())}


def _representative(group: list[int], degree: np.ndarray, total_ic: np.ndarray) -> int:
    return min(group, key=lambda i: (-degree[i], -total_ic[i], i))


def build_dictionary(segments: list[Segment], layer: int, neuron: int,
                     config: DictionaryConfig = DictionaryConfig()) -> NeuronDictionary:
    """Group a neuron's segments into distinct motifs.

    Parameters
    ----------
    segments : list of Segment
        All segments of the neuron's CRMs.
    layer, neuron : int

    Returns
    -------
    NeuronDictionary whose motifs are ordered by the number of CRMs holding them (most first).
    """
    if not segments:
        return NeuronDictionary(layer, neuron, [])
    ppms = [s.ppm for s in segments]
    pairs, comparison = similar_pairs(ppms, config.group_q, config.min_overlap)
    sets = UnionFind(len(segments))
    degree = np.zeros(len(segments), dtype=np.int64)
    for i, j in pairs:
        sets.union(i, j)
        degree[i] += 1
        degree[j] += 1
    total_ic = np.array([information_content(p).sum() for p in ppms])
    motifs = []
    for group in sets.groups():
        rep = _representative(group, degree, total_ic)
        width = segments[rep].width
        occurrences = []
        for i in group:
            seg = segments[i]
            offset, strand = (0, "+") if i == rep else (int(comparison.offset[i, rep]), str(comparison.strand[i, rep]))
            occurrences.append(Occurrence(seg, -1, seg.start - offset, width, strand))
        motifs.append((segments[rep], occurrences))
    motifs.sort(key=lambda m: (-len({o.crm_index for o in m[1]}), -len(m[1]), m[0].crm_index, m[0].start))
    out = []
    for index, (rep, occurrences) in enumerate(motifs):
        placed = [Occurrence(o.segment, index, o.start, o.width, o.strand) for o in occurrences]
        out.append(DictionaryMotif(layer, neuron, index, rep.ppm, rep, placed))
    return NeuronDictionary(layer, neuron, out)
