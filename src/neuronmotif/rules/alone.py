"""A pair and its motifs measured alone: which of the two the model relies on (see
:mod:`~neuronmotif.rules.select`).

A pair is a rule only when the part of its response that needs both motifs (its *interaction*) is a fair
share of what its stronger motif does alone; a single motif is not a rule of its own when a pair holding
it answers much more than it (it *acts through* the pair). For two copies of one motif the two tests are
one, read both ways, so the motif or its pair is reported, never both.
"""

from __future__ import annotations

from .config import RulesConfig
from .hypotheses import Units
from .rule import Rule


def copies(motif: str, rule: Rule) -> int:
    """How many of the rule's motifs are ``motif`` itself."""
    return rule.verdict.motifs.count(motif)


def interaction(pair: Rule) -> float:
    """The part of the pair's response at its peak that needs both motifs (readout units)."""
    return (pair.verdict.cooperativity or 0) * pair.verdict.effect


def effect_on(single: Rule, readout: str) -> float:
    """The single motif's effect on ``readout`` (0 where it does not drive it significantly)."""
    v = single.verdict
    return v.effect if v.readout == readout else v.driven.get(readout, 0.0)


def stronger_motif_alone(pair: Rule, alone: dict[str, Rule]) -> Rule | None:
    """Of the pair's motifs measured alone, the one that answers most on the pair's readout (None when
    neither was measured alone)."""
    measured = [alone[m] for m in dict.fromkeys(pair.verdict.motifs) if m in alone]
    return max(measured, key=lambda r: effect_on(r, pair.verdict.readout)) if measured else None


def interaction_bar(pair: Rule, units: Units, config: RulesConfig) -> float:
    """How much of its stronger motif's effect alone a pair's interaction must reach to be a rule.

    Two copies of one motif, or of two similar motifs (a CEBP site beside a CEBP half site), that merely
    add up answer twice one copy, so their interaction must reach ``subsumed - 1`` times one copy alone
    (for two copies of one motif this is :func:`acts_through` the other way round: the motif or its
    pair is reported, never both). Two different motifs: ``min_interaction_share``."""
    first, second = pair.verdict.motifs
    return config.subsumed - 1 if units.alike(first, second) else config.min_interaction_share


def needs_both(pair: Rule, single: Rule, bar: float) -> bool:
    """Whether the pair's interaction (the part of its response that needs both motifs) is at least ``bar``
    times ``single``'s effect alone on the pair's readout."""
    return interaction(pair) >= bar * effect_on(single, pair.verdict.readout)


def mostly_one_motif(pair: Rule, single: Rule, units: Units, config: RulesConfig) -> str:
    """The reason a pair that does not need both its motifs (:func:`needs_both`) is not a rule."""
    first, second = pair.verdict.motifs
    if first == second:
        what = f"two copies of {single.names[0] or first} that mostly add up"
    elif units.alike(first, second):
        what = f"two similar motifs ({motif_label(pair, 0)}, {motif_label(pair, 1)}) that mostly add up"
    else:
        what = f"mostly {single.label} with a modifier"
    bar = interaction_bar(pair, units, config)
    share = {1.0: "", 0.5: "half of "}.get(bar, f"{bar:g} of ")
    return (f"{what}: what needs both ({interaction(pair):.2f}) is under {share}{single.label} alone "
            f"({effect_on(single, pair.verdict.readout):.2f})")


def motif_label(rule: Rule, i: int) -> str:
    """How labels write the rule's ``i``-th motif: its known name (else its id) and strand."""
    return f"{rule.names[i] or rule.verdict.motifs[i]}({rule.verdict.strands[i]})"


def acts_through(single: Rule, pair: Rule, config: RulesConfig) -> bool:
    """Whether ``single`` acts through ``pair`` (which holds its motif), on the pair's readout.

    With one copy in the pair: the pair's effect is at least ``subsumed`` times the motif's. With two copies
    (a homotypic pair) that bar is no test, since two sites that merely add up give twice one site; there
    the pair's interaction (the part of its response that needs both copies) must be at least
    ``subsumed - 1`` times the motif's effect: the same excess over the motif alone that one copy asks,
    with the second copy's own share not counted as excess. The same test decides, the other way round,
    whether a homotypic pair is a rule at all: one of the two (the motif, or its pair) is reported, never
    both (two CEBP sites whose part needing both copies is under one site alone are the CEBP rule, twice).
    """
    if copies(single.verdict.motifs[0], pair) >= 2:
        return needs_both(pair, single, config.subsumed - 1)
    return pair.verdict.effect >= config.subsumed * effect_on(single, pair.verdict.readout)


def subsumed_by(single: Rule, pairs: list[Rule], config: RulesConfig) -> Rule | None:
    """The strongest significant cooperative pair holding the single motif that it acts through
    (:func:`acts_through`), if any."""
    motif = single.verdict.motifs[0]
    for pair in sorted(pairs, key=lambda r: -r.verdict.effect):
        v = pair.verdict
        if (motif in v.motifs and pair.q_value < config.q_max and (v.cooperativity or 0) >= config.min_cooperativity
                and v.readout == single.verdict.readout and acts_through(single, pair, config)):
            return pair
    return None


__all__ = ["acts_through", "copies", "effect_on", "interaction", "interaction_bar", "mostly_one_motif", "motif_label",
           "needs_both", "stronger_motif_alone", "subsumed_by"]
