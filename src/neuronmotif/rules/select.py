"""Which measured hypotheses are the network's rules, and in which order (see :mod:`~neuronmotif.rules.build`).

Rejected hypotheses keep the reason: not significant, one hybrid site, a composite motif's pieces at their
place in it, motifs that merely add up, a pair answering less than one of its motifs alone, a pair whose
interaction is under half of its stronger motif alone (one copy alone for two copies or two similar motifs:
that motif is the rule), a single motif acting through a pair, the reverse complement of a stronger
arrangement, another orientation of a palindromic motif's pair, an inverted pair of one motif that joins a
heterotypic pair's two strands, too weak (under ``min_effect_sd`` of its output's spread over backgrounds),
minor (under ``min_share`` of the strongest rule on the same output), an arrangement the CRMs hardly hold when
the model answers one they hold nearly alike, a repeat with similar motifs, a weaker part or variant of a
stronger rule, or (pairs) one site read two ways. A better-read repeat or part (better named, or through motifs
more neurons hold) can take a stronger rule's place.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..grammar import opposite
from ..motifs.similarity import compare
from .alone import (
    copies,
    effect_on,
    interaction_bar,
    mostly_one_motif,
    needs_both,
    stronger_motif_alone,
    subsumed_by,
)
from .config import RulesConfig
from .hypotheses import Units
from .orientation import (
    ANOTHER_ORIENTATION,
    ARRANGEMENT_SHARE,
    TWO_STRANDS,
    another_orientation,
    is_alternative,
    one_per_orientation,
    share,
    strand_chimeras,
    two_strands,
)
from .readings import better_read
from .rule import Rule
from .verdicts import Verdict


def is_significant_pair(rule: Rule, config: RulesConfig) -> bool:
    """A pair whose effect together is positive and whose interaction is significant (q < ``q_max``)."""
    return len(rule.verdict.motifs) == 2 and rule.q_value < config.q_max and rule.verdict.effect > 0


def is_hybrid(rule: Rule, config: RulesConfig) -> bool:
    """A significant pair whose two cores overlap at the peak: one site, not two (cooperative hybrids are
    assembled into one motif, :mod:`~neuronmotif.rules.assemble`)."""
    return is_significant_pair(rule, config) and rule.core_gap < 0


def select_rules(candidates: list[Rule], config: RulesConfig, units: Units, ppms: dict[str, np.ndarray],
                 support: Counter | None = None, spread: dict[str, float] | None = None
                 ) -> tuple[list[Rule], list[Rule]]:
    """Split measured hypotheses into ranked rules and unverified ones (each with its reason).

    Pairs are judged first (significance, overlap, cooperativity), then single motifs (significance, and
    whether a pair that passed acts for them). ``support``: which arrangements the CRMs hold
    (:func:`~neuronmotif.rules.orientation.arrangement_support`). ``spread``: each model output's standard
    deviation over random backgrounds (:meth:`~neuronmotif.rules.verdicts.Benches.output_spread`); a rule
    under ``min_effect_sd`` of its output's is too weak to report.
    """
    support = support or Counter()
    spread = spread or {}
    pairs = [r for r in candidates if len(r.verdict.motifs) == 2]
    singles = [r for r in candidates if len(r.verdict.motifs) == 1]
    alone = {r.verdict.motifs[0]: r for r in singles if r.q_value < config.q_max and r.verdict.effect > 0}
    for rule in pairs:
        v = rule.verdict
        if rule.q_value >= config.q_max or v.effect <= 0:
            rule.reason = _insignificant(rule)
        elif rule.core_gap < 0 and not rule.separate_sites:
            rule.reason = f"the two motifs overlap by {-rule.core_gap} bp at the peak: one hybrid site, not a pair"
        elif (whole := _rebuilt(rule, units, ppms)) is not None:
            rule.reason = f"the two motifs at their place in {whole}: one site read in pieces, not a pair"
        elif (v.cooperativity or 0) < config.min_cooperativity:
            rule.reason = f"the two motifs add up (cooperativity {v.cooperativity or 0:.2f})"
        elif (single := stronger_motif_alone(rule, alone)) is None:
            continue
        elif effect_on(single, v.readout) > v.effect:
            rule.reason = (f"answers less than {single.label} alone ({v.effect:.2f} against "
                           f"{effect_on(single, v.readout):.2f}): the partner only makes up for a weaker placement")
        elif not needs_both(rule, single, interaction_bar(rule, units, config)):
            rule.reason = mostly_one_motif(rule, single, units, config)
    hybrids = [r for r in pairs if is_hybrid(r, config) and not r.separate_sites]
    for rule in pairs:
        if not rule.reason and (site := _one_site_instead(rule, hybrids)) is not None:
            rule.reason = (f"the model answers the same motifs overlapping as one site ({site.label}) nearly "
                           "alike: one site read two ways, not a pair")
    for rule in (r for r in candidates if len(r.verdict.motifs) == 3):
        if rule.q_value >= config.q_max or rule.verdict.effect <= 0:
            rule.reason = _insignificant(rule)
        elif rule.core_gap < 0 and not rule.separate_sites:
            rule.reason = (f"two adjacent motifs overlap by {-rule.core_gap} bp at the peak: pieces of one site, "
                           "not a chain of three")
        elif (rule.verdict.cooperativity or 0) < config.min_cooperativity:
            rule.reason = (f"its pairs add up (the three together beyond every pair of them: cooperativity "
                           f"{rule.verdict.cooperativity or 0:.2f})")
    passed = [r for r in pairs if not r.reason]
    for rule in singles:
        if rule.q_value >= config.q_max or rule.verdict.effect <= 0:
            rule.reason = _insignificant(rule)
        elif (outer := subsumed_by(rule, passed, config)) is not None:
            rule.reason = f"acts through the pair {outer.label}"
    kept = [r for r in candidates if not r.reason]
    rejected = [r for r in candidates if r.reason]
    kept = one_per_orientation(kept, rejected, units)
    kept = strand_chimeras(kept, rejected, units)
    kept.sort(key=lambda r: (-r.verdict.effect, r.label))
    rules: list[Rule] = []
    displaced: list[Rule] = []  # ranked rules a better-read repeat or part took the place of
    for rule in kept:
        if rule.verdict.effect < config.min_effect_sd * spread.get(rule.verdict.readout, 0.0):
            rule.reason = _too_weak(rule, spread[rule.verdict.readout], config.min_effect_sd)
        elif rule.verdict.effect < config.min_share * _strongest_other(rule, kept):
            rule.reason = f"minor: effect under {config.min_share:g} of the strongest rule's on {rule.verdict.readout}"
        elif (held := _held_instead(rule, kept, units, support)) is not None:
            rule.reason = (f"the CRMs hold it in {100 * _share(rule, support):.0f}% of their pairs of its motifs; "
                           f"the model answers {held.label}, which they hold, nearly alike")
        elif (twin := _repeats(rule, rules + displaced, units)) is not None:
            twin, rule = _stand_in_first(twin, rule, rules, displaced, rejected, covers=True, units=units)
            rule.reason = f"repeats {twin.cited()} with the same or similar motifs"
            rule.shown_by = twin
        elif (outer := _part_of(rule, rules + displaced, ppms, units)) is not None:
            stand, shown = _stand_in_first(outer, rule, rules, displaced, rejected,
                                           covers=_covers(rule, outer, ppms), units=units)
            shown.reason = (f"a weaker part or variant of {stand.cited()}" if stand is outer else
                            f"shown by {stand.cited()}, a part or variant of this rule read through better known "
                            f"motifs, with {stand.verdict.effect / shown.verdict.effect:.0%} of this rule's effect")
            shown.shown_by, rule = stand, shown
        elif (outer := _longer_reading(rule, rules, ppms)) is not None:
            rule.reason = (f"an unnamed {ppms[rule.verdict.motifs[0]].shape[1]}-bp stretch around the motif of "
                           f"{outer.cited()}: a longer reading of it, not a motif of its own")
            rule.shown_by = outer
        if rule.reason:
            rejected.append(rule)
            continue
        rule.rank = len(rules) + 1
        rules.append(rule)
    for rule in rejected:
        if rule.reason == ANOTHER_ORIENTATION:
            rule.reason = another_orientation(rule, units)
        elif rule.reason == TWO_STRANDS:
            rule.reason = two_strands(rule, units)
    rejected.sort(key=lambda r: (-r.verdict.effect, r.label))
    return rules, rejected


#: a repeat or part better read (:func:`~neuronmotif.rules.readings.better_read`) than the stronger rule it
#: repeats or lies in stands for both when its effect is at least this share of the stronger one's (the same
#: grammar, read through better known motifs)
REPEAT_SHARE = 0.8


def _stand_in_first(ranked: Rule, weaker: Rule, rules: list[Rule], displaced: list[Rule],
                    rejected: list[Rule], covers: bool, units: Units) -> tuple[Rule, Rule]:
    """(the rule that stands for both, the one it shows): ``weaker`` repeats or lies in ``ranked``; it takes
    that rule's rank when it is better read (:func:`~neuronmotif.rules.readings.better_read`), has
    :data:`REPEAT_SHARE` of its effect and ``covers`` it (its arrangement spans most of the ranked one's: a named
    whole CTCF for an unnamed pair of its pieces at 88% of their effect, never one named partner for a two-motif
    spacing rule, nor a pair of one named half site for the named whole palindromic site). Reasons that cited
    the displaced rule are rewritten to name its stand-in."""
    if (not ranked.rank or not covers or not better_read(weaker, ranked, units)
            or weaker.verdict.effect < REPEAT_SHARE * ranked.verdict.effect):
        return ranked, weaker
    before = ranked.cited()
    weaker.rank, ranked.rank = ranked.rank, 0
    rules[weaker.rank - 1] = weaker
    ranked.shown_by = weaker
    displaced.append(ranked)
    for other in rejected:
        if other.reason and other.shown_by is ranked:
            other.reason = other.reason.replace(before, ranked.cited())
    return weaker, ranked


#: a part that stands for a stronger rule spans at least this share of the stronger rule's arrangement
COVER_SHARE = 0.8


def _covers(part: Rule, whole: Rule, ppms: dict[str, np.ndarray]) -> bool:
    """Whether ``part``'s arrangement aligns to ``whole``'s (TOMTOM p < :data:`PART_P`) over at least
    :data:`COVER_SHARE` of the wider of the two."""
    query, target = arrangement_ppm(part.verdict, ppms), arrangement_ppm(whole.verdict, ppms)
    cmp = compare([query], [target])
    return bool(cmp.p[0, 0] < PART_P and cmp.overlap[0, 0] >= COVER_SHARE * max(query.shape[1], target.shape[1]))


#: TOMTOM p below which a rule's arrangement aligned within a stronger rule's is a part of it
PART_P = 1e-3


def arrangement_ppm(verdict: Verdict, ppms: dict[str, np.ndarray]) -> np.ndarray:
    """(4, w) the rule as inserted at its peak: each motif on its strand, uniform columns in each gap
    (an overlap keeps the later motif's columns)."""
    parts = [ppms[m] if s == "+" else ppms[m][::-1, ::-1] for m, s in zip(verdict.motifs, verdict.strands, strict=True)]
    out = parts[0]
    for gap, part in zip(verdict.peaks or [0] * (len(parts) - 1), parts[1:], strict=True):
        kept = out if gap >= 0 else out[:, : max(out.shape[1] + gap, 0)]
        out = np.concatenate([kept, np.full((4, max(gap, 0)), 0.25), part], axis=1)
    return out


def _part_of(rule: Rule, ranked: list[Rule], ppms: dict[str, np.ndarray], units: Units) -> Rule | None:
    """A stronger ranked rule on the same readout whose arrangement and this rule's align (TOMTOM p < PART_P)
    over at least 80% of the narrower of the two: a partial or variant copy, e.g. one half of a pair plus a
    flank, or the pair with a variant of one of its motifs. Two pairs of the same motifs in another order or
    on other strands, the weaker at least :data:`ARRANGEMENT_SHARE` of the stronger, are two arrangements
    the model hardly tells apart, not parts of each other; so are two such pairs of which one has a motif
    like neither of the other's (a G run beside an ESRRB half site is no variant of two G runs, though
    their matrices align on the G runs)."""
    query = arrangement_ppm(rule.verdict, ppms)
    alone = rule.verdict.motifs[0] if len(rule.verdict.motifs) == 1 else None
    others = [r for r in ranked if r.verdict.readout == rule.verdict.readout
              and not ((_same_motifs(rule, r, units) or _another_motif(rule, r, units)) and is_alternative(rule, r))
              and not (alone is not None and copies(alone, r) >= 2)]
    if not others:
        return None
    targets = [arrangement_ppm(r.verdict, ppms) for r in others]
    cmp = compare([query], targets)
    hits = [i for i, t in enumerate(targets)
            if cmp.p[0, i] < PART_P and cmp.overlap[0, i] >= 0.8 * min(query.shape[1], t.shape[1])]
    return others[min(hits, key=lambda i: cmp.p[0, i])] if hits else None


#: a motif lies inside a longer one when TOMTOM aligns it there over 80% of its width at this p
INSIDE_P = 0.01


def _longer_reading(rule: Rule, ranked: list[Rule], ppms: dict[str, np.ndarray]) -> Rule | None:
    """A stronger ranked rule on the same readout one of whose motifs lies inside (:data:`INSIDE_P`) this
    single, unnamed motif at least twice as wide: the stretch of a CRM around that motif that segmentation
    left uncut (demo2 seed 0 on an AMD EPYC host: a 59-bp motif around one CTCF core, p = 0.0016 over all
    13 columns of the network's CTCF)."""
    if len(rule.verdict.motifs) != 1 or rule.names[0]:
        return None
    long = ppms[rule.verdict.motifs[0]]
    for other in ranked:
        inner = [m for m in other.verdict.motifs if 2 * ppms[m].shape[1] <= long.shape[1]]
        if other.verdict.readout != rule.verdict.readout or not inner:
            continue
        cmp = compare([ppms[m] for m in inner], [long])
        if any(cmp.p[i, 0] < INSIDE_P and cmp.overlap[i, 0] >= 0.8 * ppms[m].shape[1] for i, m in enumerate(inner)):
            return other
    return None


def _repeats(rule: Rule, ranked: list[Rule], units: Units) -> Rule | None:
    """A ranked rule with the same number of motifs, each the same or similar, in the same order: on the same
    strands (or its reverse complement), the same arrangement with a variant motif; on other strands, a
    variant too unless its effect is at least :data:`ARRANGEMENT_SHARE` of the stronger one's."""
    mine = list(zip(rule.verdict.motifs, rule.verdict.strands, strict=True))
    for other in ranked:
        if len(other.verdict.motifs) != len(mine) or _other_output(rule, other):
            continue
        if not is_alternative(rule, other):  # a clearly weaker other arrangement is a variant
            if all(units.alike(a, b) for a, b in zip(rule.verdict.motifs, other.verdict.motifs, strict=True)):
                return other
            continue
        theirs = list(zip(other.verdict.motifs, other.verdict.strands, strict=True))
        for reading in (theirs, [(m, opposite(s)) for m, s in theirs[::-1]]):
            if all(units.alike(a, b) and sa == sb for (a, sa), (b, sb) in zip(mine, reading, strict=True)):
                return other
    return None


def _other_output(rule: Rule, other: Rule) -> bool:
    """Whether two rules are judged by different model outputs: two tasks' grammars, never repeats of each
    other, however alike their motifs (a TEAD pair for one task beside an ETS pair for another: both read
    GGAA)."""
    a, b = rule.verdict.readout, other.verdict.readout
    return a != b and a.startswith("output ") and b.startswith("output ")


#: an arrangement the CRMs hold in less than this share of their pairs of its two motifs gives way to one
#: they hold that has at least ARRANGEMENT_SHARE of its effect
MIN_HELD = 0.25


def _share(rule: Rule, support: Counter) -> float | None:
    v = rule.verdict
    return share((v.motifs[0], v.strands[0], v.motifs[1], v.strands[1]), support) if len(v.motifs) == 2 else None


def _held_instead(rule: Rule, kept: list[Rule], units: Units, support: Counter) -> Rule | None:
    """Another arrangement of the same motifs that the CRMs hold, with ARRANGEMENT_SHARE of this one's
    effect, when the CRMs hardly hold this one (None when they hold it, or hold no pair of its motifs)."""
    mine = _share(rule, support)
    if mine is None or mine >= MIN_HELD:
        return None
    for other in kept:
        theirs = _share(other, support)
        if (other is not rule and _same_motifs(rule, other, units) and theirs is not None and theirs >= MIN_HELD
                and other.verdict.readout == rule.verdict.readout
                and other.verdict.effect >= ARRANGEMENT_SHARE * rule.verdict.effect):
            return other
    return None


def _same_motifs(rule: Rule, other: Rule, units: Units) -> bool:
    """Two pairs made of the same or similar motifs, in any order."""
    mine, theirs = rule.verdict.motifs, other.verdict.motifs
    return len(mine) == len(theirs) == 2 and any(
        all(units.alike(a, b) for a, b in zip(mine, reading, strict=True)) for reading in (theirs, theirs[::-1]))


def _another_motif(rule: Rule, other: Rule, units: Units) -> bool:
    """Two pairs, one of which has a motif like none of the other's."""
    mine, theirs = rule.verdict.motifs, other.verdict.motifs
    return len(mine) == len(theirs) == 2 and (any(not any(units.alike(a, b) for b in theirs) for a in mine)
                                              or any(not any(units.alike(b, a) for a in mine) for b in theirs))


def _too_weak(rule: Rule, sd: float, share: float) -> str:
    v = rule.verdict
    return (f"too weak: moves {v.readout} by {v.effect:.3g}, under {share:g} of the {sd:.3g} that {v.readout} "
            "varies by (sd) over random backgrounds")


def _insignificant(rule: Rule) -> str:
    return f"not significant (q = {rule.q_value:.2g})" if rule.verdict.effect > 0 else "no positive effect"


def _rebuilt(pair: Rule, units: Units, ppms: dict[str, np.ndarray]) -> str | None:
    """The long motif cut into pieces (:attr:`~neuronmotif.rules.hypotheses.Units.cut`) a pair rebuilds at
    its peak: its two motifs as adjacent pieces of it, in its order and strands (or its reverse complement), at
    the gap between them there; None when the pair's motifs are two factors' sites side by side
    (:attr:`~neuronmotif.rules.rule.Rule.separate_sites`: SOX2 a base before POU5F1, cut from one CRM
    segment, is a pair) or rebuild none. Demo2 seed 7 on an AMD EPYC host: a 31-bp CTCF-like
    motif cut into an unnamed piece and a Zfp961 piece, reported as a hard pair at 0 bp, its own columns."""
    v = pair.verdict
    if pair.separate_sites or v.peak_gap is None:
        return None
    return units.in_place((v.motifs[0], v.strands[0]), (v.motifs[1], v.strands[1]), v.peak_gap, ppms)


def _one_site_instead(pair: Rule, hybrids: list[Rule]) -> Rule | None:
    """A hybrid arrangement (cores overlapping at its peak) of the same two different motifs on the same
    readout, with at least :data:`ARRANGEMENT_SHARE` of the pair's effect: where the model wants the two
    motifs overlapping as one site nearly as much as side by side, the side-by-side reading is that site
    with a flank (a CEBP site beside an unnamed half of it), not a spacing rule. Two copies of one motif
    are left to the homotypic rules (two FOX sites overlapping by a base are still two sites). Only the
    hybrids still among the candidates count: one that was assembled into a named site
    (:mod:`~neuronmotif.rules.assemble`) is a single-motif rule by then."""
    first, second = pair.verdict.motifs
    if first == second:
        return None
    for other in hybrids:
        if (set(other.verdict.motifs) == {first, second} and other.verdict.readout == pair.verdict.readout
                and other.verdict.effect >= ARRANGEMENT_SHARE * pair.verdict.effect):
            return other
    return None


def _strongest_other(rule: Rule, kept: list[Rule]) -> float:
    """The strongest effect on the rule's readout among ``kept``, leaving out, for a single motif, the pairs
    made of two copies of it: two sites of one motif answer about twice one site by adding up, so the
    motif's own homotypic pair is no bar to it (it would always make the motif look minor)."""
    motif = rule.verdict.motifs[0] if len(rule.verdict.motifs) == 1 else None
    return max(r.verdict.effect for r in kept if r.verdict.readout == rule.verdict.readout
               and (motif is None or copies(motif, r) < 2))
