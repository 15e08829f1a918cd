"""Hypotheses from the neurons: which network motifs, alone or in adjacent pairs, the model may rely on.

* every network motif (``motifs.meme``) is a single-motif hypothesis, held by the neurons whose
  dictionaries hold one of its members;
* the network motifs are sorted into **units** and the rest (:func:`decompose`): a short unnamed motif
  inside a longer one is its fragment (the 4-bp halves layer-1 neurons see of a 10-bp site); a long
  motif that holds two or more units side by side is a composite (a deep CRM segment spanning a pair);
  a long motif holding one named unit and named as it is a longer copy;
* every two units adjacent in a syntax tree, or inside a composite, are a pair hypothesis, supported
  by the sequences of the CRMs that hold them. Order and strands are not taken from the trees: the
  model is asked about every order and strand (:mod:`~neuronmotif.rules.verdicts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..annotation import Annotation, NetworkMotif
from ..dictionary import DictionaryMotif
from ..grammar import opposite
from ..motifs import MotifDatabase
from ..motifs.similarity import aligned_columns, compare, palindromic
from ..ppm import CRM

#: TOMTOM p-value below which a unit aligned wholly inside a longer motif is a site of it
FRAGMENT_P = 1e-3
#: motifs narrower than this (bp) are fragments wherever they align inside a longer motif at p < SHORT_P
#: (a 4-bp "name" is no evidence)
MIN_UNIT_WIDTH = 6
SHORT_P = 0.05
#: TOMTOM p-value below which two units are similar (rules that differ only by them are repeats)
SIMILAR_P = 0.01


@dataclass
class PairHypothesis:
    """Two network motifs adjacent in the syntax trees of some neurons.

    Attributes
    ----------
    motifs : tuple of str
        Network motif ids, sorted (the pair is unordered here).
    neurons : set of (layer, neuron)
    support : int
        Sequences of the CRMs that hold the two adjacent (a CRM counts its n_sequences).
    """

    motifs: tuple[str, str]
    neurons: set[tuple[int, int]] = field(default_factory=set)
    support: int = 0


def holders(motif: NetworkMotif) -> set[tuple[int, int]]:
    """(layer, neuron) of every neuron whose dictionary holds a member of ``motif``."""
    return {(m.layer, m.neuron) for m in motif.members}


@dataclass(frozen=True)
class Site:
    """A unit motif found inside a longer network motif.

    Attributes
    ----------
    motif : str
        Network motif id of the unit.
    strand : str
        '+' when the unit reads forward in the longer motif.
    start : int
        Column of the longer motif where the unit starts (may be -1 or reach one column past its end).
    """

    motif: str
    strand: str
    start: int


@dataclass
class Units:
    """How the network motifs relate: units, and what every other motif is made of.

    Attributes
    ----------
    composites : dict of str -> list of Site
        Motifs that hold two or more units side by side (a CRM segment spanning several sites),
        with the units in order.
    cut : set of str
        The composites whose units are pieces cut out of them (:func:`~neuronmotif.rules.sites.cut_known_sites`),
        not units found in them.
    folded : dict of str -> str
        Motif -> the unit it is folded into, with the reason ('fragment of G3', 'longer copy of G2').
    similar : dict of str -> set of str
        Unit -> the other units TOMTOM aligns it to.
    held_by : dict of str -> int
        Network motif -> how many neurons' dictionaries hold it (the network's own motifs are held widely).
    palindromic : set of str
        Units that read alike on both strands (:func:`~neuronmotif.motifs.similarity.palindromic`).
    flipped : set of frozenset of str
        Pairs of similar units that TOMTOM aligns on opposite strands (one is like the other's reverse
        complement).
    """

    composites: dict[str, list[Site]] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)
    folded: dict[str, str] = field(default_factory=dict)
    similar: dict[str, set[str]] = field(default_factory=dict)
    held_by: dict[str, int] = field(default_factory=dict)
    palindromic: set[str] = field(default_factory=set)
    flipped: set[frozenset[str]] = field(default_factory=set)

    def parts(self, motif: str) -> list[str]:
        """The units a network motif stands for: itself, the unit it is folded into, or its sites."""
        if motif in self.composites:
            return [part for s in self.composites[motif] for part in self.parts(s.motif)]
        if motif in self.folded:
            return self.parts(self.folded[motif].split()[-1])
        return [motif]

    def in_place(self, first: tuple[str, str], second: tuple[str, str], gap: int,
                 ppms: dict[str, np.ndarray]) -> str | None:
        """The :attr:`cut` composite motif whose pieces ``first`` then ``second`` ((unit, strand) each) are,
        adjacent and ``gap`` bp apart, read forward or as its reverse complement: the pair inserted so rebuilds
        it (None when no cut composite does). ``ppms``: unit -> (4, w) PPM. A composite whose units were
        found in it (a CRM segment spanning a pair the model learned) is left out: its units at their gap
        there may be that pair."""
        for name in sorted(self.cut):
            sites = self.composites[name]
            for x, y in zip(sites, sites[1:], strict=False):
                forward = (x.motif, x.strand), (y.motif, y.strand)
                reverse = (y.motif, opposite(y.strand)), (x.motif, opposite(x.strand))
                if ((first, second) in (forward, reverse) and x.motif in ppms
                        and y.start - x.start - ppms[x.motif].shape[1] == gap):
                    return name
        return None

    def alike(self, a: str, b: str) -> bool:
        """Whether two units are the same or similar motifs."""
        return a == b or b in self.similar.get(a, set())

    def strand_of(self, a: str, strand: str, b: str) -> str | None:
        """The strand of ``b`` that reads like ``a`` on ``strand`` (None when the two are not alike)."""
        if not self.alike(a, b):
            return None
        return opposite(strand) if frozenset((a, b)) in self.flipped else strand


def _sites(ppm: np.ndarray, units: list[NetworkMotif], p_max: float, max_sites: int = 6) -> list[Site]:
    """Units found in ``ppm`` (4, w) by TOMTOM at p < ``p_max``, masking each site's columns before the next."""
    masked = ppm.copy()
    width = ppm.shape[1]
    found: list[Site] = []
    for _ in range(max_sites if units else 0):
        cmp = compare([masked], [u.representative.ppm for u in units])
        best = None
        for j, unit in enumerate(units):
            w = unit.representative.width
            start = int(-cmp.offset[0, j])
            if (cmp.p[0, j] < p_max and cmp.overlap[0, j] >= w - 1 and start >= -1 and start + w <= width + 1
                    and (best is None or cmp.p[0, j] < cmp.p[0, best[0]])):
                best = (j, start)
        if best is None:
            break
        j, start = best
        found.append(Site(units[j].name, str(cmp.strand[0, j]), start))
        masked[:, max(0, start): start + units[j].representative.width] = 0.25
    return sorted(found, key=lambda s: s.start)


