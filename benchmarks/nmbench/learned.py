"""What spacing a zoo model learned, read with the planted matrices (which neuronmotif never sees).

A planted pair is a statement about the training data; what a trained model does with it can differ
(the hard negatives of ``neuronmotif.datasets.simulate`` sit 3-8 bp off the planted gap, so nothing
teaches a model that 1 bp off is wrong). This reads the model directly: instances of the two planted
motifs, drawn from their JASPAR PPMs, inserted into the model's own background at every gap, and the
interaction (together minus each alone plus the background) of the grammar's output; and what one site of each
planted motif, inserted alone, does to the grammar's output (a lone site a model hardly answers cannot be a rule).
"""

from __future__ import annotations

import numpy as np
import torch

from neuronmotif.datasets.simulate import Grammar
from neuronmotif.motifs import jaspar_motif
from neuronmotif.rules.spacing import gap_span, settle_two_gaps
from neuronmotif.sequences import one_hot, ppm_instances, random_background

from .zoo import GRAMMAR_SETS, ZooEntry


def _background(entry: ZooEntry, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, L) tokens of the entry's own background (GC content, dinucleotide chain where it has one)."""
    grammar_set = GRAMMAR_SETS[entry.grammar_set]
    chain = None if grammar_set.dinucleotide is None else np.array(grammar_set.dinucleotide)
    return random_background(n, entry.length, grammar_set.gc, rng, chain)


def _outputs(model: torch.nn.Module, tokens: np.ndarray) -> np.ndarray:
    """(N, L) tokens -> (N, tasks) float64 model outputs."""
    with torch.no_grad():
        return model(one_hot(tokens)).double().numpy()


def learned_gap_interactions(model: torch.nn.Module, entry: ZooEntry, task: int, gaps: range = range(0, 20),
                             n: int = 1000, start: int = 40, seed: int = 0) -> np.ndarray:
    """Interaction of the planted pair of ``task`` at each gap, on ``task``'s output, on each background.

    Parameters
    ----------
    model : torch.nn.Module
        A zoo model in eval mode, (N, 4, L) one-hot in, (N, tasks) out.
    entry : ZooEntry
    task : int
        Index of a two-motif grammar of the entry's grammar set.
    gaps : range
        bp between the first motif's end and the second's start (negative: the second overwrites the
        first's last columns).
    n : int
        Backgrounds (and instances of each motif) per gap.
    start : int
        Where the first motif starts (bp).

    Returns
    -------
    np.ndarray, shape (len(gaps), n)
        Together minus each alone plus the background (output units), the same backgrounds at every gap.
    """
    grammar: Grammar = GRAMMAR_SETS[entry.grammar_set].grammars[task]
    rng = np.random.default_rng(seed)
    tokens = _background(entry, n, rng)
    (_, first), (_, second) = (jaspar_motif(m) for m in grammar.motifs)
    a, b = ppm_instances(first, n, rng), ppm_instances(second, n, rng)
    wa, wb = first.shape[1], second.shape[1]

    def output(batch: np.ndarray) -> np.ndarray:
        return _outputs(model, batch)[:, task]

    with_a = tokens.copy()
    with_a[:, start:start + wa] = a
    base, alone_a = output(tokens), output(with_a)
    rows = []
    for gap in gaps:
        at = start + wa + gap
        both, only_b = with_a.copy(), tokens.copy()
        both[:, at:at + wb] = b
        only_b[:, at:at + wb] = b
        rows.append(output(both) - alone_a - output(only_b) + base)
    return np.array(rows)


def learned_gap_curve(model: torch.nn.Module, entry: ZooEntry, task: int, gaps: range = range(0, 20),
                      n: int = 1000, start: int = 40, seed: int = 0) -> np.ndarray:
    """Mean interaction of the planted pair at each gap, shape (len(gaps),) in output units
    (:func:`learned_gap_interactions` averaged over the backgrounds)."""
    return learned_gap_interactions(model, entry, task, gaps, n, start, seed).mean(axis=1)


def learned_gap_range(model: torch.nn.Module, entry: ZooEntry, task: int, gaps: range = range(-3, 16),
                      n: int = 48, n_test: int = 128, seed: int = 0, half_max: float = 0.5) -> tuple[int, int, int]:
    """(low, high, peak) bp of the planted pair's gaps by neuronmotif's own range rule on the planted matrices:
    the range a perfect reading of the planted motifs would report.

    As the rule stage does: :func:`neuronmotif.rules.verdicts.gap_span` on ``n`` backgrounds, and a core of
    two gaps settled on ``n_test`` fresh ones (:func:`neuronmotif.rules.verdicts.settle_two_gaps`).
    """
    each = learned_gap_interactions(model, entry, task, gaps, n, seed=seed)
    low, high, peak = gap_span(np.array(list(gaps)), each, half_max)
    if high - low == 1:
        fresh = learned_gap_interactions(model, entry, task, range(low, high + 1), n_test, seed=seed + 10_000)
        readings = [(g, (None, fresh[k][:, None], 0)) for k, g in enumerate((low, high))]
        first, second = readings if peak == low else readings[::-1]
        peak, _, alike = settle_two_gaps(first, second, 0)
        low, high = (low, high) if alike else (peak, peak)
    return low, high, peak


def lone_site_effect(model: torch.nn.Module, entry: ZooEntry, task: int, n: int = 1000, start: int = 40,
                     seed: int = 0) -> np.ndarray:
    """Mean change of ``task``'s output when one instance of each of its planted motifs is inserted alone
    at ``start`` (bp) into ``n`` of the entry's backgrounds, the same backgrounds for every motif. ``model``
    and ``entry`` as for :func:`learned_gap_curve`; ``task`` indexes any grammar of the entry's set.

    Returns
    -------
    np.ndarray, shape (motifs,)
        Mean change of the output (output units) for each motif of the grammar, in its order.
    """
    grammar: Grammar = GRAMMAR_SETS[entry.grammar_set].grammars[task]
    rng = np.random.default_rng(seed)
    tokens = _background(entry, n, rng)
    base = _outputs(model, tokens)[:, task]
    effects = []
    for motif in grammar.motifs:
        _, ppm = jaspar_motif(motif)
        with_site = tokens.copy()
        with_site[:, start:start + ppm.shape[1]] = ppm_instances(ppm, n, rng)
        effects.append(float((_outputs(model, with_site)[:, task] - base).mean()))
    return np.array(effects)


__all__ = ["learned_gap_curve", "learned_gap_interactions", "learned_gap_range", "lone_site_effect"]
