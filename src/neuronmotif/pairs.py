"""Questions about one pair of known motifs: where a network combines them, in which order, at which spacing.

:func:`find_pair` reads a pair from the *known-motif sites* of each CRM, not from the dictionary slots
of a combination. A dictionary motif can be a composite (a hard pair fused into one segment) or a blurred
motif whose significant matches include a relative at an overlapping place (ESRRB and, weaker, KLF1 over
the same columns). Reading each slot as "any of its matches" made such a slot stand for either motif,
and two overlapping copies of one site read as a pair in the reverse order. Here every CRM of a
combination is turned into sites:

1. each motif occurrence contributes the known motifs asked about, placed at the columns their TOMTOM
   alignment gives (:func:`~neuronmotif.grammar.known_interval`), with the strand they read on;
2. a site counts only where at least half of it lies on the CRM segment the occurrence was found as:
   an occurrence is placed at its dictionary motif's full width, which can reach past its segment (a
   5-bp segment of an 18-bp composite) and even past the CRM, where the CRM shows nothing;
3. sites are accepted best q-value first; a site that overlaps an accepted one by at least half of the
   shorter motif is the same place read twice (one site on both strands, a relative, a second
   occurrence of a shifted copy) and is dropped; a site that lies mostly outside the CRM is dropped;
4. adjacent accepted sites give the pair's order and the gap between their edges.

A composite motif holding both known motifs side by side thus reports its inner spacing, and one site
is never a pair with itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .annotation import Annotation
from .dictionary import DictionaryMotif
from .grammar import Combination, GapRange, GrammarConfig, Item, covers_known, gap_range, known_interval
from .grammar import orient as orient_strand
from .model import DNAModel
from .names import combination_id
from .sequences import one_hot

#: the orientation of two copies of one motif, from their strands left to right
HOMOTYPIC_ORDERS = {"++": "tandem", "--": "tandem", "+-": "convergent", "-+": "divergent"}


def planted_order(first_id: str, second_id: str) -> str:
    """The order a pair has when planted as written (both motifs on the + strand, first then second)."""
    return "tandem" if first_id == second_id else "forward"


@dataclass(frozen=True)
class PairReport:
    """Two known motifs found adjacent in one combination of one neuron.

    Attributes
    ----------
    layer, neuron : int
    combination : str
        'L<l>_N<n>_S<k>'.
    order : str
        Two different motifs: 'forward' when the first precedes the second reading the first on its +
        strand, else 'reverse'. Two copies of one motif: 'tandem' (both on one strand, -> ->),
        'convergent' (-> <-) or 'divergent' (<- ->).
    gap : GapRange or None
        bp between the edges of the two known motifs.
    n_crms : int
        Observations of the two adjacent in the combination's CRMs (a CRM holding them twice counts twice).
    """

    layer: int
    neuron: int
    combination: str
    order: str
    gap: GapRange | None
    n_crms: int


@dataclass(frozen=True)
class KnownSite:
    """One known motif placed in a CRM (in the frame of the CRM's orientation in its combination).

    Attributes
    ----------
    target_id : str
        Matrix id of the known motif.
    strand : str
        '+' when the known motif reads forward in this frame.
    start, end : int
        CRM columns ``[start, end)`` it covers.
    q_value : float
        Of the dictionary motif's match to it.
    """

    target_id: str
    strand: str
    start: int
    end: int
    q_value: float

    def overlap(self, other: KnownSite) -> int:
        return max(0, min(self.end, other.end) - max(self.start, other.start))


def known_sites(items: list[Item], motifs: list[DictionaryMotif], annotation: Annotation, target_ids: set[str],
                crm_length: int) -> list[KnownSite]:
    """The accepted sites of the known motifs ``target_ids`` in one CRM, sorted by start.

    Parameters
    ----------
    items : list of Item
        The CRM's motif occurrences, in its combination's frame.
    motifs : list of DictionaryMotif
        The neuron's dictionary (``Item.motif`` indexes it).
    annotation : Annotation
        Supplies each dictionary motif's significant known matches.
    target_ids : set of str
        Known motifs to place.
    crm_length : int
        CRM width (bp). A site with less than half its width on its occurrence's segment (inside
        ``[0, crm_length)``) is dropped.
    """
    candidates = []
    for item in items:
        for match in annotation.matches.get(motifs[item.motif].name, []):
            if match.target_id not in target_ids or not covers_known(match):
                continue
            start, end = known_interval(item, match)
            low, high = item.evidence
            if 2 * (min(end, high, crm_length) - max(start, low, 0)) < end - start:
                continue
            candidates.append(KnownSite(match.target_id, orient_strand(item.strand, match.strand), start, end,
                                        match.q_value))
    return accept_sites(candidates)


def accept_sites(candidates: list[KnownSite]) -> list[KnownSite]:
    """Best q-value first, drop every site that overlaps an accepted one by half the shorter; sorted by start."""
    accepted: list[KnownSite] = []
    for site in sorted(candidates, key=lambda s: (s.q_value, s.start, s.target_id)):
        width = site.end - site.start
        if all(2 * site.overlap(a) < min(width, a.end - a.start) for a in accepted):
            accepted.append(site)
    return sorted(accepted, key=lambda s: (s.start, s.target_id))


def adjacent_pairs(sites: list[KnownSite], a_id: str, b_id: str) -> list[tuple[str, int]]:
    """(order, gap in bp) of every adjacent pair of accepted ``sites`` that reads as the pair (a, b)."""
    out = []
    for left, right in zip(sites, sites[1:], strict=False):
        order = pair_order(left, right, a_id, b_id)
        if order is not None:
            out.append((order, right.start - left.end))
    return out


def pair_order(first: KnownSite, second: KnownSite, a_id: str, b_id: str) -> str | None:
    """Order of two adjacent sites (``first`` left of ``second``) read as the pair (a, b), or None.

    Two different motifs must face the same way: a(+) b(+) and b(-) a(-) are 'forward', b(+) a(+) and
    a(-) b(-) 'reverse'. Two copies of one motif are 'tandem' on one strand, 'convergent' for (+) (-)
    and 'divergent' for (-) (+).
    """
    ids = (first.target_id, second.target_id)
    if a_id == b_id:
        if ids != (a_id, a_id):
            return None
        return HOMOTYPIC_ORDERS[first.strand + second.strand]
    if first.strand != second.strand or set(ids) != {a_id, b_id}:
        return None
    forward_on_plus = ids == (a_id, b_id)
    return "forward" if forward_on_plus == (first.strand == "+") else "reverse"


def find_pair(annotation: Annotation, first_id: str, second_id: str) -> list[PairReport]:
    """Every combination of every neuron in which two known motifs are adjacent, with their spacing.

    Parameters
    ----------
    annotation : Annotation
        From :func:`~neuronmotif.annotate.annotate`.
    first_id, second_id : str
        Matrix ids of the known motifs (the same id asks for a homotypic pair). A dictionary motif
        holds a known motif when that motif is among its significant matches (not only the best).

    Returns
    -------
    list of PairReport
        One per combination and order, its gaps pooled over the combination's CRMs.
    """
    return [report for layer, lm in sorted(annotation.layers.items())
            for neuron, combos in sorted(lm.combinations.items())
            for k, combo in enumerate(combos)
            for report in _combination_pairs(annotation, layer, neuron, k, combo, first_id, second_id)]


def _combination_pairs(annotation: Annotation, layer: int, neuron: int, index: int, combo: Combination,
                       a_id: str, b_id: str) -> list[PairReport]:
    """One combination's reports for :func:`find_pair`: the adjacent site pairs of its CRMs, by order."""
    lm = annotation.layers[layer]
    motifs = lm.dictionaries[neuron].motifs
    gaps: dict[str, list[int]] = {}
    for member in combo.members:
        sites = known_sites(member.items, motifs, annotation, {a_id, b_id}, lm.crm_length)
        for order, gap in adjacent_pairs(sites, a_id, b_id):
            gaps.setdefault(order, []).append(gap)
    name = combination_id(layer, neuron, index)
    return [PairReport(layer, neuron, name, order, gap_range(found, annotation.config.grammar), len(found))
            for order, found in sorted(gaps.items())]