def decompose(annotation: Annotation, cuts: dict[str, list[Site]] | None = None,
              db: MotifDatabase | None = None) -> Units:
    """Units, composites, fragments and copies among the network motifs (shortest first).

    A motif is compared (TOMTOM) with the units found so far, repeatedly, masking each site found (the
    named units first; the unnamed ones only when no named unit lies inside):

    * units narrower than :data:`MIN_UNIT_WIDTH` inside it (p < :data:`SHORT_P`) are its **fragments**;
    * two or more wider units inside it: a **composite** (a CRM segment spanning several sites);
    * one wider unit, unnamed, inside a named or 2-bp longer motif: the unit is a **fragment** of the
      motif, which becomes a unit in its place;
    * one named unit inside a motif that is unnamed, or whose best known match lies on the unit's site
      and is a relative of the unit's TF (their known matrices in ``db`` align, :func:`_relatives`: a
      site read with flanks): the two are copies of one site, and the one held by more neurons (then:
      the better named) stands for both;
    * otherwise the motif is a unit of its own.

    Motifs in ``cuts`` (:func:`~neuronmotif.rules.sites.cut_known_sites`) are composites of their pieces.
    Units that TOMTOM aligns at p < :data:`SIMILAR_P` over half the shorter are **similar**; a unit that
    reads alike on both strands is **palindromic**.
    """
    names = {g.name: _name(annotation, g) for g in annotation.network}
    by_name = {g.name: g for g in annotation.network}
    out = Units(held_by={g.name: len(holders(g)) for g in annotation.network})
    units: list[NetworkMotif] = []
    for motif in sorted(annotation.network, key=lambda g: (g.representative.width, int(g.name[1:]))):
        if cuts and motif.name in cuts:
            out.composites[motif.name] = cuts[motif.name]
            out.cut.add(motif.name)
            continue
        ppm = motif.representative.ppm
        if motif.representative.width >= MIN_UNIT_WIDTH:
            short = [u for u in units if u.representative.width < MIN_UNIT_WIDTH]
            for site in _sites(ppm, short, SHORT_P):
                out.folded[site.motif] = f"fragment of {motif.name}"
            units = [u for u in units if u.name not in out.folded]
        wide = [u for u in units if u.representative.width >= MIN_UNIT_WIDTH]
        sites = _sites(ppm, [u for u in wide if names[u.name]], FRAGMENT_P)
        named = bool(sites)
        sites = sites or _sites(ppm, [u for u in wide if not names[u.name]], FRAGMENT_P)
        if len(sites) >= 2:
            out.composites[motif.name] = sites
            continue
        if len(sites) == 1 and not named:
            out.folded[sites[0].motif] = f"fragment of {motif.name}"
            units = [u for u in units if u.name != sites[0].motif]
        elif len(sites) == 1 and (not names[motif.name]
                                  or (_named_at_site(annotation, motif, sites[0], by_name[sites[0].motif])
                                      and _relatives(annotation, motif, by_name[sites[0].motif], db))):
            inner = by_name[sites[0].motif]
            if _support(annotation, inner) >= _support(annotation, motif):
                out.folded[motif.name] = f"longer copy of {inner.name}"
                continue
            out.folded[inner.name] = f"shorter copy of {motif.name}"
            units = [u for u in units if u.name != inner.name]
        units.append(motif)
    ppms = {u.name: u.representative.ppm for u in units}
    out.similar, out.flipped = similar_units(ppms)
    out.palindromic = {name for name, yes in zip(ppms, palindromic(list(ppms.values())), strict=True) if yes}
    return out


