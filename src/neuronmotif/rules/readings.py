"""Which of two readings of one grammar is better read: the known factors it names and the neurons that hold its
motifs (:func:`better_read`, used by :mod:`~neuronmotif.rules.select` to let a repeat or part stand for a
stronger rule)."""

from __future__ import annotations

from .hypotheses import Units
from .rule import Rule


def named_factors(rule: Rule, units: Units) -> int:
    """Distinct known motifs a rule names: two copies of one half site name no more than the whole site, and
    two similar motifs (:meth:`Units.alike`) named for two factors of one family (FOXE1 and FOXA1 for two FOX
    sites) no more than one of them."""
    named = [(motif, name) for motif, name in zip(rule.verdict.motifs, rule.names, strict=True) if name]
    distinct: list[tuple[str, str]] = []
    for motif, name in named:
        if not any(name == seen or units.alike(motif, other) for other, seen in distinct):
            distinct.append((motif, name))
    return len(distinct)


def better_read(rule: Rule, other: Rule, units: Units) -> bool:
    """Whether ``rule`` reads the grammar of ``other`` through better known motifs: it names more distinct
    known motifs (:func:`named_factors`), or as many with as many motifs, its motifs are whole sites of their
    named factors (:attr:`Rule.whole_sites`), and its least held motif is held by more neurons' dictionaries
    (:func:`least_held`) than ``other``'s: the network's own reading, two FOX sites through the FOX motif fifteen
    neurons hold, not through a 12-bp variant of it that one neuron holds, whose flanks add response at one gap
    and make a flexible pair read hard. A widely held piece of a long site (9 bp of CTCF) is no better reading,
    and by neurons a pair never stands for a single site (they count different things)."""
    mine, theirs = named_factors(rule, units), named_factors(other, units)
    if mine != theirs or len(rule.verdict.motifs) != len(other.verdict.motifs) or not rule.whole_sites:
        return mine > theirs
    held, other_held = least_held(rule, units), least_held(other, units)
    return held is not None and other_held is not None and held > other_held


def least_held(rule: Rule, units: Units) -> int | None:
    """Neurons holding the rule's least held motif (None when one is not a network motif: an assembled site)."""
    counts = [units.held_by.get(motif) for motif in rule.verdict.motifs]
    return None if None in counts else min(counts)