def pair_spacing(reports: list[PairReport], neurons: set[tuple[int, int]] | None = None,
                 config: GrammarConfig | None = None) -> GapRange | None:
    """One spacing for a pair over several neurons: their observed gaps pooled, outliers dropped.

    A CNN spreads a flexible spacing over neurons (one holds 2-4 bp, another 4-6 bp), and it also
    learns neurons that fire on the pair at the *wrong* spacing to vote against the task. Pool only
    the neurons that vote for the pair's task (see :meth:`~neuronmotif.model.DNAModel.output_gradients`
    and :func:`task_voters`).

    Parameters
    ----------
    reports : list of PairReport
        From :func:`find_pair`.
    neurons : set of (layer, neuron) or None
        The neurons to pool (None: every report).
    config : GrammarConfig or None
        Outlier rule (None: the defaults).

    Returns
    -------
    GapRange or None when no report is pooled; outliers are dropped as in :func:`~neuronmotif.grammar.gap_range`.
    """
    gaps = [gap for r in reports if r.gap is not None and (neurons is None or (r.layer, r.neuron) in neurons)
            for gap, count in r.gap.counts.items() for _ in range(count)]
    return gap_range(gaps, config or GrammarConfig())


def task_voters(model: DNAModel, layer: int, tokens: np.ndarray, task: int = 0,
                batch: int = 512) -> set[tuple[int, int]]:
    """The neurons of ``layer`` that push output ``task`` up on sequences that carry the task.

    Parameters
    ----------
    model : DNAModel
    layer : int
    tokens : np.ndarray, shape (N, L), uint8
        Sequences as long as the model's input, e.g. the task's positives.
    task : int
        Index of the model output.
    batch : int
        Sequences per forward and backward pass.

    Returns
    -------
    set of (layer, neuron) whose mean gradient (:meth:`~neuronmotif.model.DNAModel.output_gradients`) is > 0.
    """
    total = sum(model.output_gradients(one_hot(tokens[s:s + batch], model.device), layer, [task])[:, 0]
                * len(tokens[s:s + batch]) for s in range(0, len(tokens), batch))
    return {(layer, int(n)) for n in np.flatnonzero(total.cpu().numpy() > 0)}
