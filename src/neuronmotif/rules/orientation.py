"""Which orders and strands of two units the neurons' CRMs hold: the trees' evidence on an arrangement.

The model is asked about every order and strand of a pair, and a saturating readout (a sigmoid near 1)
or a lax filter can answer two arrangements almost alike although the model only ever saw one. The CRMs
say which one the neurons were built for: every two occurrences of units in one CRM are an arrangement
(the first unit on its strand, then the second on its, read along the CRM; an arrangement and its
reverse complement are one), weighted by the sequences the CRM holds; an occurrence of a composite is
read as its sites, and one of a fragment or copy as the unit it is folded into (basset-B's CRMs hold the
planted FOXA2 tandem as a 13-bp FOX unit beside its shorter copy: read as two motifs, the tandem was
never seen and one divergent CRM overruled the model).
"""

from __future__ import annotations

from collections import Counter

from ..annotation import Annotation
from ..motifs.similarity import aligned_columns, compare
from .hypotheses import Units

Arrangement = tuple[str, str, str, str]

_FLIP = {"+": "-", "-": "+"}


def canonical(key: Arrangement) -> Arrangement:
    """One name for an arrangement ``(first, strand, second, strand)`` and its reverse complement."""
    twin = (key[2], _FLIP[key[3]], key[0], _FLIP[key[1]])
    return min(key, twin)


def _is_unit(name: str, units: Units) -> bool:
    return name not in units.folded and name not in units.composites


def _member_placements(annotation: Annotation, units: Units) -> dict[str, tuple[str, str, int, int]]:
    """Dictionary motif name -> (network motif, its strand relative to that motif's representative, and the
    columns ``[lo, hi)`` the representative covers in the member's own frame, by TOMTOM), for the members of
    units, of composites and of the motifs folded into a unit (a fragment or a copy of a site is an
    occurrence of that site, read as the unit it is folded into, where TOMTOM places the unit)."""
    by_name = {g.name: g for g in annotation.network}
    out: dict[str, tuple[str, str, int, int]] = {}
    for g in annotation.network:
        target = g.name
        if g.name in units.folded:
            parts = units.parts(g.name)
            if len(parts) != 1:
                continue
            target = parts[0]
        representative = by_name[target].representative
        cmp = compare([m.ppm for m in g.members], [representative.ppm])
        for i, member in enumerate(g.members):
            lo, hi = aligned_columns(int(cmp.offset[i, 0]), representative.width)
            out[member.name] = (target, str(cmp.strand[i, 0]), lo, hi)
    return out


def _distinct_sites(found: list[tuple[int, str, str]], widths: dict[str, int]) -> list[tuple[int, str, str]]:
    """Sorted sites of one CRM, one per place: a unit read again within half its width of an earlier
    reading (a site and its folded copy, or one site on both strands) is the same site, not a pair."""
    kept: list[tuple[int, str, str]] = []
    for site in sorted(found):
        start, unit, _ = site
        if any(u == unit and abs(start - s) * 2 < widths[unit] for s, u, _ in kept):
            continue
        kept.append(site)
    return kept


def _sites_read(motif: str, start: int, strand: str, widths: dict[str, int],
                units: Units) -> list[tuple[int, str, str]]:
    """(CRM column, unit, strand) of a network motif read at ``start`` on ``strand``: itself when a unit,
    its sites (those that are units) when a composite. ``start`` is the CRM column where the
    network motif's representative starts (each member placed where TOMTOM aligns the representative to it)."""
    if motif not in units.composites:
        return [(start, motif, strand)] if _is_unit(motif, units) else []
    width, out = widths[motif], []
    for site in units.composites[motif]:
        if not _is_unit(site.motif, units):
            continue
        if strand == "+":
            out.append((start + site.start, site.motif, site.strand))
        else:
            out.append((start + width - site.start - widths[site.motif], site.motif, _FLIP[site.strand]))
    return out


def arrangement_support(annotation: Annotation, units: Units) -> Counter:
    """Canonical arrangement -> sequences of the CRMs that hold it (every two unit occurrences of a CRM).

    Returns
    -------
    Counter of (first unit, strand, second unit, strand) -> int
    """
    placements = _member_placements(annotation, units)
    widths = {g.name: g.representative.width for g in annotation.network}
    support: Counter = Counter()
    for lm in annotation.layers.values():
        crms = {r.neuron: r.crms for r in lm.neurons}
        for neuron, dictionary in lm.dictionaries.items():
            per_crm: dict[int, list[tuple[int, str, str]]] = {}
            for motif in dictionary.motifs:
                if motif.name not in placements:
                    continue
                network, relative, lo, hi = placements[motif.name]
                for o in motif.occurrences:
                    origin = o.start - o.clipped[0]
                    start = origin + lo if o.strand == "+" else origin + o.motif_width - hi
                    strand = o.strand if relative == "+" else _FLIP[o.strand]
                    per_crm.setdefault(o.crm_index, []).extend(_sites_read(network, start, strand, widths, units))
            for index, found in per_crm.items():
                found = _distinct_sites(found, widths)
                weight = crms[neuron][index].n_sequences
                for i, (_, a, sa) in enumerate(found):
                    for _, b, sb in found[i + 1:]:
                        support[canonical((a, sa, b, sb))] += weight
    return support


def share(key: Arrangement, support: Counter) -> float | None:
    """The arrangement's share of the CRM pairs of its two units (None when the CRMs hold none)."""
    pair = {key[0], key[2]}
    total = sum(n for k, n in support.items() if {k[0], k[2]} == pair)
    return support[canonical(key)] / total if total else None


__all__ = ["Arrangement", "arrangement_support", "canonical", "share"]