def include_assembled(units: Units, ppms: dict[str, np.ndarray], assembled: list[str]) -> None:
    """Make motifs assembled after decomposition (:mod:`~neuronmotif.rules.assemble`) units: similar to the
    units TOMTOM aligns them to (two assembled readings of one CEBP site are alike), and palindromic
    where they are.

    Parameters
    ----------
    units : Units
        Updated in place.
    ppms : dict of str -> np.ndarray (4, w)
        Every network motif's PPM and the assembled ones'.
    assembled : list of str
        Ids of the assembled motifs.
    """
    if not assembled:
        return
    names = [n for n in ppms if n not in units.folded and n not in units.composites]
    # only the assembled motifs against the units, both ways: the units were compared in decompose
    queries = [ppms[n] for n in assembled]
    targets = [ppms[n] for n in names]
    forward, strand = _aligned(queries, targets, with_strand=True)  # (assembled, names)
    backward, back_strand = _aligned(targets, queries, with_strand=True)
    hit = forward | backward.T
    for i, new in enumerate(assembled):
        for j in np.flatnonzero(hit[i]):
            if names[j] != new:
                units.similar.setdefault(new, set()).add(names[j])
                units.similar.setdefault(names[j], set()).add(new)
                if (strand[i, j] if forward[i, j] else back_strand[j, i]) == "-":
                    units.flipped.add(frozenset((new, names[j])))
    units.palindromic |= {n for n, yes in zip(assembled, palindromic([ppms[n] for n in assembled]), strict=True)
                          if yes}


def _support(annotation: Annotation, motif: NetworkMotif) -> tuple[int, float]:
    """(neurons holding it, -q of its best known match): which of two copies of one site stands for both."""
    best = annotation.best_match(motif.representative)
    return len(holders(motif)), -(best.q_value if best else 1.0)


def _named_at_site(annotation: Annotation, motif: NetworkMotif, site: Site, unit: NetworkMotif) -> bool:
    """Whether ``motif``'s best known match covers at least half of the unit's site inside it."""
    best = annotation.best_match(motif.representative)
    if best is None:
        return False
    start, end = aligned_columns(best.offset, best.target_width)
    width = unit.representative.width
    overlap = min(end, site.start + width) - max(start, site.start)
    return 2 * overlap >= min(width, end - start)


def _relatives(annotation: Annotation, a: NetworkMotif, b: NetworkMotif, db: MotifDatabase | None) -> bool:
    """Whether the best known matches of two named motifs are one TF or relatives, whose matrices in ``db``
    TOMTOM aligns (p < :data:`SIMILAR_P` over half the shorter): CEBPE and CEBPB are, POU5F1 and Sox3 are
    not, though an Oct site's AAACAA aligns to a Sox motif's flank (True without ``db``)."""
    first, second = annotation.best_match(a.representative), annotation.best_match(b.representative)
    if db is None or first is None or second is None or first.target_id == second.target_id:
        return True
    x, y = db.ppm(first.target_id), db.ppm(second.target_id)
    return bool(_aligned([x], [y])[0, 0] or _aligned([y], [x])[0, 0])


