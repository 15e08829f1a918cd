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


def learned_gap_curve(model: torch.nn.Module, entry: ZooEntry, task: int, gaps: range = range(0, 20),
                      n: int = 1000, start: int = 40, seed: int = 0) -> np.ndarray:
    """Mean interaction of the planted pair of ``task`` at each gap, on ``task``'s output.

    Parameters
    ----------
    model : torch.nn.Module
        A zoo model in eval mode, (N, 4, L) one-hot in, (N, tasks) out.
    entry : ZooEntry
    task : int
        Index of a two-motif grammar of the entry's grammar set.
    gaps : range
        bp between the first motif's end and the second's start.
    n : int
        Backgrounds (and instances of each motif) per gap.
    start : int
        Where the first motif starts (bp).

    Returns
    -------
    np.ndarray, shape (len(gaps),)
        Mean interaction (output units) at each gap.
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
    curve = []
    for gap in gaps:
        at = start + wa + gap
        both, only_b = with_a.copy(), tokens.copy()
        both[:, at:at + wb] = b
        only_b[:, at:at + wb] = b
        curve.append(float((output(both) - alone_a - output(only_b) + base).mean()))
    return np.array(curve)


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


__all__ = ["learned_gap_curve", "lone_site_effect"]
