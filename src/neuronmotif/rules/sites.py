"""Sites side by side: a long network motif whose known match covers only part of it is a composite.

A deep neuron's CRM segment can span a whole pair (SOX2 and POU5F1 one base apart read as one 22-bp
motif), and its best known match then names only one half, or, the halves diluting each other, nothing.
:func:`cut_known_sites` finds the known motifs inside every long network motif (the best match, then
again with its columns masked, up to :data:`MAX_SITES`); the informative stretches left beside them (at
least :data:`~neuronmotif.rules.hypotheses.MIN_UNIT_WIDTH` columns, three of them of 1 bit) are sites
too, unnamed. A long unnamed motif is cut only when its best match, however weak, and every stretch
beside it match known motifs on their own. When a motif holds two or more sites, each is cut out as a
network motif of its own and the long motif is read as their composite
(:func:`~neuronmotif.rules.hypotheses.decompose`): the model is then asked about the pair at every gap,
order and strand, like any other, and decides whether the long motif is one site or two.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..annotation import Annotation, NetworkMotif
from ..dictionary import DictionaryMotif
from ..motifs import Match, MotifDatabase, match_known
from ..motifs.similarity import aligned_columns
from ..ppm import informative_columns
from .derived import DerivedMotif, held_network_motif
from .hypotheses import MIN_UNIT_WIDTH, Site, holders

#: most known sites looked for in one motif
MAX_SITES = 3
#: index of the first cut piece in its representative's neuron (dictionary motifs count from 0)
PIECE_INDEX = 1000


def _site(match: Match, width: int) -> tuple[int, int]:
    start, end = aligned_columns(match.offset, match.target_width)
    return max(0, start), min(width, end)


def known_sites(annotation: Annotation, db: MotifDatabase,
                match_q: float) -> dict[str, list[tuple[int, int, Match | None]]]:
    """Network motif id -> its sites ``(start, end, known match or None)`` in column order, for every motif
    at least twice :data:`~neuronmotif.rules.hypotheses.MIN_UNIT_WIDTH` wide that holds two or more.

    In a named motif the known sites are the best match and the matches found with the earlier sites'
    columns masked (uniform), each covering at least ``MIN_UNIT_WIDTH`` columns; the unnamed sites are the
    informative stretches between and beside them. An unnamed motif is cut only into known sites, each
    matched on its own (:func:`_known_halves`).
    """
    wide = {g.name: g for g in annotation.network if g.representative.width >= 2 * MIN_UNIT_WIDTH
            and annotation.best_match(g.representative) is not None}
    found: dict[str, list[tuple[int, int, Match | None]]] = {}
    for name, g in wide.items():
        start, end = _site(annotation.best_match(g.representative), g.representative.width)
        if end - start >= MIN_UNIT_WIDTH:
            found[name] = [(start, end, annotation.best_match(g.representative))]
    active = set(found)
    for _ in range(MAX_SITES - 1):
        matches = match_known({name: _masked(wide[name].representative.ppm, found[name]) for name in sorted(active)},
                              db, match_q, top=1) if active else {}
        active = set()
        for name, best in matches.items():
            if not best:
                continue
            start, end = _site(best[0], wide[name].representative.width)
            if end - start >= MIN_UNIT_WIDTH and all(min(end, e) - max(start, s) <= 1 for s, e, _ in found[name]):
                found[name].append((start, end, best[0]))
                active.add(name)
    out = {}
    for name, sites in found.items():
        sites = sites + [(s, e, None) for s, e in _leftovers(wide[name].representative.ppm, sites)]
        if len(sites) >= 2:
            out[name] = sorted(sites, key=lambda site: site[0])
    unnamed = {g.name: g.representative.ppm for g in annotation.network
               if g.representative.width >= 2 * MIN_UNIT_WIDTH and annotation.best_match(g.representative) is None}
    out.update(_known_halves(unnamed, db, match_q))
    return out


def _known_halves(ppms: dict[str, np.ndarray], db: MotifDatabase,
                  match_q: float) -> dict[str, list[tuple[int, int, Match]]]:
    """Unnamed motif id -> its two or more known sites, for unnamed long motifs that are two known motifs
    side by side (a Sox-Oct pair read as one 13-bp motif: neither half's columns leave the other a match
    over the whole). The best known match, however weak, proposes one site; it and each informative
    stretch beside it (:func:`_leftovers`) are cut out and matched on their own, and the motif is cut
    only when every piece then matches a known motif at q < ``match_q``. Matches are in the motif's frame.
    """
    proposed = match_known(ppms, db, 1.0, top=1)
    windows: dict[str, list[tuple[int, int]]] = {}
    for name, best in proposed.items():
        if not best:
            continue
        start, end = _site(best[0], ppms[name].shape[1])
        site = [(start, end, None)]
        if end - start >= MIN_UNIT_WIDTH and (beside := _leftovers(ppms[name], site)):
            windows[name] = sorted([(start, end)] + beside)
    crops = {f"{name}:{k}": ppms[name][:, s:e] for name, cut in windows.items() for k, (s, e) in enumerate(cut)}
    matched = match_known(crops, db, match_q, top=1) if crops else {}
    out: dict[str, list[tuple[int, int, Match]]] = {}
    for name, cut in windows.items():
        found = [matched[f"{name}:{k}"] for k in range(len(cut))]
        if all(found):
            out[name] = [(s, e, replace(m[0], query=name, offset=m[0].offset - s))
                         for (s, e), m in zip(cut, found, strict=True)]
    return out


def _masked(ppm: np.ndarray, sites: list) -> np.ndarray:
    out = ppm.copy()
    for start, end, _match in sites:
        out[:, start:end] = 0.25
    return out


def _leftovers(ppm: np.ndarray, sites: list) -> list[tuple[int, int]]:
    """Stretches ``[start, end)`` outside the sites, at least MIN_UNIT_WIDTH wide with 3 columns of 1 bit,
    trimmed to their first and last informative column."""
    free = np.ones(ppm.shape[1], dtype=bool)
    for start, end, _match in sites:
        free[start:end] = False
    bits = informative_columns(ppm)
    out = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], free.astype(int), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        where = np.flatnonzero(bits[start:end])
        if len(where) >= 3 and where[-1] - where[0] + 1 >= MIN_UNIT_WIDTH:
            out.append((int(start + where[0]), int(start + where[-1] + 1)))
    return out


def _piece(parent: NetworkMotif, start: int, end: int, index: int) -> DictionaryMotif:
    """The parent's representative cut to columns ``[start, end)``, as a motif of the same neuron."""
    rep = parent.representative
    segment = replace(rep.representative, start=rep.representative.start + start,
                      end=rep.representative.start + end, ppm=rep.ppm[:, start:end])
    return DictionaryMotif(rep.layer, rep.neuron, index, segment)


