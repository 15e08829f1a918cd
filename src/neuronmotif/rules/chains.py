"""Chains of three motifs: three unit sites the CRMs hold side by side, verified by the model.

A rule is one motif, or an ordered chain of motifs with a strand each and a spacing per adjacent pair. Pairs
are measured by :mod:`~neuronmotif.rules.scanning`; chains of three here:

* **hypotheses** (:func:`chain_hypotheses`): three different unit sites side by side in one CRM
  (:func:`~neuronmotif.rules.orientation.chain_gaps`), at the two gaps the CRMs hold most. The chains that
  extend a pair the trial selection reports come first (the same units and strands as two adjacent sites),
  then the others by the sequences that hold them (a model that needs all three answers none of the pairs,
  so no pair rule points to it); the first :data:`CHAIN_SCREEN` are read at their held gaps
  (:func:`screen_chains`), and the most cooperative are measured;
* **verdict** (:func:`measure_chain`): the middle motif stays at one place per background; both gaps are
  scanned together, every pair of gaps within :data:`CHAIN_WINDOW` bp of the held ones (a model that needs all
  three answers nothing while either gap is off). The **chain interaction** of a configuration
  is ``ABC - AB - BC - AC + A + B + C`` (each a rise over the background, the pairs and motifs alone at their
  places in the chain): what the three give beyond every pair of them. Pairs that merely add up (two rules
  that share a motif, three sites of a tandem) give 0, and so does a pair with a spacer motif it hardly
  needs (its outer pair AC answers without the middle one); a model that needs all three answers ABC alone.
  Each pair's range is :func:`~neuronmotif.rules.spacing.gap_span` of the chain interaction over its gaps,
  the other gap at its peak. The test repeats the peak on fresh backgrounds and instances; a pair's core of
  two gaps is settled there as a pair's is (:func:`~neuronmotif.rules.spacing.settle_two_gaps`: one gap, a
  hard spacing, unless the other is not significantly lower). Cooperativity is the mean chain interaction
  over the mean response together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..annotation import NetworkMotif
from ..sequences import ppm_instances
from .config import RulesConfig
from .hypotheses import Units
from .insertion import Bench, insert, oriented
from .orientation import Chain, canonical
from .rule import Rule
from .scanning import read_neurons
from .spacing import gap_span, one_sided_p, settle_two_gaps
from .verdicts import Benches, Verdict, driven_readouts, judge_column, rng_for

#: bp either side of the held gap that a chain's scan covers, for each of its two pairs
CHAIN_WINDOW = 6
#: chain hypotheses read at their held gaps before the most promising are measured (:func:`screen_chains`)
CHAIN_SCREEN = 48


@dataclass(frozen=True)
class ChainHypothesis:
    """Three units side by side, as the CRMs hold them.

    Attributes
    ----------
    chain : Chain
        (first unit, strand, second, strand, third, strand).
    gaps : (int, int)
        The gaps (bp between the units' edges) the CRMs hold it at most.
    support : int
        Sequences of the CRMs that hold it, at any gaps.
    neurons : frozenset of (layer, neuron)
        The neurons whose CRMs hold it.
    """

    chain: Chain
    gaps: tuple[int, int]
    support: int
    neurons: frozenset[tuple[int, int]]


def chain_hypotheses(held: dict[Chain, Counter], neurons: dict[Chain, set[tuple[int, int]]], reported: list[Rule],
                     tested: set[str], units: Units, most: int) -> list[ChainHypothesis]:
    """The ``most`` chains of three different units to measure: those that extend a reported pair rule first,
    then by support. A unit twice (or two similar units) is left to the pair rules: three sites of a tandem
    add up, and a pair learned on both strands answers its two strands around one shared motif (a G run,
    NFY, then a C run) more than the pair, a chimera of two readings of one rule.

    Parameters
    ----------
    held : dict
        Canonical chain -> (gap, gap) -> sequences (:func:`~neuronmotif.rules.orientation.chain_gaps`).
    neurons : dict
        Canonical chain -> the neurons whose CRMs hold it.
    reported : list of Rule
        The rules a trial selection reports.
    tested : set of str
        Units inserted alone (a chain is made of tested units only).
    units : Units
        Which units are similar.
    most : int
    """
    pairs = {canonical((v.motifs[0], v.strands[0], v.motifs[1], v.strands[1]))
             for v in (r.verdict for r in reported) if len(v.motifs) == 2}
    found = []
    for key, by_gaps in held.items():
        a, sa, b, sb, c, sc = key
        if not {a, b, c} <= tested or units.alike(a, b) or units.alike(b, c) or units.alike(a, c):
            continue
        extends = canonical((a, sa, b, sb)) in pairs or canonical((b, sb, c, sc)) in pairs
        gaps = min(by_gaps.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        found.append((not extends, -sum(by_gaps.values()), key, gaps))
    found.sort()
    return [ChainHypothesis(key, gaps, -support, frozenset(neurons.get(key, ())))
            for _, support, key, gaps in found[:most]]


@dataclass
class _Parts:
    """The three motifs as inserted: ids, strands, oriented PPMs (4, w) and instances (N, w) on one bench."""

    ids: tuple[str, str, str]
    strands: tuple[str, str, str]
    ppms: list[np.ndarray]
    instances: list[np.ndarray]

    @property
    def widths(self) -> list[int]:
        return [p.shape[1] for p in self.ppms]


def _parts(by_id: dict[str, NetworkMotif], chain: Chain, n: int, rng: np.random.Generator) -> _Parts:
    ids, strands = (chain[0], chain[2], chain[4]), (chain[1], chain[3], chain[5])
    ppms = [oriented(by_id[m].representative.ppm, s) for m, s in zip(ids, strands, strict=True)]
    return _Parts(ids, strands, ppms, [ppm_instances(p, n, rng) for p in ppms])


def _anchors(bench: Bench, parts: _Parts, before: int, after: int, rng: np.random.Generator) -> np.ndarray | None:
    """(N,) the middle motif's start on each background, leaving ``before`` bp for the first motif and its
    widest gap and ``after`` for the second gap and the third motif; None when the chain does not fit.
    Translation-invariant readouts: near the centre, at a random phase of the pooling stride; positional
    ones (:meth:`~neuronmotif.rules.insertion.Bench.positional`): the start where the middle motif alone
    moves the readouts most."""
    lowest, highest = before, bench.length - parts.widths[1] - after
    if highest < lowest:
        return None
    if bench.positional():
        profile = bench.profile(parts.ppms[1])
        return np.full(bench.n, lowest + int(np.argmax(profile[lowest: highest + 1])))
    phases = rng.integers(0, bench.stride(), size=bench.n)
    return np.clip((lowest + highest) // 2 - bench.stride() // 2 + phases, lowest, highest)


def _placed(bench: Bench, by_id: dict[str, NetworkMotif], chain: Chain, widest: tuple[int, int], config: RulesConfig,
            purpose: str) -> tuple[_Parts, np.ndarray] | None:
    """The chain's motifs with instances drawn for ``bench`` and the middle motif's start on each background,
    with room for gaps up to ``widest`` (first, second); None when the chain does not fit. ``purpose`` keys the
    draws: the same chain draws the same instances for the same purpose."""
    parts = _parts(by_id, chain, bench.n, rng_for(config, purpose, *chain))
    wa, _, wc = parts.widths
    anchors = _anchors(bench, parts, wa + max(widest[0], 0), max(widest[1], 0) + wc,
                       rng_for(config, purpose + " anchors", *chain))
    return None if anchors is None else (parts, anchors)


def _chain_reads(bench: Bench, parts: _Parts, anchors: np.ndarray, configs: list[tuple[int, int]]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Responses to the chain at each (gap, gap) of ``configs``.

    Returns
    -------
    together : np.ndarray, shape (K, N, R)
        All three inserted.
    interaction : np.ndarray, shape (K, N, R)
        The chain interaction ``ABC - AB - BC - AC + A + B + C`` on each background.
    """
    (ia, ib, ic), (wa, wb, _) = parts.instances, parts.widths
    first = {g1: (ia, anchors - g1 - wa) for g1, _ in configs}
    third = {g2: (ic, anchors + wb + g2) for _, g2 in configs}
    middle = (ib, anchors)
    keys: dict[tuple, int] = {}
    tokens: list[np.ndarray] = []

    def add(key: tuple, pieces: list) -> None:
        if key not in keys:
            keys[key] = len(tokens)
            tokens.append(insert(bench.backgrounds, pieces))

    add(("B",), [middle])
    for g1, g2 in configs:
        add(("A", g1), [first[g1]])
        add(("C", g2), [third[g2]])
        add(("AB", g1), [first[g1], middle])
        add(("BC", g2), [middle, third[g2]])
        add(("AC", g1, g2), [first[g1], third[g2]])
        add(("ABC", g1, g2), [first[g1], middle, third[g2]])
    reads = bench.read(np.concatenate(tokens), np.tile(np.arange(bench.n), len(tokens)))
    reads = reads.reshape(len(tokens), bench.n, -1)

    def each(key) -> np.ndarray:  # (K, N, R): the reads of key(g1, g2) for every configuration
        return np.stack([reads[keys[key(g1, g2)]] for g1, g2 in configs])

    together = each(lambda g1, g2: ("ABC", g1, g2))
    pairs = each(lambda g1, _: ("AB", g1)) + each(lambda _, g2: ("BC", g2)) + each(lambda g1, g2: ("AC", g1, g2))
    singles = each(lambda g1, _: ("A", g1)) + each(lambda _, g2: ("C", g2)) + reads[keys[("B",)]][None]
    return together, together - pairs + singles


def _window(held: int, narrower: int) -> list[int]:
    """The gaps scanned around a held one: :data:`CHAIN_WINDOW` bp either side, overlapping by at most half
    the narrower motif."""
    return list(range(max(held - CHAIN_WINDOW, -(narrower // 2)), max(held, -(narrower // 2)) + CHAIN_WINDOW + 1))


def _settled(test: Bench, by_id: dict[str, NetworkMotif], chain: Chain, spans: list[tuple[int, int, int]],
             judge: int, config: RulesConfig) -> tuple | None:
    """Each pair's (low, high, peak) after a core of two gaps is read again on the fresh backgrounds
    (:func:`~neuronmotif.rules.spacing.settle_two_gaps`, as for pairs), with the reads of the chain at the
    settled peaks: (span 1, span 2, together (N, R), chain interaction (N, R)); None when it does not fit.

    The chain is read on ``test`` at every combination of each pair's core (one or two gaps), on the same
    backgrounds and instances; each pair's two gaps are compared at the other pair's peak."""
    cores = [(peak, *([lo if peak == hi else hi] if hi - lo == 1 else [])) for lo, hi, peak in spans]
    if (fresh := _placed(test, by_id, chain, (max(cores[0]), max(cores[1])), config, "chain test")) is None:
        return None
    grid = [(g1, g2) for g1 in cores[0] for g2 in cores[1]]
    together, interaction = _chain_reads(test, *fresh, grid)
    reads = {g: (together[i], interaction[i], None) for i, g in enumerate(grid)}
    peaks, settled = [cores[0][0], cores[1][0]], list(spans)
    for k, core in enumerate(cores):
        if len(core) == 2:
            at = [tuple(peaks[:k] + [g] + peaks[k + 1:]) for g in core]
            gap, _, alike = settle_two_gaps((core[0], reads[at[0]]), (core[1], reads[at[1]]), judge)
            settled[k] = settled[k] if alike else (gap, gap, gap)
            peaks[k] = gap
    final = reads[(peaks[0], peaks[1])]
    return settled[0][:2] + (peaks[0],), settled[1][:2] + (peaks[1],), final[0], final[1]


def _curve(bench: Bench, gaps: list[int], together: np.ndarray, interaction: np.ndarray, judge: int) -> dict:
    columns = sorted({judge, *bench.readouts.output_columns.tolist()})
    return {"gaps": gaps, "readouts": {bench.readouts.names[c]: {
        "together": np.round(together[:, :, c].mean(axis=1), 4).tolist(),
        "interaction": np.round(interaction[:, :, c].mean(axis=1), 4).tolist()} for c in columns}}


def screen_chains(benches: Benches, by_id: dict[str, NetworkMotif], hypotheses: list[ChainHypothesis],
                  most: int) -> list[ChainHypothesis]:
    """The ``most`` hypotheses that cooperate most at the gaps their CRMs hold, best first: each read at those
    gaps alone on the scan's backgrounds (7 sequences per background), scored on its best readout (a model
    output when the head runs, else a holding neuron) by the smaller of the mean response together and the
    mean chain interaction; only positive scores are kept. A chain of a reported pair with a neighbour that
    merely adds to it scores about 0 and is not measured."""
    scored = []
    for rank, hyp in enumerate(hypotheses):
        neurons = read_neurons(set(hyp.neurons))
        bench = benches.get(neurons, benches.config.n_backgrounds)
        if (placed := _placed(bench, by_id, hyp.chain, hyp.gaps, benches.config, "chain")) is None:
            continue
        together, interaction = (x[0].mean(axis=0) for x in _chain_reads(bench, *placed, [hyp.gaps]))
        held = {f"L{layer}_N{n}" for layer, n in neurons}
        columns = bench.readouts.output_columns if bench.readouts.n_outputs else \
            [i for i, name in enumerate(bench.readouts.names) if name in held]
        score = float(np.minimum(together, interaction)[columns].max()) if len(columns) else 0.0
        if score > 0:
            scored.append((-score, rank, hyp))
    return [hyp for _, _, hyp in sorted(scored)[:most]]


def measure_chain(benches: Benches, by_id: dict[str, NetworkMotif], hypothesis: ChainHypothesis,
                  neurons: list[tuple[int, int]]) -> Verdict | None:
    """Insert a chain of three network motifs, each on its strand, around the gaps its CRMs hold; judge
    where the three cooperate beyond every pair of them (the module's docstring).

    Returns
    -------
    Verdict with ``chain_gaps`` and ``chain_peaks``, or None when the chain does not fit the input.
    """
    config = benches.config
    bench = benches.get(neurons, config.n_backgrounds)
    wa, wb, wc = (by_id[m].representative.width for m in hypothesis.chain[::2])
    first, second = _window(hypothesis.gaps[0], min(wa, wb)), _window(hypothesis.gaps[1], min(wb, wc))
    if (placed := _placed(bench, by_id, hypothesis.chain, (first[-1], second[-1]), config, "chain")) is None:
        return None
    grid = [(g1, g2) for g1 in first for g2 in second]
    together, interaction = _chain_reads(bench, *placed, grid)
    judge = judge_column(interaction.mean(axis=1), bench, neurons)
    score = interaction[:, :, judge]
    if score.mean(axis=1).max() <= config.min_cooperativity * together[:, :, judge].mean(axis=1).max():
        score = together[:, :, judge]  # no chain: where the three answer most, for the verdict to say so
    best = grid[int(np.argmax(score.mean(axis=1)))]
    rows = [[grid.index((g1, best[1])) for g1 in first], [grid.index((best[0], g2)) for g2 in second]]
    spans = [gap_span(np.array(first), score[rows[0]], config.half_max),
             gap_span(np.array(second), score[rows[1]], config.half_max)]
    test = benches.get(neurons, config.n_test, "test")
    settled = _settled(test, by_id, hypothesis.chain, spans, judge, config)
    if settled is None:
        return None
    (lo1, hi1, peak1), (lo2, hi2, peak2), both, chained = settled
    effect = float(both[:, judge].mean())
    coop = float(chained[:, judge].mean() / effect) if effect > 0 else 0.0
    curve = {"pairs": [_curve(bench, gaps, together[r], interaction[r], judge)
                       for gaps, r in ((first, rows[0]), (second, rows[1]))]}
    return Verdict(hypothesis.chain[::2], hypothesis.chain[1::2], bench.readouts.names[judge], effect,
                   float(one_sided_p(chained[:, [judge]])[0]), cooperativity=coop,
                   driven=driven_readouts(chained, test, neurons), curve=curve,
                   chain_gaps=((lo1, hi1), (lo2, hi2)), chain_peaks=(peak1, peak2))


__all__ = ["CHAIN_SCREEN", "CHAIN_WINDOW", "ChainHypothesis", "chain_hypotheses", "measure_chain", "screen_chains"]
