"""The network's grammar: hypotheses from the syntax trees, verdicts from the model, ranked rules.

:func:`find_rules`:

0. cuts the known sites out of every long motif that holds two or more side by side
   (:mod:`~neuronmotif.rules.sites`);
1. sorts the network motifs into units, fragments, longer copies and composites
   (:func:`~neuronmotif.rules.hypotheses.decompose`); only units are tested;
2. inserts every other network motif alone (:func:`~neuronmotif.rules.verdicts.measure_motif`): a motif
   is **verified** when it moves at least one neuron that holds it;
3. inserts the most supported adjacent pairs of the trees in every order and strand, the pairs of the motifs
   that move a readout most alone, and the next supported pairs whose quick screen moves some model output
   half as much as anything measured (:mod:`~neuronmotif.rules.scanning`,
   :func:`~neuronmotif.rules.verdicts.measure_pair`); an arrangement and its reverse complement are one
   orientation, judged by the stronger;
4. chains of three different units side by side in the CRMs, screened at the gaps they are held at, the
   most cooperative measured with both gaps scanned together (:mod:`~neuronmotif.rules.chains`);
   q-values: Benjamini-Hochberg over every test;
5. a significant cooperative pair whose cores overlap at the peak is one site cut in pieces: it becomes a
   single-motif rule of the assembled motif (:mod:`~neuronmotif.rules.assemble`);
6. a **rule** is a pair orientation whose interaction is significant and at least ``min_cooperativity`` of
   its effect (and the same two motifs overlapping as one site answer clearly less), a chain whose chain
   interaction (beyond its two pairs) is so, or a verified motif
   with a significant positive effect that does not act through a pair rule holding it
   (:func:`~neuronmotif.rules.select.select_rules`: ``subsumed`` times its effect, or for its own
   homotypic pair an interaction of ``subsumed - 1`` times it); rules are ranked by effect (the mean
   rise of the judging readout, a model output when the head runs). Minor rules (under ``min_share`` of
   the strongest rule on the same readout), repeats (the same or similar units in the same order as a
   stronger rule) and weaker parts of a stronger rule's arrangement go to the unverified list with the
   reason (a better-read repeat or part with 80% of the effect, spanning the stronger rule, takes its
   place instead);
7. when the model's outputs are read, a verified motif stays in the default view (``motifs.tsv``) when a
   reported rule holds it or, inserted alone, it moves a model output by at least ``min_share`` of the
   strongest rule's effect on that output (:func:`output_status`); the others, internal features and
   pieces that move their own neurons but hardly the model's predictions, are *minor*, and a motif whose
   own single-motif rule a reported rule stands for (a repeat, part or variant) is *shown by* it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..annotation import Annotation, NetworkMotif
from ..grammar import orient
from ..model import DNAModel
from ..motifs import MotifDatabase, load_motif_db
from ..motifs.similarity import aligned_columns, bh_qvalues
from ..ppm import informative_columns
from ..versions import versions
from .assemble import assemble_hybrids, partners_of_assembled, with_assembled
from .chains import CHAIN_SCREEN, chain_hypotheses, measure_chain, screen_chains
from .config import RulesConfig
from .hypotheses import decompose, holders, include_assembled, pair_hypotheses
from .orientation import arrangement_gaps, arrangement_support, chain_gaps, crm_sites
from .rule import Rule, RuleSet
from .scanning import measure_pairs, pairs_of_drivers, read_neurons, second_look
from .select import select_rules
from .sites import cut_known_sites
from .verdicts import Benches, Verdict, measure_motif


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
               neurons: set[tuple[int, int]], db: MotifDatabase) -> Rule:
    names = tuple((b.target_name if (b := annotation.best_match(by_id[m].representative)) else "")
                  for m in verdict.motifs)
    parts = [_label_part(n, m, s, annotation, by_id) for n, m, s in zip(names, verdict.motifs, verdict.strands,
                                                                         strict=True)]
    placed = [(by_id[m], s) for m, s in zip(verdict.motifs, verdict.strands, strict=True)]
    columns = [known_columns(annotation, motif, s) for motif, s in placed]  # None where unnamed
    known: list[tuple[int, int] | None] = []
    for i, (low, high) in enumerate(verdict.ranges):
        a, b = columns[i], columns[i + 1]
        shift = None if a is None or b is None else placed[i][0].representative.width - a[1] + b[0]
        known.append(None if shift is None else (low + shift, high + shift))
        low, high = known[-1] or (low, high)
        parts.insert(2 * i + 1, f"-[{low} bp]-" if low == high else f"-[{low}-{high} bp]-")
    rule = Rule(verdict, names, known[0] if len(known) == 1 else None, 1.0, sorted(neurons), " ".join(parts),
                known_chain=known if len(known) > 1 else [])
    if verdict.peaks:
        cores = [cols or _core(motif.representative.ppm, s) for cols, (motif, s) in zip(columns, placed, strict=True)]
        rule.core_gap = min(peak + (placed[i][0].representative.width - cores[i][1]) + cores[i + 1][0]
                            for i, peak in enumerate(verdict.peaks))
    if verdict.peak_gap is not None:
        rule.whole_sites = verdict.peak_gap >= 0 and all(_holds_whole_site(annotation, motif, db)
                                                         for motif, _ in placed)
    if verdict.peaks:
        rule.distinct_sites = (all(names) and all(a != b for a, b in zip(names[:-1], names[1:], strict=True))
                               and all(peak >= 0 for peak in verdict.peaks))
    return rule


#: a network motif holding this share of its known match's informative span (columns of 1 bit or more,
#: first to last) is a whole site of it
WHOLE_SITE_SHARE = 0.75


def _holds_whole_site(annotation: Annotation, motif: NetworkMotif, db: MotifDatabase) -> bool:
    """Whether the motif's own columns hold its known match's informative span (a named, whole site)."""
    best = annotation.best_match(motif.representative)
    if best is None:
        return False
    target = db.ppm(best.target_id)
    bits = np.flatnonzero(informative_columns(target if best.strand == "+" else target[::-1, ::-1]))
    if not len(bits):
        return False
    start, _ = known_columns(annotation, motif, "+")
    low, high = start + int(bits[0]), start + int(bits[-1]) + 1
    held = min(high, motif.representative.width) - max(low, 0)
    return held >= WHOLE_SITE_SHARE * (high - low)


def _core(ppm: np.ndarray, strand: str) -> tuple[int, int]:
    """Columns ``[first, last + 1)`` of at least 1 bit of the motif as inserted on ``strand`` (all if none)."""
    bits = informative_columns(ppm if strand == "+" else ppm[::-1, ::-1])
    where = np.flatnonzero(bits)
    return (int(where[0]), int(where[-1]) + 1) if len(where) else (0, ppm.shape[1])


def with_flanks(annotation: Annotation, motif: NetworkMotif, flank: int) -> np.ndarray:
    """(4, w + up to 2 * flank) the motif's representative segment widened by ``flank`` columns of its own CRM
    on each side (as far as the CRM goes): a segment cut at 1 bit can lose the weaker ends of its site,
    which the neurons still read."""
    segment = motif.representative.representative
    results = {r.neuron: r for r in annotation.layers[segment.layer].neurons} if segment.layer in annotation.layers \
        else {}
    crm = next((c for c in results[segment.neuron].crms if c.index == segment.crm_index), None) \
        if segment.neuron in results else None
    if crm is None or flank == 0:
        return motif.representative.ppm
    return crm.ppm[:, max(0, segment.start - flank): segment.end + flank]


def output_status(status: dict[str, str], verdicts: dict[str, Verdict], rules: list[Rule],
                  min_share: float, unverified: list[Rule] | None = None,
                  floors: dict[str, float] | None = None) -> dict[str, str]:
    """New status of the verified motifs that matter too little for the model's outputs (empty when the
    outputs are not read, e.g. a model whose head does not run at the input length).

    A verified motif that no reported rule holds is *shown by* a reported rule when its own single-motif
    rule (in ``unverified``) that rule stands for (a repeat, part or variant): the rule's motifs
    stand for it (a FOX-like variant beside the FOX pair's motif). Otherwise it is *minor* unless,
    inserted alone, it moves some output by at least ``min_share`` of the strongest effect on that output
    (of a reported rule, else of any motif alone) and by its output's floor in ``floors`` (a share of
    the output's spread over random backgrounds): the bars a rule must clear to be reported.
    """
    if not any(verdict.readout.startswith("output ") for verdict in verdicts.values()):
        return {}
    floors = floors or {}
    driven = {name: {k: v for k, v in verdict.driven.items() if k.startswith("output ")}
              for name, verdict in verdicts.items()}
    strongest: dict[str, float] = {}
    for output, effect in (kv for moved in driven.values() for kv in moved.items()):
        strongest[output] = max(strongest.get(output, 0.0), effect)
    by_rules: dict[str, float] = {}  # a reported rule's effect sets the bar on its output
    for rule in rules:
        by_rules[rule.verdict.readout] = max(by_rules.get(rule.verdict.readout, 0.0), rule.verdict.effect)
    strongest.update(by_rules)
    in_rules = {m for rule in rules for m in rule.verdict.motifs}
    shown_by = {r.verdict.motifs[0]: stand_in for r in unverified or []
                if len(r.verdict.motifs) == 1 and (stand_in := r.reported_stand_in()) is not None}
    demoted = {}
    for name, moved in driven.items():
        if status.get(name) != "verified" or name in in_rules:
            continue
        if name in shown_by:
            rule = shown_by[name]
            demoted[name] = (f"shown by {rule.rule_id} ({rule.label}): inserted alone it repeats that rule "
                             "or is a part or variant of it")
        elif not any(effect >= min_share * strongest[output] and effect >= floors.get(output, 0.0)
                     for output, effect in moved.items()):
            best = max(moved.items(), key=lambda kv: kv[1] / strongest[kv[0]], default=None)
            said = "none" if best is None else f"{best[0]} by {best[1]:.3g} of {strongest[best[0]]:.3g}"
            demoted[name] = (f"minor: moves its neurons, but no model output by {min_share:g} of the "
                             f"strongest effect on it and a rule's share of its spread ({said})")
    return demoted


def _set_q_values(candidates: list[Rule]) -> None:
    """Benjamini-Hochberg q-values over every test so far (each candidate's verdict), in place."""
    q = bh_qvalues(np.array([r.verdict.p_value for r in candidates])) if candidates else np.zeros(0)
    for rule, q_value in zip(candidates, q, strict=True):
        rule.q_value = float(q_value)


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
    db = annotation.db or load_motif_db(annotation.config.motif_db)
    annotation, pieces, cuts = cut_known_sites(annotation, db, annotation.config.match_q)
    by_id = {g.name: g for g in annotation.network}
    units = decompose(annotation, cuts, db)
    status = dict(units.folded)
    status.update({name: "composite of " + " + ".join(site.motif for site in sites)
                   for name, sites in units.composites.items()})
    tested = [g for g in annotation.network if g.name not in status][: config.max_motifs]
    status.update({g.name: f"not tested: beyond the {config.max_motifs} most used motifs"
                   for g in annotation.network if g.name not in status and g not in tested})
    log(f"rules: inserting {len(tested)} motifs into backgrounds")
    benches = Benches(model, config)
    motif_verdicts = {g.name: measure_motif(benches, g.name, with_flanks(annotation, g, config.flank),
                                            read_neurons(holders(g)))
                      for g in tested}
    proposed = [h for h in pair_hypotheses(annotation, units) if all(m in motif_verdicts for m in h.motifs)]
    pairs = proposed[: config.max_pairs]
    pairs += pairs_of_drivers(motif_verdicts, by_id, config.drivers_paired, {h.motifs for h in pairs},
                              config.max_pairs // 2)
    log(f"rules: scanning {len(pairs)} motif pairs at every gap, order and strand")
    pair_verdicts = measure_pairs(benches, by_id, pairs, config)
    spread = benches.output_spread()
    floors = {output: config.min_effect_sd * sd for output, sd in spread.items()}
    scanned = {h.motifs for h in pairs}
    sites = crm_sites(annotation, units)
    held = arrangement_gaps(annotation, sites)
    if more := second_look(benches, by_id, [h for h in proposed if h.motifs not in scanned],
                           [*motif_verdicts.values(), *(v for v, _ in pair_verdicts)], floors, config, held):
        log(f"rules: scanning {len(more)} more pairs whose quick screen or placed test moves an output")
        pair_verdicts += measure_pairs(benches, by_id, more, config)
    singles = [(v, holders(by_id[name])) for name, v in motif_verdicts.items()]
    candidates = [_make_rule(verdict, annotation, by_id, neurons, db) for verdict, neurons in singles + pair_verdicts]
    _set_q_values(candidates)
    ppms = {g.name: g.representative.ppm for g in annotation.network}
    candidates, assembled = assemble_hybrids(candidates, ppms, {g.name: g.first_layer for g in annotation.network},
                                             db, config, annotation.config.match_q)
    ppms.update({a.name: a.ppm for a in assembled})
    include_assembled(units, ppms, [a.name for a in assembled])
    support = arrangement_support(held)  # what include_assembled adds (similar, palindromic units) leaves it
    if assembled:  # the pair rules of a piece, asked again with the whole site
        trial, _ = select_rules([replace(r) for r in candidates], config, units, ppms, support, spread)
        if partners := partners_of_assembled(trial, assembled)[: config.max_pairs]:
            log(f"rules: scanning {len(partners)} pairs of assembled sites with the partners of their pieces")
            named = with_assembled(annotation, assembled)
            by_name = {g.name: g for g in named.network}
            candidates += [_make_rule(verdict, named, by_name, neurons, db)
                           for verdict, neurons in measure_pairs(benches, by_name, partners, config)]
            _set_q_values(candidates)
    if config.max_chains:
        trial, _ = select_rules([replace(r) for r in candidates], config, units, ppms, support, spread)
        held_chains, chain_neurons = chain_gaps(annotation, sites)
        proposed_chains = chain_hypotheses(held_chains, chain_neurons, trial, set(motif_verdicts), units, CHAIN_SCREEN)
        if chains := screen_chains(benches, by_id, proposed_chains, config.max_chains):
            log(f"rules: inserting {len(chains)} chains of three motifs the CRMs hold")
            candidates += [_make_rule(verdict, annotation, by_id, set(hyp.neurons), db) for hyp in chains
                           if (verdict := measure_chain(benches, by_id, hyp, read_neurons(set(hyp.neurons))))]
            _set_q_values(candidates)
    for name, verdict in motif_verdicts.items():
        held = {f"L{layer}_N{n}" for layer, n in holders(by_id[name])}
        status[name] = "verified" if held & set(verdict.driven) else "not verified: inserted alone it moves none " \
                                                                     "of the neurons that hold it"
    rules, unverified = select_rules(candidates, config, units, ppms, support, spread)
    reported = {m for r in rules for m in r.verdict.motifs}
    for name in reported:
        if status.get(name, "").startswith("not verified"):
            status[name] = "verified"
    status.update(output_status(status, motif_verdicts, rules, config.min_share, unverified, floors))
    status.update({a.name: "verified" if a.name in reported else f"{a.origin}; its rule is not reported"
                   for a in assembled})
    return RuleSet(rules, unverified, dict(sorted(status.items(), key=lambda kv: int(kv[0][1:]))), motif_verdicts,
                   {"versions": versions(), "seed": config.seed, "parameters": config.parameters(),
                    "output_spread": spread},
                   time.perf_counter() - start, benches.evaluated, pieces + assembled)