def cut_known_sites(annotation: Annotation, db: MotifDatabase,
                    match_q: float) -> tuple[Annotation, list[DerivedMotif], dict[str, list[Site]]]:
    """The annotation with every site of a long composite motif added as a network motif.

    Parameters
    ----------
    annotation : Annotation
    db : MotifDatabase
        Known motifs (those that named the annotation).
    match_q : float
        q-value below which a known match counts as a site.

    Returns
    -------
    (Annotation, list of DerivedMotif, dict of str -> list of Site)
        A copy with the cut pieces in ``network`` right after their parent (ids after the highest, held by
        the neurons that hold their parent) and their matches; the pieces as the rule stage writes them;
        and each cut motif's pieces in order (its composite reading).
    """
    found = known_sites(annotation, db, match_q)
    next_id = max((int(g.name[1:]) for g in annotation.network), default=0) + 1
    network, matches, derived, cuts = [], dict(annotation.matches), [], {}
    for parent in annotation.network:
        network.append(parent)
        for start, end, match in found.get(parent.name, []):
            name, k = f"G{next_id}", next_id
            next_id += 1
            rep = _piece(parent, start, end, PIECE_INDEX + k)
            network.append(held_network_motif(name, rep, sorted(holders(parent)), parent.first_layer))
            matches[rep.name] = [replace(match, query=rep.name, offset=match.offset + start)] if match else []
            derived.append(DerivedMotif(name, np.array(rep.ppm), f"cut from {parent.name} columns {start}-{end}",
                                        match and matches[rep.name][0], sorted(holders(parent)), parent.first_layer))
            cuts.setdefault(parent.name, []).append(Site(name, "+", start))
    return replace(annotation, network=network, matches=matches), derived, cuts


__all__ = ["cut_known_sites", "known_sites"]
