"""Planted-grammar sequences from JASPAR motifs, for demos, tests and benchmarks.

A :class:`Grammar` is one task: a list of motifs in order with a gap range (bp between the end of one
motif and the start of the next) for each adjacent pair. :func:`simulate` makes positives that carry
the grammar and, for multi-motif grammars, hard negatives that break it (one motif only, wrong gap,
wrong order), on a uniform, GC-shifted or dinucleotide (first-order Markov) background. Motif instances
are sampled from the JASPAR PPM.

Motifs come from pyjaspar's bundled database through :mod:`~neuronmotif.motifs.match`: no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import NeuronMotifError
from ..motifs import jaspar_motif
from ..sequences import ppm_instances, random_background


@dataclass
class Grammar:
    """One task's planted grammar.

    Attributes
    ----------
    name : str
    motifs : list of str
        JASPAR matrix ids in 5'->3' order.
    gaps : list of (int, int)
        Inclusive gap range in bp between adjacent motifs (one per pair); (g, g) is a hard spacing.
    strands : str
        '+' plants the grammar as written; '+-' plants each instance (and each hard negative) on a
        random strand, i.e. half of them as the reverse complement of the whole grammar.
    """

    name: str
    motifs: list[str]
    gaps: list[tuple[int, int]] = field(default_factory=list)
    strands: str = "+"

    def __post_init__(self) -> None:
        if len(self.gaps) != max(0, len(self.motifs) - 1):
            raise NeuronMotifError(f"grammar {self.name!r} needs one gap range per adjacent motif pair.")
        if self.strands not in ("+", "+-"):
            raise NeuronMotifError(f"grammar {self.name!r}: strands must be '+' or '+-', not {self.strands!r}.")


@dataclass
class SimulatedData:
    """Simulated sequences.

    Attributes
    ----------
    tokens : np.ndarray, shape (N, L), uint8
        Base indices, A=0, C=1, G=2, T=3.
    labels : np.ndarray, shape (N, T), float32
        1 where sequence i carries task t's grammar.
    grammars : list of Grammar
    ppms : dict of str -> np.ndarray (4, w)
        The planted PPMs by matrix id.
    names : dict of str -> str
        TF names by matrix id.
    """

    tokens: np.ndarray
    labels: np.ndarray
    grammars: list[Grammar]
    ppms: dict[str, np.ndarray]
    names: dict[str, str]


#: Bumped whenever :func:`simulate` draws different data for the same arguments (cached models key on it).
#: 2: a homotypic pair's "reverse order" negatives (which were positives) became wrong-gap negatives.
#: (A chain's "one motif" negatives became the chain without one motif before any chain was benchmarked: the
#: data of one- and two-motif grammars is unchanged, so the version is too.)
DATA_VERSION = 2

#: A CpG-depleted first-order background like the human genome's (row: base, column: next base; A, C, G, T).
#: CG is about a quarter of its independent-base frequency; GC content about 41%.
CPG_DEPLETED = np.array([[0.33, 0.17, 0.24, 0.26],
                         [0.35, 0.26, 0.05, 0.34],
                         [0.29, 0.21, 0.26, 0.24],
                         [0.22, 0.20, 0.25, 0.33]])


def dinucleotide_transitions(tokens: np.ndarray, pseudo: float = 1.0) -> np.ndarray:
    """First-order transition matrix (4, 4) estimated from (N, L) uint8 tokens (rows sum to 1).

    Use it to give simulated sequences the dinucleotide statistics of real ones.
    """
    tokens = np.asarray(tokens)
    pairs = tokens[:, :-1].astype(np.int64) * 4 + tokens[:, 1:]
    counts = np.bincount(pairs.ravel(), minlength=16).reshape(4, 4) + pseudo
    return counts / counts.sum(axis=1, keepdims=True)


def _check_transitions(transitions: np.ndarray) -> np.ndarray:
    t = np.asarray(transitions, dtype=np.float64)
    if t.shape != (4, 4) or (t < 0).any() or not np.allclose(t.sum(axis=1), 1.0, atol=1e-6):
        raise NeuronMotifError("dinucleotide must be a (4, 4) matrix of non-negative rows that sum to 1 "
                               "(row: base A, C, G, T; column: the next base); see simulate.dinucleotide_transitions.")
    return t


def _random_strand(tokens: np.ndarray, rng: np.random.Generator) -> None:
    """Reverse-complement a random half of the rows of (n, L) tokens in place (A<->T, C<->G)."""
    flip = rng.random(len(tokens)) < 0.5
    tokens[flip] = 3 - tokens[flip, ::-1]


def _plant(tokens: np.ndarray, ids: list[str], gaps: np.ndarray, ppms: dict[str, np.ndarray],
           rng: np.random.Generator) -> None:
    """Plant motifs ``ids`` with per-row gaps (n, len(ids)-1) at a random start, in place."""
    n, length = tokens.shape
    widths = np.array([ppms[m].shape[1] for m in ids])
    span = widths.sum() + gaps.sum(axis=1)
    if span.max() > length:
        raise NeuronMotifError(f"a grammar spans {span.max()} bp, longer than the {length}-bp sequences.")
    start = (rng.random(n) * (length - span + 1)).astype(np.int64)
    rows = np.arange(n)[:, None]
    for i, m in enumerate(ids):
        cols = start[:, None] + np.arange(widths[i])
        tokens[rows, cols] = ppm_instances(ppms[m], n, rng)
        if i < gaps.shape[1]:
            start = start + widths[i] + gaps[:, i]


def _without(ids: list[str], gaps: np.ndarray, left_out: int, ppms: dict[str, np.ndarray]
             ) -> tuple[list[str], np.ndarray]:
    """The chain ``ids`` with per-row ``gaps`` (n, len(ids)-1) without motif ``left_out``: the others keep
    their planted places (a middle motif's two gaps and its width become one gap)."""
    if left_out in (0, len(ids) - 1):
        kept = gaps[:, 1:] if left_out == 0 else gaps[:, :-1]
    else:
        merged = gaps[:, left_out - 1] + ppms[ids[left_out]].shape[1] + gaps[:, left_out]
        kept = np.column_stack([gaps[:, : left_out - 1], merged, gaps[:, left_out + 1:]])
    return ids[:left_out] + ids[left_out + 1:], kept


def _wrong_gaps(n: int, gap_lo: np.ndarray, gap_hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, pairs) gaps outside the planted ranges, by 3-8 bp on either side (never below 0)."""
    shift = rng.integers(3, 9, size=(n, len(gap_lo))) * rng.choice([-1, 1], size=(n, 1))
    gaps = np.where(shift > 0, gap_hi + shift, np.maximum(0, gap_lo + shift))
    return np.where((gaps >= gap_lo) & (gaps <= gap_hi), gap_hi + 3, gaps)


def simulate(grammars: list[Grammar], n_per_task: int, length: int, seed: int = 0, gc: float = 0.5,
             release: str = "JASPAR2024", n_background: int | None = None,
             dinucleotide: np.ndarray | None = None) -> SimulatedData:
    """Sequences with planted grammar, with multi-task labels.

    For each grammar, ``n_per_task`` positives carry it; multi-motif grammars also get ``n_per_task``
    hard negatives, split evenly between one motif only (a chain of three or more: every motif but one, at
    the planted gaps, each left out in turn), a gap outside the range (by 3-8 bp) and the reverse order. A
    grammar that reads the same reversed (motifs and gap ranges, e.g. a homotypic pair) gets a second set of
    wrong gaps instead, since its reverse order is a positive. ``n_background`` (default ``n_per_task``)
    plain background sequences are added.

    Parameters
    ----------
    grammars : list of Grammar
    n_per_task : int
    length : int
        Sequence length in bp.
    seed : int
    gc : float
        GC content of the background (ignored when ``dinucleotide`` is given).
    release : str
        JASPAR release of the planted motifs.
    n_background : int or None
        Plain background sequences (label 0 for every task).
    dinucleotide : np.ndarray (4, 4) or None
        First-order transition matrix of the background (e.g. :data:`CPG_DEPLETED`, or
        :func:`dinucleotide_transitions` of real sequences); None draws independent bases.

    Returns
    -------
    SimulatedData, rows shuffled.
    """
    rng = np.random.default_rng(seed)
    transitions = None if dinucleotide is None else _check_transitions(dinucleotide)
    ids = sorted({m for g in grammars for m in g.motifs})
    ppms, names = {}, {}
    for m in ids:
        names[m], ppms[m] = jaspar_motif(m, release)
    blocks, labels = [], []
    for t, g in enumerate(grammars):
        pos = random_background(n_per_task, length, gc, rng, transitions)
        gap_lo = np.array([lo for lo, _ in g.gaps], dtype=np.int64)
        gap_hi = np.array([hi for _, hi in g.gaps], dtype=np.int64)
        gaps = rng.integers(gap_lo, gap_hi + 1, size=(n_per_task, len(g.gaps)))
        _plant(pos, g.motifs, gaps, ppms, rng)
        if g.strands == "+-":
            _random_strand(pos, rng)
        blocks.append(pos)
        labels.append(np.full(n_per_task, t))
        if len(g.motifs) > 1:
            neg = random_background(n_per_task, length, gc, rng, transitions)
            third = n_per_task // 3
            for j, m in enumerate(g.motifs):  # one motif only; a chain without one of its motifs
                part = neg[j * third // len(g.motifs): (j + 1) * third // len(g.motifs)]
                if len(g.motifs) < 3:
                    _plant(part, [m], np.zeros((len(part), 0), int), ppms, rng)
                else:
                    _plant(part, *_without(g.motifs, gaps[: len(part)], j, ppms), ppms, rng)
            wrong = neg[third: 2 * third]
            _plant(wrong, g.motifs, _wrong_gaps(len(wrong), gap_lo, gap_hi, rng), ppms, rng)
            flipped = neg[2 * third:]
            if g.motifs == g.motifs[::-1] and g.gaps == g.gaps[::-1]:  # reversed, it is a positive
                _plant(flipped, g.motifs, _wrong_gaps(len(flipped), gap_lo, gap_hi, rng), ppms, rng)
            else:
                _plant(flipped, g.motifs[::-1], gaps[: len(flipped), ::-1], ppms, rng)
            if g.strands == "+-":
                _random_strand(neg, rng)
            blocks.append(neg)
            labels.append(np.full(n_per_task, -1))
    n_bg = n_per_task if n_background is None else n_background
    blocks.append(random_background(n_bg, length, gc, rng, transitions))
    labels.append(np.full(n_bg, -1))
    tokens = np.concatenate(blocks)
    task = np.concatenate(labels)
    y = np.zeros((len(task), len(grammars)), dtype=np.float32)
    y[task >= 0, task[task >= 0]] = 1.0
    order = rng.permutation(len(tokens))
    return SimulatedData(tokens=tokens[order], labels=y[order], grammars=grammars, ppms=ppms, names=names)
