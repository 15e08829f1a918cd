"""The network's grammar: hypotheses from the syntax trees, verdicts from the model, ranked rules.

:func:`find_rules`:

1. sorts the network motifs into units, fragments, longer copies and composites
   (:func:`~neuronmotif.rules.hypotheses.decompose`); only units are tested;
2. inserts every other network motif alone (:func:`~neuronmotif.rules.verdicts.measure_motif`): a motif
   is **verified** when it moves at least one neuron that holds it;
3. inserts the most supported adjacent pairs of the trees in every order and strand
   (:func:`~neuronmotif.rules.verdicts.measure_pair`); an arrangement and its reverse complement are one
   orientation, judged by the stronger;
4. q-values: Benjamini-Hochberg over every test;
5. a **rule** is a pair orientation whose interaction is significant and at least ``min_cooperativity`` of
   its effect, or a verified motif with a significant positive effect that no pair rule holding it
   exceeds ``subsumed`` times; rules are ranked by effect (the mean rise of the judging readout, a model
   output when the head runs). Minor rules (under ``min_share`` of the strongest rule on the same
   readout), repeats (the same or similar units in the same order as a stronger rule) and weaker parts
   of a stronger rule's arrangement go to the unverified list with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..annotation import Annotation, NetworkMotif
from ..grammar import orient
from ..model import DNAModel
from ..motifs.similarity import aligned_columns, bh_qvalues, compare
from ..ppm import informative_columns
from ..versions import versions
from .config import RulesConfig
from .hypotheses import Units, decompose, holders, pair_hypotheses
from .verdicts import Benches, Verdict, measure_motif, measure_pair, screen_pair

#: most neurons read per hypothesis (highest layers first)
MAX_READ_NEURONS = 24


@dataclass
class Rule:
    """One rule of the network's grammar (a row of ``rules.tsv``; columns in the README).

    Attributes
    ----------
    verdict : Verdict
        The model's measurements.
    names : tuple of str
        Best known match of each motif ('' when unnamed).
    known_gap : tuple of int or None
        (min, max) bp between the edges of the two named known motifs.
    q_value : float
    holders : list of (layer, neuron)
        Neurons whose syntax trees hold the motif or pair.
    label : str
    core_gap : int
        Pairs: bp between the informative cores (columns of at least 1 bit) of the two motifs at the
        peak gap; negative when they overlap.
    rank : int
        1 for the strongest; 0 when not reported.
    reason : str
        Why an unverified rule is not reported ('' for reported rules).
    """

    verdict: Verdict
    names: tuple[str, ...]
    known_gap: tuple[int, int] | None
    q_value: float
    holders: list[tuple[int, int]]
    label: str = ""
    core_gap: int = 0
    rank: int = 0
    reason: str = ""

    @property
    def rule_id(self) -> str:
        return f"R{self.rank}" if self.rank else ""

    @property
    def spacing(self) -> str:
        gap = self.verdict.gap_range
        return "" if gap is None else ("hard" if gap[0] == gap[1] else "flexible")

    @property
    def neurons(self) -> list[str]:
        """Neurons (of those that hold it) the rule drives, 'L<l>_N<n>'."""
        held = {f"L{layer}_N{n}" for layer, n in self.holders}
        return sorted((name for name in self.verdict.driven if name in held), key=_neuron_order)

    @property
    def outputs(self) -> dict[str, float]:
        return {k: v for k, v in self.verdict.driven.items() if k.startswith("output")}


def _neuron_order(name: str) -> tuple[int, int]:
    layer, neuron = name[1:].split("_N")
    return int(layer), int(neuron)


@dataclass
class RuleSet:
    """Everything :func:`find_rules` found.

    Attributes
    ----------
    rules : list of Rule
        Reported rules, ranked.
    unverified : list of Rule
        Measured hypotheses that are not rules, with the reason.
    motif_status : dict of str -> str
        Network motif id -> 'verified', 'fragment of G<k>', 'not verified: ...' or 'not tested: ...'.
    motif_verdicts : dict of str -> Verdict
    parameters : dict
    seconds : float
    evaluated : int
        Sequences the model evaluated.
    """

    rules: list[Rule]
    unverified: list[Rule]
    motif_status: dict[str, str]
    motif_verdicts: dict[str, Verdict] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    seconds: float = 0.0
    evaluated: int = 0


def _read_neurons(neurons: set[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(sorted(neurons, key=lambda ln: (-ln[0], ln[1]))[:MAX_READ_NEURONS])


def known_columns(annotation: Annotation, motif: NetworkMotif, strand: str) -> tuple[int, int] | None:
    """Columns ``[start, end)`` of the motif's best known match, in the motif as inserted on ``strand``."""
    best = annotation.best_match(motif.representative)
    if best is None:
        return None
    start, end = aligned_columns(best.offset, best.target_width)
    width = motif.representative.width
    return (start, end) if strand == "+" else (width - end, width - start)


