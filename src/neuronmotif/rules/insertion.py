"""Insertion experiments: motif instances planted into background sequences, read out by the model.

Every experiment shares one set of backgrounds (N, L) at the model's input length
(:attr:`~neuronmotif.model.DNAModel.input_length`), so that configurations are compared on the same
sequences (common random numbers) and each effect is a paired difference with the background alone.

A **readout** is one neuron (layer, channel) or one model output. A neuron's response to an insertion
is the largest rise of its activation map over the background's map, ``max_j (a_j(bg + x) - a_j(bg))``:
it does not depend on where the neuron sits in the input, nor on the model's padding. An output's
response is ``y(bg + x) - y(bg)``.

A **placement** puts a motif at a start per background (shape (N,)). Two modes:

* translation-invariant (the neurons see a window of the input): every background puts the arrangement
  near the input's centre with its own random phase of the layer's pooling stride, so one configuration
  averages over the phases the neurons accept;
* positional (the neurons see the whole input, or the model's head reads positions, as in the
  published demo2): every start is a configuration of its own (strided to a budget) and a curve takes
  the best start, i.e. the positions the neuron accepts.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import torch

from ..model import DNAModel
from ..sequences import one_hot, ppm_instances, random_background, reverse_complement


@dataclass(frozen=True)
class Readouts:
    """What each experiment reads: some neurons and, when the head runs, every model output.

    Attributes
    ----------
    neurons : list of (layer, channel)
    n_outputs : int
        Model outputs read after the neurons (0 when the head does not run at the input length).
    """

    neurons: list[tuple[int, int]]
    n_outputs: int

    @property
    def names(self) -> list[str]:
        """'L<l>_N<n>' for each neuron, then 'output <t>' for each output."""
        return [f"L{layer}_N{n}" for layer, n in self.neurons] + [f"output {t}" for t in range(self.n_outputs)]

    @property
    def output_columns(self) -> np.ndarray:
        return np.arange(len(self.neurons), len(self.neurons) + self.n_outputs)


class Bench:
    """Backgrounds, their baseline readouts, and batched evaluation of inserted sequences.

    Parameters
    ----------
    model : DNAModel
    neurons : list of (layer, channel)
        Neurons to read (outputs are read too when the model's head runs).
    n_backgrounds : int
    rng : np.random.Generator
    gc : float
        GC content of the uniform backgrounds.
    transitions : np.ndarray (4, 4) or None
        First-order background instead of independent bases.
    """

    def __init__(self, model: DNAModel, neurons: list[tuple[int, int]], n_backgrounds: int,
                 rng: np.random.Generator, gc: float = 0.5, transitions: np.ndarray | None = None):
        self.model = model
        self.length = model.input_length
        self.layers = sorted({layer for layer, _ in neurons}) or [len(model.layers)]
        self.neurons = neurons
        self.backgrounds = random_background(n_backgrounds, self.length, gc, rng, transitions)
        maps, outputs = self._forward(self.backgrounds)
        self.readouts = Readouts(neurons, 0 if outputs is None else outputs.shape[1])
        self._base_maps = maps
        self._base_outputs = outputs
        self._profiles: dict[bytes, np.ndarray] = {}
        self.evaluated = 0

    @property
    def n(self) -> int:
        return len(self.backgrounds)

    @property
    def base_outputs(self) -> torch.Tensor | None:
        """(N, T) the model's outputs on the backgrounds alone (None when the head does not run)."""
        return self._base_outputs

    def positional(self) -> bool:
        """Whether the readout neurons see (nearly) the whole input, or the model fixes its input length."""
        if getattr(self.model.module, "input_length", None):
            return True
        top = self.model.layer(max(self.layers))
        return (self.length - top.rf) // max(1, top.pool_below) + 1 <= 2

    def stride(self) -> int:
        """Input bp per position of the highest readout layer (the phases an arrangement can take)."""
        return max(1, self.model.layer(max(self.layers)).pool_below)

    def _forward(self, tokens: np.ndarray) -> tuple[dict[int, torch.Tensor], torch.Tensor | None]:
        batch = self.model.batch_size(max(self.layers), 8192, self.length)
        maps: dict[int, list[torch.Tensor]] = {layer: [] for layer in self.layers}
        outputs: list[torch.Tensor] = []
        has_outputs = True
        for s in range(0, len(tokens), batch):
            got, out = self.model.probe(one_hot(tokens[s:s + batch], self.model.device), self.layers)
            for layer in self.layers:
                maps[layer].append(got[layer])
            has_outputs = has_outputs and out is not None
            if out is not None:
                outputs.append(out)
        return ({layer: torch.cat(v) for layer, v in maps.items()},
                torch.cat(outputs) if has_outputs and outputs else None)

    def profile(self, ppm: np.ndarray) -> np.ndarray:
        """Mean response (over the outputs, else every neuron) to the (4, w) motif alone at every start, (L - w + 1,).

        Computed once per motif and bench, with instances drawn from a generator seeded by the matrix.
        """
        key = ppm.tobytes()
        if key not in self._profiles:
            rng = np.random.default_rng(zlib.crc32(key))
            instances = ppm_instances(ppm, self.n, rng)
            free = self.length - ppm.shape[1] + 1
            tokens = np.concatenate([insert(self.backgrounds, [(instances, np.full(self.n, s))]) for s in range(free)])
            reads = self.read(tokens, np.tile(np.arange(self.n), free)).reshape(free, self.n, -1)
            columns = self.readouts.output_columns if self.readouts.n_outputs else slice(None)
            self._profiles[key] = reads[:, :, columns].mean(axis=(1, 2))
        return self._profiles[key]

    def read(self, tokens: np.ndarray, background: np.ndarray) -> np.ndarray:
        """Responses (M, R) of inserted sequences ``tokens`` (M, L) built on backgrounds ``background`` (M,)."""
        self.evaluated += len(tokens)
        batch = self.model.batch_size(max(self.layers), 8192, self.length)
        out = np.empty((len(tokens), len(self.readouts.names)), dtype=np.float64)
        for s in range(0, len(tokens), batch):
            part, idx = tokens[s:s + batch], torch.as_tensor(background[s:s + batch])
            maps, outputs = self.model.probe(one_hot(part, self.model.device), self.layers)
            columns = []
            for layer, channel in self.neurons:
                rise = maps[layer][:, channel] - self._base_maps[layer][idx.to(maps[layer].device), channel]
                columns.append(rise.amax(dim=-1))
            if self.readouts.n_outputs:
                columns.extend((outputs - self._base_outputs[idx.to(outputs.device)]).T)
            out[s:s + batch] = torch.stack(columns, dim=1).double().cpu().numpy()
        return out


def oriented(ppm: np.ndarray, strand: str) -> np.ndarray:
    """The (4, w) PPM as inserted on ``strand`` ('-': its reverse complement)."""
    return ppm if strand == "+" else reverse_complement(ppm)


def insert(backgrounds: np.ndarray, pieces: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Copies of (N, L) backgrounds with each piece (instances (N, w), starts (N,)) written in, in order."""
    out = backgrounds.copy()
    rows = np.arange(len(out))[:, None]
    for instances, starts in pieces:
        out[rows, starts[:, None] + np.arange(instances.shape[1])] = instances
    return out


@dataclass
class Scan:
    """Responses of one arrangement over configurations, each a mean over the backgrounds.

    Attributes
    ----------
    gaps : np.ndarray, shape (K,), int
        The gap (bp) of each configuration (0 for a single motif).
    starts : np.ndarray, shape (K,), int
        The first motif's start of each configuration (-1: random phase per background).
    together : np.ndarray, shape (K, R)
        Mean response with every motif of the arrangement inserted.
    interaction : np.ndarray, shape (K, R)
        Mean of (together - each motif alone), summed over the motifs alone (pairs only; zeros else).
    alone : np.ndarray, shape (K, 2, R)
        Mean response to each motif of a pair inserted alone at its place in the configuration.
    interaction_each : np.ndarray, shape (K, N, R) or None
        The interaction on each background (pairs), for paired comparisons between configurations.
    """

    gaps: np.ndarray
    starts: np.ndarray
    together: np.ndarray
    interaction: np.ndarray
    alone: np.ndarray
    interaction_each: np.ndarray | None = None


def _placements(bench: Bench, span: int, rng: np.random.Generator, budget_starts: int) -> list[tuple[int, np.ndarray]]:
    """(start label, starts (N,)) configurations for an arrangement ``span`` bp long."""
    if span > bench.length:
        return []
    if bench.positional():
        free = bench.length - span + 1
        step = max(1, int(np.ceil(free / budget_starts)))
        return [(s, np.full(bench.n, s)) for s in range(0, free, step)]
    centre = (bench.length - span) // 2
    phases = rng.integers(0, bench.stride(), size=bench.n)
    starts = np.clip(centre - bench.stride() // 2 + phases, 0, bench.length - span)
    return [(-1, starts)]


def scan_single(bench: Bench, ppm: np.ndarray, strand: str, rng: np.random.Generator,
                budget_starts: int = 64) -> Scan:
    """One motif inserted alone (instances drawn from ``ppm`` per background) at every placement."""
    motif = oriented(ppm, strand)
    instances = ppm_instances(motif, bench.n, rng)
    configs = _placements(bench, motif.shape[1], rng, budget_starts)
    tokens = np.concatenate([insert(bench.backgrounds, [(instances, s)]) for _, s in configs])
    background = np.tile(np.arange(bench.n), len(configs))
    together = bench.read(tokens, background).reshape(len(configs), bench.n, -1).mean(axis=1)
    k = len(configs)
    return Scan(np.zeros(k, int), np.array([c for c, _ in configs]), together, np.zeros_like(together),
                np.zeros((k, 2, together.shape[1])))


def scan_pair(bench: Bench, first: tuple[np.ndarray, str], second: tuple[np.ndarray, str], gaps: range,
              rng: np.random.Generator, budget: int = 60_000) -> Scan:
    """Two motifs (PPM, strand) inserted in order at each gap, together and each alone, at every placement.

    ``gaps`` are bp between the first motif's end and the second's start (negative: they overlap; the
    second is written last). ``budget`` bounds the sequences evaluated (together + each alone; a motif
    alone is read once per distinct placement, so a positional scan, whose starts repeat over gaps, reads
    about half of it).
    """
    a, b = oriented(*first), oriented(*second)
    wa, wb = a.shape[1], b.shape[1]
    ia, ib = ppm_instances(a, bench.n, rng), ppm_instances(b, bench.n, rng)
    n_gaps = max(1, len(gaps))
    budget_starts = max(1, budget // (3 * bench.n * n_gaps))
    profiles = (bench.profile(a), bench.profile(b)) if bench.positional() else None
    rows_gap, rows_start, together, alone = [], [], [], _AloneReads(bench.backgrounds)
    for gap in gaps:
        configs = (_accepted_starts(bench, profiles, wa + gap, wa + max(gap, -wb) + wb, budget_starts)
                   if profiles is not None else _placements(bench, wa + max(gap, -wb) + wb, rng, budget_starts))
        for label, starts in configs:
            b_starts = starts + wa + gap
            together.append(insert(bench.backgrounds, [(ia, starts), (ib, b_starts)]))
            alone.add((0, ia, starts), (1, ib, b_starts))
            rows_gap.append(gap)
            rows_start.append(label)
    if not together:
        empty = np.zeros((0, len(bench.readouts.names)))
        return Scan(np.zeros(0, int), np.zeros(0, int), empty, empty, np.zeros((0, 2, empty.shape[1])))
    k = len(together)
    tokens = np.concatenate(together + alone.tokens)
    reads = bench.read(tokens, np.tile(np.arange(bench.n), len(together) + len(alone.tokens)))
    reads = reads.reshape(-1, bench.n, reads.shape[-1])  # (configurations + distinct placements alone, N, R)
    both = reads[:k]
    each = reads[k:][alone.rows]  # (K, 2, N, R)
    per_background = both - each[:, 0] - each[:, 1]
    return Scan(np.array(rows_gap), np.array(rows_start), both.mean(axis=1), per_background.mean(axis=1),
                each.mean(axis=2), per_background)


class _AloneReads:
    """The sequences with one motif of a pair alone, each distinct placement once (positional scans put a
    motif at the same start for many gaps; its response alone does not depend on the gap)."""

    def __init__(self, backgrounds: np.ndarray):
        self.backgrounds = backgrounds
        self.tokens: list[np.ndarray] = []
        self._index: dict[tuple[int, bytes], int] = {}
        self._rows: list[tuple[int, int]] = []

    def add(self, *pieces: tuple[int, np.ndarray, np.ndarray]) -> None:
        """Record one configuration: (which motif, instances (N, w), starts (N,)) for each motif alone."""
        row = []
        for which, instances, starts in pieces:
            key = (which, starts.tobytes())
            if key not in self._index:
                self._index[key] = len(self.tokens)
                self.tokens.append(insert(self.backgrounds, [(instances, starts)]))
            row.append(self._index[key])
        self._rows.append(tuple(row))

    @property
    def rows(self) -> np.ndarray:
        """(K, 2) index into :attr:`tokens` of each configuration's first and second motif alone."""
        return np.array(self._rows, dtype=int)


def _accepted_starts(bench: Bench, profiles: tuple[np.ndarray, np.ndarray], offset: int, span: int,
                     budget_starts: int) -> list[tuple[int, np.ndarray]]:
    """Positional models: the starts where the two motifs alone respond most, for the pair at ``offset``
    (the second motif's start minus the first's): the positions the neurons accept."""
    free = bench.length - span + 1
    if free <= 0:
        return []
    first, second = profiles
    starts = np.arange(free)
    keep = (starts + offset >= 0) & (starts + offset < len(second))
    starts = starts[keep]
    score = first[starts] + second[starts + offset]
    chosen = np.sort(starts[np.argsort(-score, kind="stable")[:budget_starts]])
    return [(int(s), np.full(bench.n, s)) for s in chosen]


def paired_effects(bench: Bench, pieces: list[tuple[np.ndarray, str, int]], rng: np.random.Generator,
                   fixed_start: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-background responses on fresh instances at one configuration, for a test.

    Parameters
    ----------
    pieces : list of (PPM, strand, offset)
        Motifs and their offsets (bp) from the arrangement's start.
    fixed_start : int
        The arrangement's start, or -1 for a random phase near the centre per background.

    Returns
    -------
    together : np.ndarray, shape (N, R)
        Response with every piece inserted.
    interaction : np.ndarray, shape (N, R)
        ``together`` minus each piece alone (zeros for one piece).
    """
    motifs = [(oriented(ppm, strand), offset) for ppm, strand, offset in pieces]
    span = max(offset + m.shape[1] for m, offset in motifs) - min(offset for _, offset in motifs)
    if fixed_start >= 0:
        starts = np.full(bench.n, fixed_start)
    else:
        starts = _placements(bench, span, rng, 1)[0][1] if not bench.positional() else np.full(bench.n, 0)
    placed = [(ppm_instances(m, bench.n, rng), starts + offset) for m, offset in motifs]
    background = np.arange(bench.n)
    together = bench.read(insert(bench.backgrounds, placed), background)
    if len(placed) == 1:
        return together, np.zeros_like(together)
    alone = sum(bench.read(insert(bench.backgrounds, [p]), background) for p in placed)
    return together, together - alone
