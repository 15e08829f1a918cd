"""Stage 4b: one neuron's motif dictionary, from the segments of all its CRMs (section 1.10, reworked).

All segments of a neuron are compared with each other by TOMTOM on both strands, against a background
padded with JASPAR (so p-values are sound however few segments a neuron has). Two segments are similar
when their q-value (Benjamini-Hochberg over the neuron's segment pairs, each pair scored by the larger
of its two directional p-values) is below ``group_q`` and they overlap by at least ``min_overlap`` of
the longer one.

Segments are grouped around **leaders** (:func:`leader_groups`), not by connected components: segments
are taken from the most strongly supported (the largest sum of -log10 p over the segments it is similar
to) down, and each joins the leader it is most similar to, or becomes a leader when it is similar to
none. Single linkage (union-find) chained two motifs through a composite segment that holds both (an
ESRRB+KLF1 segment is similar to ESRRB and to KLF1), and the composite, similar to most, became the
representative of a blur that matched neither TF. A composite is similar to each side only over part
of its width, so its links are weaker than those within a side and it ranks below the members of the
sides; it joins one of their leaders. Every segment lands in exactly one entry. A motif and its reverse
complement are one entry; each occurrence records the strand it reads on.

The representative of an entry is its leader, to which every member is directly similar; every
occurrence is placed in its CRM by its TOMTOM alignment to the representative. When the CRM length is
known, occurrences are clipped to the CRM (:meth:`Occurrence.within`).

This replaces the published iterative build (greedy, overlapping groups, a crash when every CRM is
explained, different representative rules in different steps, TOMTOM on tiny self-databases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .motifs.similarity import Comparison, aligned_columns, similar_pairs
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
        First CRM column the motif covers when read on ``strand``; the motif covers CRM columns
        ``[start, start + width)``. Once clipped (:meth:`within`) this lies in ``[0, crm_length)``.
    width : int
        Columns covered in the CRM (the motif's width unless clipped).
    strand : str
        '+' if the representative reads forward in the CRM, '-' if its reverse complement does.
    clipped : tuple of int
        Motif columns cut off (left, right) because they fell outside the CRM; the whole motif, read on
        ``strand``, spans ``[start - clipped[0], end + clipped[1])``.
    """

    segment: Segment
    motif: int
    start: int
    width: int
    strand: str
    clipped: tuple[int, int] = (0, 0)

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def crm_index(self) -> int:
        return self.segment.crm_index

    @property
    def motif_width(self) -> int:
        """Width of the whole motif (the representative's), clipped columns included."""
        return self.width + self.clipped[0] + self.clipped[1]

    def within(self, crm_length: int) -> Occurrence | None:
        """This occurrence clipped to the CRM's columns ``[0, crm_length)``, or None to drop it.

        The columns outside the CRM are cut off (and recorded in ``clipped``, so the motif's own frame
        is kept); an occurrence with less than half of the motif inside the CRM is dropped, since the
        CRM shows too little of it to place it. Clipping is idempotent.

        Parameters
        ----------
        crm_length : int
            CRM width (bp).
        """
        origin, full_end = self.start - self.clipped[0], self.end + self.clipped[1]
        start, end = max(origin, 0), min(full_end, crm_length)
        if 2 * (end - start) < full_end - origin:
            return None
        if (start, end) == (self.start, self.end):
            return self
        return replace(self, start=start, width=end - start, clipped=(start - origin, full_end - end))

    @property
    def support(self) -> int:
        """Columns of the occurrence that lie on its own segment (bp)."""
        return max(0, min(self.end, self.segment.end) - max(self.start, self.segment.start))


def same_place(a: Occurrence, b: Occurrence) -> bool:
    """Whether two occurrences overlap by at least half of the shorter: one place read twice."""
    return 2 * (min(a.end, b.end) - max(a.start, b.start)) >= min(a.width, b.width)


def place_in_crm(occurrences: list[Occurrence], crm_length: int) -> list[Occurrence]:
    """One CRM's occurrences clipped to it (:meth:`Occurrence.within`), one per place.

    Two occurrences at one place (:func:`same_place`: one site read on both strands, or matched by two
    dictionary motifs) are one reading of the CRM, so only the best supported is kept: the most columns
    on its own segment, then the motif held by more CRMs (the lower index), then the leftmost, then '+'.

    Parameters
    ----------
    occurrences : list of Occurrence
        All in one CRM.
    crm_length : int
        CRM width (bp).

    Returns
    -------
    list of Occurrence, sorted by (start, motif), each within ``[0, crm_length)``, no two at one place.
    """
    placed = [o for o in (occ.within(crm_length) for occ in occurrences) if o is not None]
    kept: list[Occurrence] = []
    for occ in sorted(placed, key=lambda o: (-o.support, o.motif, o.start, o.strand)):
        if not any(same_place(occ, k) for k in kept):
            kept.append(occ)
    return sorted(kept, key=lambda o: (o.start, o.motif))


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