def _label_part(name: str, motif: str, strand: str, annotation: Annotation, by_id: dict[str, NetworkMotif]) -> str:
    best = annotation.best_match(by_id[motif].representative)
    return f"{name}({orient(strand, best.strand)})" if best else f"{motif}({strand})"


def _make_rule(verdict: Verdict, annotation: Annotation, by_id: dict[str, NetworkMotif],
               neurons: set[tuple[int, int]]) -> Rule:
    names = tuple((b.target_name if (b := annotation.best_match(by_id[m].representative)) else "")
                  for m in verdict.motifs)
    parts = [_label_part(n, m, s, annotation, by_id) for n, m, s in zip(names, verdict.motifs, verdict.strands,
                                                                         strict=True)]
    known = None
    if verdict.gap_range is not None:
        a, b = (known_columns(annotation, by_id[m], s) for m, s in zip(verdict.motifs, verdict.strands, strict=True))
        width_a = by_id[verdict.motifs[0]].representative.width
        if a is not None and b is not None:
            shift = width_a - a[1] + b[0]
            known = (verdict.gap_range[0] + shift, verdict.gap_range[1] + shift)
        low, high = known or verdict.gap_range
        parts.insert(1, f"-[{low} bp]-" if low == high else f"-[{low}-{high} bp]-")
    rule = Rule(verdict, names, known, 1.0, sorted(neurons), " ".join(parts))
    if verdict.peak_gap is not None:
        (a_lo, a_hi), (b_lo, _) = (_core(by_id[m].representative.ppm, s)
                                   for m, s in zip(verdict.motifs, verdict.strands, strict=True))
        width_a = by_id[verdict.motifs[0]].representative.width
        rule.core_gap = verdict.peak_gap + (width_a - a_hi) + b_lo
    return rule


def _core(ppm: np.ndarray, strand: str) -> tuple[int, int]:
    """Columns ``[first, last + 1)`` of at least 1 bit of the motif as inserted on ``strand`` (all if none)."""
    bits = informative_columns(ppm if strand == "+" else ppm[::-1, ::-1])
    where = np.flatnonzero(bits)
    return (int(where[0]), int(where[-1]) + 1) if len(where) else (0, ppm.shape[1])


def _arrangements(a: str, b: str) -> list[tuple[str, str, str, str]]:
    """Every order and strand of a pair (8, or 4 for two copies of one motif): a model trained on one
    strand tells an arrangement from its reverse complement, so both are measured."""
    return sorted({(first, s1, second, s2) for first, second in ((a, b), (b, a)) for s1 in "+-" for s2 in "+-"})


