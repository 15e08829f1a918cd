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
from ..grammar import opposite, orient
from ..motifs.similarity import aligned_columns, compare
from .hypotheses import Units
from .rule import Rule
from .verdicts import Verdict

Arrangement = tuple[str, str, str, str]

def canonical(key: Arrangement) -> Arrangement:
    """One name for an arrangement ``(first, strand, second, strand)`` and its reverse complement."""
    twin = (key[2], opposite(key[3]), key[0], opposite(key[1]))
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
            out.append((start + width - site.start - widths[site.motif], site.motif, opposite(site.strand)))
    return out


#: ((layer, neuron), the CRM's distinct unit sites (CRM column, unit, strand), sorted, sequences it holds)
CrmSites = tuple[tuple[int, int], list[tuple[int, str, str]], int]


def crm_sites(annotation: Annotation, units: Units) -> list[CrmSites]:
    """The unit sites of every CRM (:data:`CrmSites`): an occurrence of a composite is read as its sites, one of
    a fragment or copy as its unit (the module's docstring). Read once per rule stage; pairs
    (:func:`arrangement_gaps`) and chains (:func:`chain_gaps`) are counted from it."""
    out: list[CrmSites] = []
    placements = _member_placements(annotation, units)
    widths = {g.name: g.representative.width for g in annotation.network}
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
                    strand = orient(o.strand, relative)
                    per_crm.setdefault(o.crm_index, []).extend(_sites_read(network, start, strand, widths, units))
            out += [((lm.layer, neuron), _distinct_sites(found, widths), crms[neuron][index].n_sequences)
                    for index, found in per_crm.items()]
    return out


def arrangement_gaps(annotation: Annotation, sites: list[CrmSites]) -> dict[Arrangement, Counter]:
    """Canonical arrangement -> its gaps as the CRMs hold them: gap (bp between the two units' edges, the
    representatives' as in ``motifs.meme``; negative: they overlap) -> sequences of the CRMs that hold it
    (every two unit occurrences of a CRM; ``sites``: :func:`crm_sites`)."""
    widths = {g.name: g.representative.width for g in annotation.network}
    gaps: dict[Arrangement, Counter] = {}
    for _, found, weight in sites:
        for i, (start_a, a, sa) in enumerate(found):
            for start_b, b, sb in found[i + 1:]:
                key = canonical((a, sa, b, sb))  # a reverse complement keeps the gap
                gaps.setdefault(key, Counter())[start_b - start_a - widths[a]] += weight
    return gaps


#: (first unit, strand, second, strand, third, strand)
Chain = tuple[str, str, str, str, str, str]


def canonical_chain(key: Chain, gaps: tuple[int, int]) -> tuple[Chain, tuple[int, int]]:
    """One name for a chain of three units with its two gaps and its reverse complement (gaps reversed)."""
    a, sa, b, sb, c, sc = key
    twin = (c, opposite(sc), b, opposite(sb), a, opposite(sa))
    return min((key, gaps), (twin, gaps[::-1]))


def chain_gaps(annotation: Annotation, sites: list[CrmSites]
               ) -> tuple[dict[Chain, Counter], dict[Chain, set[tuple[int, int]]]]:
    """Chains of three unit sites side by side in one CRM (adjacent sites overlapping by less than half the
    narrower), read as :func:`arrangement_gaps` reads pairs (``sites``: :func:`crm_sites`).

    Returns
    -------
    gaps : dict
        Canonical chain -> (gap, gap) -> sequences of the CRMs that hold it.
    neurons : dict
        Canonical chain -> the (layer, neuron) whose CRMs hold it.
    """
    widths = {g.name: g.representative.width for g in annotation.network}
    chains: dict[Chain, Counter] = {}
    holders: dict[Chain, set[tuple[int, int]]] = {}
    for neuron, found, weight in sites:
        for (s1, a, sa), (s2, b, sb), (s3, c, sc) in zip(found, found[1:], found[2:], strict=False):
            gaps = (s2 - s1 - widths[a], s3 - s2 - widths[b])
            if 2 * min(gaps[0], 0) <= -min(widths[a], widths[b]) or 2 * min(gaps[1], 0) <= -min(widths[b], widths[c]):
                continue
            key, held = canonical_chain((a, sa, b, sb, c, sc), gaps)
            chains.setdefault(key, Counter())[held] += weight
            holders.setdefault(key, set()).add(neuron)
    return chains, holders


def arrangement_support(gaps: dict[Arrangement, Counter]) -> Counter:
    """Canonical arrangement -> sequences of the CRMs that hold it at any gap (``gaps``:
    :func:`arrangement_gaps`).

    Returns
    -------
    Counter of (first unit, strand, second unit, strand) -> int
    """
    return Counter({key: sum(by_gap.values()) for key, by_gap in gaps.items()})


