"""One site cut in pieces: cooperative pairs whose cores overlap become one assembled motif.

A deep CRM is cut into motifs where its information falls under 1 bit, so a long site with weak middle
columns (CTCF's 19 bp) reaches the network's motifs as two or three pieces. Inserted side by side at
an overlapping gap, the pieces rebuild the site and the model answers far more than to either piece:
a significant, cooperative pair whose cores overlap at the peak. That is not a pair of sites but one
site, when the two pieces as the model saw them at the peak (:func:`~neuronmotif.rules.select.arrangement_ppm`)
match a known motif that lies on both pieces, and neither piece is a whole site of that motif by itself
(two FOX sites overlapping by a base match a FOX matrix across their junction, yet are two sites): such a
pair becomes a **single-motif rule** of the
*assembled motif*, named by that match and given the next network-motif id, so every motif a rule names
is in ``motifs.meme``. An unnamed hybrid stays a rejected hypothesis (one hybrid site, not a pair).

A palindromic site (CEBP's ATTGC|GCAAT) reaches the network's motifs as its half, the same motif on both
strands; the model wants the half facing itself side by side. Such a pair is assembled the same way
(a known motif on both halves, neither half whole); an unnamed one stays a pair, since two copies of one
motif can face each other as two sites.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..annotation import Annotation
from ..dictionary import DictionaryMotif
from ..grammar import orient
from ..motifs import Match, MotifDatabase, match_known
from ..motifs.similarity import aligned_columns, compare
from .config import RulesConfig
from .derived import DerivedMotif, held_network_motif
from .hypotheses import PairHypothesis
from .rule import Rule
from .select import arrangement_ppm, is_hybrid, is_significant_pair


def _parts_label(rule: Rule) -> str:
    v = rule.verdict
    return f"{v.motifs[0]}({v.strands[0]}) -[{v.peak_gap} bp]- {v.motifs[1]}({v.strands[1]})"


def assemble_hybrids(candidates: list[Rule], ppms: dict[str, np.ndarray], first_layers: dict[str, int],
                     db: MotifDatabase, config: RulesConfig, match_q: float) -> tuple[list[Rule], list[DerivedMotif]]:
    """Replace every cooperative hybrid pair among ``candidates`` by a single-motif rule of its assembled motif.

    Parameters
    ----------
    candidates : list of Rule
        Measured hypotheses with their q-values.
    ppms : dict of str -> np.ndarray (4, w)
        Network motif id -> PPM (the pieces).
    first_layers : dict of str -> int
        Network motif id -> its first layer.
    db : MotifDatabase
        Known motifs that name the assembled motifs.
    config : RulesConfig
    match_q : float
        q-value below which a known match names a motif.

    Returns
    -------
    (list of Rule, list of DerivedMotif)
        The candidates with the assembled hybrids replaced (in the same order), and the assembled motifs,
        numbered after the highest network motif id in ``ppms`` in that order.
    """
    hybrids = [r for r in candidates if (is_hybrid(r, config) or is_significant_pair(r, config) and _faces_itself(r))
               and (r.verdict.cooperativity or 0) >= config.min_cooperativity]  # the pieces need each other
    if not hybrids:
        return candidates, []
    next_id = max(int(name[1:]) for name in ppms) + 1
    names = [f"hybrid{i}" for i in range(len(hybrids))]
    built = {name: arrangement_ppm(r.verdict, ppms) for name, r in zip(names, hybrids, strict=True)}
    matches = match_known(built, db, match_q, top=1)
    assembled, replaced = [], {}
    for key, rule in zip(names, hybrids, strict=True):
        best = matches[key][0] if matches.get(key) else None
        if best is None or not _spans_both(best, rule, ppms) or _a_piece_is_whole(best, rule, ppms, db):
            continue
        match = replace(best, query=f"G{next_id + len(assembled)}")
        motif = DerivedMotif(match.query, built[key], f"assembled from {_parts_label(rule)}", match,
                             sorted(rule.holders), min(first_layers[m] for m in rule.verdict.motifs),
                             tuple(dict.fromkeys(rule.verdict.motifs)))
        assembled.append(motif)
        replaced[id(rule)] = _single_rule(rule, motif)
    return [replaced.get(id(r), r) for r in candidates], assembled


#: largest peak gap (bp) at which one motif facing itself can be the two halves of one palindromic site
PALINDROME_GAP = 1


def _faces_itself(rule: Rule) -> bool:
    """One motif facing itself (on opposite strands) side by side at the peak: possibly a palindromic site
    (CEBP's TTGC|GCAA, an E-box) whose halves the CRMs hold as one half-site motif. Assembled only when a
    known motif spans both halves and neither half is a whole site of it."""
    v = rule.verdict
    return v.motifs[0] == v.motifs[1] and v.strands[0] != v.strands[1] and (v.peak_gap or 0) <= PALINDROME_GAP


#: columns of each piece the assembled motif's known match must cover
MIN_SPAN = 3


def _spans_both(match: Match, rule: Rule, ppms: dict[str, np.ndarray]) -> bool:
    """Whether the known match lies on both pieces (at least :data:`MIN_SPAN` columns of each outside their
    overlap): the pieces rebuild one known site, rather than one of them carrying a site of its own."""
    start, end = aligned_columns(match.offset, match.target_width)
    first_width = ppms[rule.verdict.motifs[0]].shape[1]
    second_start = first_width + (rule.verdict.peak_gap or 0)
    second_end = second_start + ppms[rule.verdict.motifs[1]].shape[1]
    first_only = min(end, second_start) - max(start, 0)  # the second piece's columns win the overlap
    second_only = min(end, second_end) - max(start, first_width)
    return first_only >= MIN_SPAN and second_only >= MIN_SPAN


#: a piece that TOMTOM aligns to the known motif (p < WHOLE_P) over this share of the known motif's width
#: is a whole site of it already (CTCF's pieces hold about half of it each)
WHOLE_SHARE = 0.75
WHOLE_P = 0.01


def _a_piece_is_whole(match: Match, rule: Rule, ppms: dict[str, np.ndarray], db: MotifDatabase) -> bool:
    """Whether either piece alone holds the whole known site: then the pieces are two sites at a tight gap
    (a homotypic pair), not one site cut in two."""
    target = db.ppm(match.target_id)
    cmp = compare([ppms[m] for m in dict.fromkeys(rule.verdict.motifs)], [target])
    return bool(((cmp.p[:, 0] < WHOLE_P) & (cmp.overlap[:, 0] >= WHOLE_SHARE * target.shape[1])).any())


def partners_of_assembled(rules: list[Rule], assembled: list[DerivedMotif]) -> list[PairHypothesis]:
    """Pairs of each assembled motif with the partners of its pieces: for every pair rule of a piece and
    another motif, the same pair with the whole site in the piece's place, held by the same neurons.

    A palindromic or dimeric site (NFKB's GGGRA|TTCCC) can reach the network's motifs as its half only; the
    trees then pair the half with its partner, and the model answers that pair weakly and at a spread of
    gaps (a half site can sit on either side of the other). The model is asked about the whole site too;
    :func:`~neuronmotif.rules.select.select_rules` keeps whichever it answers more as the rule (the other
    is a repeat of it: an assembled motif is similar to its pieces). Only pairs that are rules are asked
    again: a piece's partner that merely lends it a flank (a weaker part of the whole site) is none.

    Parameters
    ----------
    rules : list of Rule
        The rules a selection without the new pairs reports.
    assembled : list of DerivedMotif
    """
    found: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for motif in assembled:
        for rule in rules:
            motifs = set(rule.verdict.motifs)
            if len(rule.verdict.motifs) == 2 and motifs & set(motif.pieces):
                for partner in motifs - set(motif.pieces):
                    found.setdefault((motif.name, partner), set()).update(rule.holders)
    return [PairHypothesis(tuple(sorted(pair)), neurons) for pair, neurons in sorted(found.items())]


#: index of an assembled motif's stand-in in its first piece's neuron (cut pieces use 1000 + k)
ASSEMBLED_INDEX = 2000


def with_assembled(annotation: Annotation, assembled: list[DerivedMotif]) -> Annotation:
    """A copy of the annotation with every assembled motif as a network motif, so that rules name it like any
    other: its representative stands in the neuron of its first piece's representative, it is held by the
    neurons that held its pieces' pair, and its known match is the one that named it."""
    by_id = {g.name: g for g in annotation.network}
    network, matches = list(annotation.network), dict(annotation.matches)
    for motif in assembled:
        base = by_id[motif.pieces[0]].representative
        segment = replace(base.representative, end=base.representative.start + motif.ppm.shape[1], ppm=motif.ppm)
        index = ASSEMBLED_INDEX + int(motif.name[1:])
        rep = DictionaryMotif(base.layer, base.neuron, index, segment)
        network.append(held_network_motif(motif.name, rep, motif.holders, motif.first_layer))
        matches[rep.name] = [replace(motif.match, query=rep.name)] if motif.match else []
    return replace(annotation, network=network, matches=matches)


def _single_rule(pair: Rule, motif: DerivedMotif) -> Rule:
    """The pair's verdict read as one motif: inserted together at the peak gap is inserting the site."""
    verdict = replace(pair.verdict, motifs=(motif.name,), strands=("+",), gap_range=None, peak_gap=None,
                      cooperativity=None, curve={})
    best = motif.match
    label = f"{best.target_name}({orient('+', best.strand)})" if best else f"{motif.name}(+)"
    return Rule(verdict, (best.target_name if best else "",), None, pair.q_value, pair.holders, label)


__all__ = ["assemble_hybrids", "partners_of_assembled", "with_assembled"]