def similar_units(ppms: dict[str, np.ndarray]) -> tuple[dict[str, set[str]], set[frozenset[str]]]:
    """Unit id -> the other units TOMTOM aligns it to at p < :data:`SIMILAR_P` over half the shorter
    (either way round), and the similar pairs it aligns on opposite strands. ``ppms``: unit id -> (4, w) PPM."""
    if len(ppms) < 2:
        return {}, set()
    names, matrices = list(ppms), list(ppms.values())
    one_way, strand = _aligned(matrices, matrices, with_strand=True)
    hit = one_way | one_way.T
    similar = {name: {names[j] for j in np.flatnonzero(hit[i]) if j != i} for i, name in enumerate(names)}
    flipped = {frozenset((names[i], names[j])) for i, j in zip(*np.nonzero(hit), strict=True)
               if i < j and (strand[i, j] if one_way[i, j] else strand[j, i]) == "-"}
    return similar, flipped


def _aligned(queries: list[np.ndarray], targets: list[np.ndarray], with_strand: bool = False):
    """(Q, T) bool: TOMTOM aligns query to target at p < :data:`SIMILAR_P` over half the shorter of the two
    (and, ``with_strand``, the (Q, T) strand of the target it aligns)."""
    cmp = compare(queries, targets)
    shorter = np.minimum(np.array([q.shape[1] for q in queries])[:, None],
                         np.array([t.shape[1] for t in targets])[None, :])
    hit = (cmp.p < SIMILAR_P) & (2 * cmp.overlap >= shorter)
    return (hit, cmp.strand) if with_strand else hit


def _name(annotation: Annotation, motif: NetworkMotif) -> str:
    best = annotation.best_match(motif.representative)
    return best.target_name if best else ""


def _copies_held(motifs: list[DictionaryMotif], network: dict[str, str], units: Units,
                 crms: list[CRM]) -> dict[str, int]:
    """Unit -> the sequences of the neuron's CRMs that hold two or more copies of it (anywhere in the CRM).

    ``motifs``: the neuron's dictionary motifs; ``network``: dictionary motif name -> network motif id;
    ``crms``: the neuron's CRMs by index. A CRM holding the unit once is no evidence of a pair of copies.
    """
    copies: dict[tuple[str, int], int] = {}
    for m in motifs:
        for part in set(units.parts(network[m.name])) if m.name in network else ():
            for o in m.occurrences:
                copies[part, o.segment.crm_index] = copies.get((part, o.segment.crm_index), 0) + 1
    held: dict[str, int] = {}
    for (part, crm), count in copies.items():
        if count >= 2:
            held[part] = held.get(part, 0) + crms[crm].n_sequences
    return held


def pair_hypotheses(annotation: Annotation, units: Units) -> list[PairHypothesis]:
    """Every two units adjacent in a syntax tree or inside a composite motif, most supported first.

    Adjacent slots of a combination give every pair of a unit of the one and a unit of the other (the
    model decides order and strand); a composite gives its adjacent sites; a unit that a top-layer CRM holds
    twice or more is also paired with itself (two copies the CRMs place at windows far apart, as in a
    positional model, need not be adjacent in one tree). Support: the sequences of the CRMs holding them.
    """
    network = {m.name: g.name for g in annotation.network for m in g.members}
    found: dict[tuple[str, str], PairHypothesis] = {}

    def add(a: str, b: str, neuron: tuple[int, int], support: int) -> None:
        hyp = found.setdefault(tuple(sorted((a, b))), PairHypothesis(tuple(sorted((a, b)))))
        hyp.neurons.add(neuron)
        hyp.support += support

    for layer, lm in sorted(annotation.layers.items()):
        crms = {r.neuron: r.crms for r in lm.neurons}
        for neuron, dictionary in sorted(lm.dictionaries.items()):
            for m in dictionary.motifs:
                parts = units.parts(network[m.name]) if m.name in network else []
                weight = sum(crms[neuron][o.segment.crm_index].n_sequences for o in m.occurrences)
                for a, b in zip(parts, parts[1:], strict=False):
                    add(a, b, (layer, neuron), weight)
            if layer == max(annotation.layers):  # the top layer may pair copies of one motif anywhere
                for part, weight in _copies_held(dictionary.motifs, network, units, crms[neuron]).items():
                    add(part, part, (layer, neuron), weight)
            names = [m.name for m in dictionary.motifs]
            for combo in lm.combinations.get(neuron, []):
                for j in range(len(combo.keys) - 1):
                    left, right = (names[combo.keys[j + k][0]] for k in (0, 1))
                    if left not in network or right not in network:
                        continue
                    holding = [m for m in combo.members if j in m.slots and j + 1 in m.slots]
                    weight = sum(crms[neuron][m.crm_index].n_sequences for m in holding)
                    for a in set(units.parts(network[left])):
                        for b in set(units.parts(network[right])):
                            if holding:
                                add(a, b, (layer, neuron), weight)
    return sorted(found.values(), key=lambda h: (-h.support, -len(h.neurons), h.motifs))