def share(key: Arrangement, support: Counter) -> float | None:
    """The arrangement's share of the CRM pairs of its two units (None when the CRMs hold none)."""
    pair = {key[0], key[2]}
    total = sum(n for k, n in support.items() if {k[0], k[2]} == pair)
    return support[canonical(key)] / total if total else None


#: another order or strand of the same motifs is a rule of its own when its effect is at least this share
#: of the stronger arrangement's (the model hardly tells the two apart); a weaker one is a variant
ARRANGEMENT_SHARE = 0.8


def is_alternative(rule: Rule, other: Rule) -> bool:
    """Whether ``rule`` answers at least :data:`ARRANGEMENT_SHARE` of ``other``'s effect."""
    return rule.verdict.effect >= ARRANGEMENT_SHARE * other.verdict.effect


def _palindromic_key(rule: Rule, units: Units) -> tuple | None:
    """One name for the readings of a pair with a unit that reads alike on both strands (None when it has
    none): two copies of such a unit read alike in every order and orientation; beside another motif, its
    strand carries no information."""
    v = rule.verdict
    if not set(v.motifs) & units.palindromic:
        return None
    a, sa, b, sb = canonical((v.motifs[0], v.strands[0], v.motifs[1], v.strands[1]))
    if a == b:
        return (v.readout, a)
    return (v.readout, a, "+" if a in units.palindromic else sa, b, "+" if b in units.palindromic else sb)


def one_per_orientation(kept: list[Rule], rejected: list[Rule], units: Units) -> list[Rule]:
    """Of an arrangement and its reverse complement, keep the stronger (the other joins ``rejected``); of
    the readings of a pair with a palindromic unit, one (:func:`_palindromic_lead`)."""
    best: dict[tuple, Rule] = {}
    palindromes: dict[tuple, list[Rule]] = {}
    for rule in kept:
        v = rule.verdict
        if len(v.motifs) == 1:
            best[("single", v.motifs[0])] = rule
            continue
        if len(v.motifs) == 2 and (key := _palindromic_key(rule, units)) is not None:
            palindromes.setdefault(key, []).append(rule)
            continue
        arrangement = tuple(x for pair in zip(v.motifs, v.strands, strict=True) for x in pair)
        cls = canonical(arrangement) if len(v.motifs) == 2 else canonical_chain(arrangement, (0, 0))[0]
        if cls in best and best[cls].verdict.effect >= v.effect:
            rule.reason = "reverse complement of a stronger arrangement"
            rejected.append(rule)
            continue
        if cls in best:
            best[cls].reason = "reverse complement of a stronger arrangement"
            rejected.append(best[cls])
        best[cls] = rule
    for key, group in palindromes.items():
        lead = _palindromic_lead(group)
        best[("palindromic", *key)] = lead
        for rule in group:
            if rule is not lead:
                rule.reason, rule.shown_by = ANOTHER_ORIENTATION, lead
                rejected.append(rule)
    return list(best.values())


#: placeholder reason of a palindromic pair's other orientations until the rule they give way to is ranked
ANOTHER_ORIENTATION = "another orientation"


def another_orientation(rule: Rule, units: Units) -> str:
    """The reason of a pair with a palindromic unit that gave way to another reading (``rule.shown_by``)."""
    lead = rule.shown_by
    motif = next(m for m in rule.verdict.motifs if m in units.palindromic)
    known = lead.names[lead.verdict.motifs.index(motif)]
    name = f"{known} ({motif})" if known else motif
    why = ("two copies of it read alike in every orientation" if rule.verdict.motifs[0] == rule.verdict.motifs[1]
           else "the pair reads alike with it on either strand")
    return f"another orientation of {lead.cited()}: {name} reads alike on both strands, so {why}"


def _palindromic_lead(group: list[Rule]) -> Rule:
    """The one reading of a pair with a palindromic unit that is reported: that unit's strand carries no
    information, so the pair is written on one strand (both motifs on it) whenever such a reading has at
    least :data:`ARRANGEMENT_SHARE` of the strongest reading's effect; else the strongest reading."""
    strongest = max(group, key=lambda r: (r.verdict.effect, r.label))
    one_strand = [r for r in group if r.verdict.strands[0] == r.verdict.strands[1] and is_alternative(r, strongest)]
    return max(one_strand, key=lambda r: (r.verdict.effect, r.label)) if one_strand else strongest


#: a heterotypic pair explains an inverted pair of one of its motifs when it has at least this share of
#: the inverted pair's effect on the same readout
CHIMERA_SHARE = 0.5