def neighbours(n: int, pairs: Sequence[tuple[int, int]]) -> list[set[int]]:
    """The similarity graph of ``n`` items as adjacency sets, from unordered ``pairs`` (i, j)."""
    out: list[set[int]] = [set() for _ in range(n)]
    for i, j in pairs:
        out[i].add(j)
        out[j].add(i)
    return out


def pair_strength(comparison: Comparison) -> np.ndarray:
    """How strongly each pair is similar: -log10 of the larger of its two directional p-values, (n, n)."""
    p = np.maximum(comparison.p, comparison.p.T)
    return -np.log10(np.clip(p, 1e-300, 1.0))


def leader_groups(order: Sequence[int], similar: Sequence[set[int]], strength: np.ndarray) -> list[list[int]]:
    """Leader clustering: no chaining through members, so every member is similar to its leader.

    Items are taken in ``order``; each joins the leader it is most strongly similar to (largest
    ``strength``, ties: the earlier leader), or becomes a new leader when it is similar to none.

    Parameters
    ----------
    order : sequence of int
        Every item, best supported first (the candidates to lead).
    similar : sequence of set of int
        ``similar[i]``: the items ``i`` is similar to.
    strength : np.ndarray, shape (n, n)
        Symmetric closeness of two items (larger: more similar), e.g. :func:`pair_strength`.

    Returns
    -------
    list of list of int
        One group per leader, in the order leaders were found; each starts with its leader, then its
        members in ``order``.
    """
    groups: dict[int, list[int]] = {}
    for i in order:
        candidates = [lead for lead in groups if lead in similar[i]]
        if candidates:
            groups[max(candidates, key=lambda c: strength[i, c])].append(i)
        else:
            groups[i] = [i]
    return list(groups.values())


def _leader_order(segments: list[Segment], similar: list[set[int]], strength: np.ndarray) -> list[int]:
    """Segments best supported first: total strength of their similar pairs, then how many, then total IC."""
    support = [sum(float(strength[i, j]) for j in similar[i]) for i in range(len(segments))]
    return sorted(range(len(segments)),
                  key=lambda i: (-support[i], -len(similar[i]), -segments[i].mean_ic * segments[i].width, i))


def _occurrences(group: list[int], index: int, segments: list[Segment], comparison: Comparison,
                 crm_length: int | None) -> list[Occurrence]:
    """Each member of a group (leader first) placed in its CRM by its alignment to the leader."""
    rep = group[0]
    width = segments[rep].width
    out = []
    for i in group:
        # the representative (target) aligns to segment i (query) at this offset and strand
        offset, strand = (0, "+") if i == rep else (int(comparison.offset[i, rep]), str(comparison.strand[i, rep]))
        start, _ = aligned_columns(offset, width, segments[i].start)
        occ: Occurrence | None = Occurrence(segments[i], index, start, width, strand)
        if crm_length is not None:
            occ = occ.within(crm_length)
        if occ is not None:
            out.append(occ)
    return out


def build_dictionary(segments: list[Segment], layer: int, neuron: int,
                     config: DictionaryConfig = DictionaryConfig(), crm_length: int | None = None) -> NeuronDictionary:
    """Group a neuron's segments into distinct motifs around leaders.

    Parameters
    ----------
    segments : list of Segment
        All segments of the neuron's CRMs.
    layer, neuron : int
    config : DictionaryConfig
    crm_length : int or None
        CRM width (bp). When given, every occurrence is clipped to ``[0, crm_length)`` and one with less
        than half of the motif inside the CRM is dropped (:meth:`Occurrence.within`); None places
        occurrences unclipped (:func:`~neuronmotif.grammar.build_combinations` clips them anyway).

    Returns
    -------
    NeuronDictionary whose motifs are ordered by the number of CRMs holding them (most first).
    """
    if not segments:
        return NeuronDictionary(layer, neuron, [])
    pairs, comparison = similar_pairs([s.ppm for s in segments], config.group_q, config.min_overlap)
    similar = neighbours(len(segments), pairs)
    strength = pair_strength(comparison)
    groups = leader_groups(_leader_order(segments, similar, strength), similar, strength)
    groups.sort(key=lambda g: (-len({segments[i].crm_index for i in g}), -len(g),
                               segments[g[0]].crm_index, segments[g[0]].start))
    return NeuronDictionary(layer, neuron, [
        DictionaryMotif(layer, neuron, index, segments[group[0]],
                        _occurrences(group, index, segments, comparison, crm_length))
        for index, group in enumerate(groups)])
