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

from .motifs.similarity import UnionFind, aligned_columns, similar_pairs
from .names import motif_name
from .segment import Segment


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
    representative : Segment
        Its PPM is the motif's PPM.
    occurrences : list of Occurrence
    """

    layer: int
    neuron: int
    index: int
    representative: Segment
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def ppm(self) -> np.ndarray:
        """The representative segment's PPM, shape (4, w)."""
        return self.representative.ppm

    @property
    def name(self) -> str:
        return motif_name(self.layer, self.neuron, self.index)

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


def _representative(group: list[int], degree: np.ndarray, segments: list[Segment]) -> int:
    """The member similar to most others in its group; ties: more total information, then first."""
    return min(group, key=lambda i: (-degree[i], -segments[i].mean_ic * segments[i].width, i))


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
    pairs, comparison = similar_pairs([s.ppm for s in segments], config.group_q, config.min_overlap)
    sets = UnionFind(len(segments))
    degree = np.zeros(len(segments), dtype=np.int64)
    for i, j in pairs:
        sets.union(i, j)
        degree[i] += 1
        degree[j] += 1
    groups = [(_representative(g, degree, segments), g) for g in sets.groups()]
    groups.sort(key=lambda rg: (-len({segments[i].crm_index for i in rg[1]}), -len(rg[1]),
                                segments[rg[0]].crm_index, segments[rg[0]].start))
    motifs = []
    for index, (rep, group) in enumerate(groups):
        width = segments[rep].width
        occurrences = []
        for i in group:
            # the representative (target) aligns to segment i (query) at this offset and strand
            offset, strand = (0, "+") if i == rep else (int(comparison.offset[i, rep]), str(comparison.strand[i, rep]))
            start, _ = aligned_columns(offset, width, segments[i].start)
            occurrences.append(Occurrence(segments[i], index, start, width, strand))
        motifs.append(DictionaryMotif(layer, neuron, index, segments[rep], occurrences))
    return NeuronDictionary(layer, neuron, motifs)