def strand_chimeras(kept: list[Rule], rejected: list[Rule], units: Units) -> list[Rule]:
    """Set aside the inverted pairs of one motif that are two strands of a heterotypic pair (they join
    ``rejected``, shown by that pair, reason :data:`TWO_STRANDS` until :func:`two_strands` words it once
    the rules are ranked); return the rest of ``kept``.

    A model that learned a pair ``A(+) -> B(+)`` on both strands (any genomic model, and every zoo grammar
    planted on both strands) detects it and its reverse complement ``B(-) -> A(-)``; two such detectors
    also answer half of each, ``A(+) ... A(-)`` (the start of the pair, then the end of its reverse
    complement) or ``B(-) ... B(+)``. basset-D and bd10-D answered the C and G runs of their NFYA -> SP1
    pair that way, as strongly as the pair itself (`SP2(-) -[10-14 bp]- SP2(+)` at 7.3 beside
    `SP2(-) -[9-13 bp]- NFYC(-)` at 5.2): a chimera of the pair's two strands, not a grammar of its own.
    Only two copies of one non-palindromic motif (or of two similar units, each strand read in one
    frame: a C run is a G run's reverse complement) on opposite strands, beside a heterotypic pair on the
    same readout with :data:`CHIMERA_SHARE` of its effect that starts with that motif on the first copy's
    strand or ends with it on the second's (bd10-D seed 2: `Wt1(+) -[8-13 bp]- SP1(+)`, a C run and a G
    run beside `NFYC(+) -[9-13 bp]- SP1(+)`). The pair may itself go unreported later (too weak, a
    variant): the reason then names it by its label.
    """
    heterotypic = [r for r in kept if len(r.verdict.motifs) == 2 and not units.alike(*r.verdict.motifs)]
    out = []
    for rule in kept:
        if (pair := _chimera_of(rule, heterotypic, units)) is None:
            out.append(rule)
            continue
        rule.reason, rule.shown_by = TWO_STRANDS, pair
        rejected.append(rule)
    return out


#: the reason of a pair's two strands until :func:`two_strands` words it
TWO_STRANDS = "two strands of a pair"


def two_strands(rule: Rule, units: Units) -> str:
    """The reason of an inverted pair :func:`strand_chimeras` set aside, naming the pair as ranked."""
    pair = rule.shown_by
    how = ("its first copy starts that pair and its second ends the pair's reverse complement"
           if _starts(rule.verdict, pair.verdict, units) else
           "its first copy starts the pair's reverse complement and its second ends that pair")
    return f"two strands of {pair.cited()}: {how}; the pair's detectors answer it, not a grammar of its own"


def _starts(chimera: Verdict, pair: Verdict, units: Units) -> bool:
    """Whether the chimera's first motif reads like the pair's first motif on the pair's strand."""
    return units.strand_of(chimera.motifs[0], chimera.strands[0], pair.motifs[0]) == pair.strands[0]


def _ends(chimera: Verdict, pair: Verdict, units: Units) -> bool:
    """Whether the chimera's second motif reads like the pair's second motif on the pair's strand."""
    return units.strand_of(chimera.motifs[1], chimera.strands[1], pair.motifs[1]) == pair.strands[1]


def _inverted_one_motif(v: Verdict, units: Units) -> bool:
    """Two copies of one non-palindromic motif (or of two similar units) on opposite strands, each strand
    read in the first motif's frame (a unit like the other's reverse complement flips it)."""
    if len(v.motifs) != 2 or set(v.motifs) & units.palindromic:
        return False
    second = units.strand_of(v.motifs[1], v.strands[1], v.motifs[0])
    return second is not None and second != v.strands[0]


def _chimera_of(rule: Rule, heterotypic: list[Rule], units: Units) -> Rule | None:
    """The heterotypic pair of which ``rule`` (an inverted pair of one motif) joins the two strands."""
    v = rule.verdict
    if not _inverted_one_motif(v, units):
        return None
    for pair in heterotypic:
        if pair.verdict.readout != v.readout or pair.verdict.effect < CHIMERA_SHARE * v.effect:
            continue
        if _starts(v, pair.verdict, units) or _ends(v, pair.verdict, units):
            return pair
    return None


__all__ = ["ANOTHER_ORIENTATION", "ARRANGEMENT_SHARE", "CHIMERA_SHARE", "TWO_STRANDS", "Arrangement", "Chain",
           "CrmSites", "another_orientation", "arrangement_gaps", "arrangement_support", "canonical", "canonical_chain",
           "chain_gaps", "crm_sites", "is_alternative", "one_per_orientation", "share", "strand_chimeras",
           "two_strands"]