def _twin(key: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
    flip = {"+": "-", "-": "+"}
    return key[2], flip[key[3]], key[0], flip[key[1]]


def find_rules(annotation: Annotation, model: DNAModel, config: RulesConfig | None = None,
               log=None) -> RuleSet:
    """Hypotheses from the annotation's network motifs and syntax trees, verdicts from ``model``.

    Parameters
    ----------
    annotation : Annotation
        From :func:`~neuronmotif.annotate.annotate` on a run of ``model``.
    model : DNAModel
        The model the run deciphered.
    config : RulesConfig or None
    log : callable or None
        Called with a line of progress.

    Returns
    -------
    RuleSet
    """
    config = config or RulesConfig()
    log = log or (lambda message: None)
    start = time.perf_counter()
    by_id = {g.name: g for g in annotation.network}
    units = decompose(annotation)
    status = dict(units.folded)
    status.update({name: "composite of " + " + ".join(site.motif for site in sites)
                   for name, sites in units.composites.items()})
    tested = [g for g in annotation.network if g.name not in status][: config.max_motifs]
    status.update({g.name: f"not tested: beyond the {config.max_motifs} most used motifs"
                   for g in annotation.network if g.name not in status and g not in tested})
    log(f"rules: inserting {len(tested)} motifs into backgrounds")
    benches = Benches(model, config)
    motif_verdicts = {g.name: measure_motif(benches, g.name, g.representative.ppm, _read_neurons(holders(g)))
                      for g in tested}
    pairs = [h for h in pair_hypotheses(annotation, units) if all(m in motif_verdicts for m in h.motifs)]
    pairs = pairs[: config.max_pairs]
    log(f"rules: scanning {len(pairs)} motif pairs at every gap, order and strand")
    pair_verdicts: list[tuple[Verdict, set[tuple[int, int]]]] = []
    for hyp in pairs:
        neurons = _read_neurons(hyp.neurons)
        screened = []
        for a, sa, b, sb in _arrangements(*hyp.motifs):
            first, second = (a, by_id[a].representative.ppm, sa), (b, by_id[b].representative.ppm, sb)
            peak = screen_pair(benches, first, second, neurons)
            if peak is not None:
                screened.append((peak, first, second))
        screened.sort(key=lambda x: -x[0])
        for peak, first, second in screened[: config.full_scans]:
            if peak > 0 and (verdict := measure_pair(benches, first, second, neurons)) is not None:
                pair_verdicts.append((verdict, hyp.neurons))
    singles = [(v, holders(by_id[name])) for name, v in motif_verdicts.items()]
    everything = singles + pair_verdicts
    q = bh_qvalues(np.array([v.p_value for v, _ in everything])) if everything else np.zeros(0)
    candidates = []
    for (verdict, neurons), q_value in zip(everything, q, strict=True):
        rule = _make_rule(verdict, annotation, by_id, neurons)
        rule.q_value = float(q_value)
        candidates.append(rule)
    for name, verdict in motif_verdicts.items():
        held = {f"L{layer}_N{n}" for layer, n in holders(by_id[name])}
        status[name] = "verified" if held & set(verdict.driven) else "not verified: inserted alone it moves none " \
                                                                     "of the neurons that hold it"
    rules, unverified = _select(candidates, config, units, {g.name: g.representative.ppm for g in annotation.network})
    for name in sorted({m for r in rules for m in r.verdict.motifs}):
        if status.get(name, "").startswith("not verified"):
            status[name] = "verified"
    return RuleSet(rules, unverified, dict(sorted(status.items(), key=lambda kv: int(kv[0][1:]))), motif_verdicts,
                   {"versions": versions(), "seed": config.seed, "parameters": config.parameters()},
                   time.perf_counter() - start, benches.evaluated)


def _select(candidates: list[Rule], config: RulesConfig, units: Units,
            ppms: dict[str, np.ndarray]) -> tuple[list[Rule], list[Rule]]:
    """Split measured hypotheses into ranked rules and unverified ones (each with its reason)."""
    kept: list[Rule] = []
    rejected: list[Rule] = []
    pairs = [r for r in candidates if len(r.verdict.motifs) == 2]
    for rule in candidates:
        v = rule.verdict
        if rule.q_value >= config.q_max or v.effect <= 0:
            rule.reason = f"not significant (q = {rule.q_value:.2g})" if v.effect > 0 else "no positive effect"
        elif len(v.motifs) == 2 and rule.core_gap < 0:
            rule.reason = f"the two motifs overlap by {-rule.core_gap} bp at the peak: one hybrid site, not a pair"
        elif len(v.motifs) == 2 and (v.cooperativity or 0) < config.min_cooperativity:
            rule.reason = f"the two motifs add up (cooperativity {v.cooperativity:.2f})"
        elif len(v.motifs) == 1 and (outer := _subsumed_by(rule, pairs, config)) is not None:
            rule.reason = f"acts through the pair {outer.label}"
        (rejected if rule.reason else kept).append(rule)
    kept = _one_per_orientation(kept, rejected)
    kept.sort(key=lambda r: (-r.verdict.effect, r.label))
    top: dict[str, float] = {}
    for rule in kept:
        top.setdefault(rule.verdict.readout, rule.verdict.effect)
    rules: list[Rule] = []
    for rule in kept:
        if rule.verdict.effect < config.min_share * top[rule.verdict.readout]:
            rule.reason = f"minor: effect under {config.min_share:g} of the strongest rule's on {rule.verdict.readout}"
        elif (twin := _repeats(rule, rules, units)) is not None:
            rule.reason = f"repeats {twin.rule_id} ({twin.label}) with the same or similar motifs"
        elif (outer := _part_of(rule, rules, ppms)) is not None:
            rule.reason = f"a weaker part or variant of {outer.rule_id} ({outer.label})"
        if rule.reason:
            rejected.append(rule)
            continue
        rule.rank = len(rules) + 1
        rules.append(rule)
    rejected.sort(key=lambda r: (-r.verdict.effect, r.label))
    return rules, rejected


#: TOMTOM p below which a rule's arrangement aligned within a stronger rule's is a part of it
PART_P = 1e-3


def arrangement_ppm(verdict: Verdict, ppms: dict[str, np.ndarray]) -> np.ndarray:
    """(4, w) the rule as inserted at its peak: each motif on its strand, uniform columns in the gap
    (an overlap keeps the second motif's columns)."""
    parts = [ppms[m] if s == "+" else ppms[m][::-1, ::-1] for m, s in zip(verdict.motifs, verdict.strands, strict=True)]
    if len(parts) == 1:
        return parts[0]
    gap = verdict.peak_gap or 0
    first = parts[0] if gap >= 0 else parts[0][:, : parts[0].shape[1] + gap]
    return np.concatenate([first, np.full((4, max(gap, 0)), 0.25), parts[1]], axis=1)


def _part_of(rule: Rule, ranked: list[Rule], ppms: dict[str, np.ndarray]) -> Rule | None:
    """A stronger ranked rule on the same readout whose arrangement and this rule's align (TOMTOM p < PART_P)
    over at least 80% of the narrower of the two: a partial or variant copy, e.g. one half of a pair plus a
    flank, or the pair with a variant of one of its motifs."""
    query = arrangement_ppm(rule.verdict, ppms)
    others = [r for r in ranked if r.verdict.readout == rule.verdict.readout]
    if not others:
        return None
    targets = [arrangement_ppm(r.verdict, ppms) for r in others]
    cmp = compare([query], targets)
    hits = [i for i, t in enumerate(targets)
            if cmp.p[0, i] < PART_P and cmp.overlap[0, i] >= 0.8 * min(query.shape[1], t.shape[1])]
    return others[min(hits, key=lambda i: cmp.p[0, i])] if hits else None


def _repeats(rule: Rule, ranked: list[Rule], units: Units) -> Rule | None:
    """A ranked rule with the same number of motifs, each the same or similar, in the same order."""
    mine = rule.verdict.motifs
    for other in ranked:
        theirs = other.verdict.motifs
        if len(theirs) == len(mine) and all(units.alike(a, b) for a, b in zip(mine, theirs, strict=True)):
            return other
    return None


def _subsumed_by(single: Rule, pairs: list[Rule], config: RulesConfig) -> Rule | None:
    """A significant cooperative pair holding the single motif with ``subsumed`` times its effect, if any."""
    motif = single.verdict.motifs[0]
    for pair in sorted(pairs, key=lambda r: -r.verdict.effect):
        v = pair.verdict
        if (motif in v.motifs and pair.q_value < config.q_max and (v.cooperativity or 0) >= config.min_cooperativity
                and v.readout == single.verdict.readout and v.effect >= config.subsumed * single.verdict.effect):
            return pair
    return None


def _one_per_orientation(kept: list[Rule], rejected: list[Rule]) -> list[Rule]:
    """Of an arrangement and its reverse complement, keep the stronger (the other joins ``rejected``)."""
    best: dict[tuple, Rule] = {}
    for rule in kept:
        v = rule.verdict
        if len(v.motifs) != 2:
            best[("single", v.motifs[0])] = rule
            continue
        key = (v.motifs[0], v.strands[0], v.motifs[1], v.strands[1])
        cls = min(key, _twin(key))
        if cls in best and best[cls].verdict.effect >= v.effect:
            rule.reason = "reverse complement of a stronger arrangement"
            rejected.append(rule)
            continue
        if cls in best:
            best[cls].reason = "reverse complement of a stronger arrangement"
            rejected.append(best[cls])
        best[cls] = rule
    return list(best.values())
