"""Stage 1: sample many sequences that activate each neuron.

Two strategies, as in NeuronMotif:

* exhaustive enumeration of all 4**rf sequences when the receptive field is small
  (:func:`enumerate_exhaustive`);
* otherwise a gradient-guided genetic algorithm (:func:`genetic_sample`), seeded with the CRMs of the
  layer below placed where the neuron's positive input weights look (:func:`initial_population`).

Both run several neurons per batch and are vectorised in torch (no per-sequence or per-base Python
loops). Differences from the published code, each fixing a defect listed in the algorithm notes:

* lower-layer strength per input channel is taken per channel (no neuron-major/channel-minor mix-up);
* only the informative span (>= 3 positions of IC > 1 bit) of a lower-layer CRM is pasted, so
  uninformative CRMs never seed poly-A;
* the gradient step is centred on the current base and normalised per sequence, so the mutation rate
  does not depend on the activation scale; a small uniform mutation rate keeps diversity;
* parents are chosen by a softmax of standardised activations (stronger selection than ``v + 1``),
  from the union of the population and its mutants, so the elite is never lost;
* the search stops when the archive's quality (mean of its best activations) stops improving;
* every random draw comes from a seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from .errors import check_range
from .model import DNAModel, check_finite_activations
from .ppm import information_content
from .sequences import one_hot, stratified_subsample, unique_rows


@dataclass
class SamplingConfig:
    """Parameters of the sampling stage.

    Attributes
    ----------
    exhaustive_max_rf : int
        Enumerate all 4**rf sequences when the receptive field (bp) is at most this.
    max_samples : int
        Cap on the archive of activating sequences per neuron (activation-stratified subsample).
    population : int or None
        GA population per neuron; None gives the published ``clip(int(rf/20)*1000, 2000, 5000)``.
    max_iter : int
        Maximum GA generations.
    patience : int
        Stop after this many generations without improvement of the archive quality.
    subsample_bins : int
        Activation bins of the stratified subsample.
    elite_fraction : float
        Share of the population kept unchanged (and, with pooling below, shifted) each generation.
    mutation_step : float
        Size of the normalised gradient step (1 = the most promising base change is a coin flip).
    eval_batch : int
        Sequences per forward pass.
    """

    exhaustive_max_rf: int = 10
    max_samples: int = 100_000
    population: int | None = None
    max_iter: int = 200
    patience: int = 10
    subsample_bins: int = 50
    elite_fraction: float = 0.1
    mutation_step: float = 1.0
    eval_batch: int = 16384

    #: largest receptive field that may be enumerated: 4**14 = 268 million sequences
    EXHAUSTIVE_LIMIT = 14

    def __post_init__(self) -> None:
        check = partial(check_range, "SamplingConfig")
        check("exhaustive_max_rf", self.exhaustive_max_rf, 0, self.EXHAUSTIVE_LIMIT)
        check("max_samples", self.max_samples, 1)
        check("population", self.population, 10, optional=True)
        check("max_iter", self.max_iter, 1)
        check("patience", self.patience, 0)
        check("subsample_bins", self.subsample_bins, 1)
        check("elite_fraction", self.elite_fraction, 0.001, 0.3)
        check("mutation_step", self.mutation_step, 0)
        check("eval_batch", self.eval_batch, 1)

    def population_size(self, rf: int) -> int:
        if self.population is not None:
            return int(self.population)
        return int(np.clip(int(rf / 20) * 1000, 2000, 5000))


@dataclass
class LowerLayerMotifs:
    """Seeding material: the CRMs of the layer below, reduced to their informative consensus.

    Attributes
    ----------
    channel : np.ndarray, shape (P,), int
        The lower-layer neuron (= input channel of this layer) each CRM belongs to.
    consensus : np.ndarray, shape (P, rf_lower), uint8
        Argmax base of each CRM position.
    informative : np.ndarray, shape (P, rf_lower), bool
        Positions to paste: the span from the first to the last position with IC > 1 bit.
    max_activation : np.ndarray, shape (P,), float
        Maximum activation of each CRM's sequences.
    """

    channel: np.ndarray
    consensus: np.ndarray
    informative: np.ndarray
    max_activation: np.ndarray

    @classmethod
    def from_ppms(cls, channel: np.ndarray, ppms: np.ndarray, max_activation: np.ndarray,
                  min_informative: int = 3) -> LowerLayerMotifs:
        """Build from CRM PPMs of shape (P, 4, rf_lower); CRMs with too little information are dropped."""
        strong = information_content(ppms) > 1.0  # (P, rf)
        keep = strong.sum(axis=1) >= min_informative
        positions = np.arange(ppms.shape[2])
        first = np.where(strong, positions, ppms.shape[2]).min(axis=1)
        last = np.where(strong, positions, -1).max(axis=1)
        span = (positions >= first[:, None]) & (positions <= last[:, None])
        return cls(channel=np.asarray(channel)[keep], consensus=ppms.argmax(axis=1).astype(np.uint8)[keep],
                   informative=span[keep], max_activation=np.asarray(max_activation, dtype=np.float64)[keep])


class Archive:
    """Activating sequences of one neuron, deduplicated and capped by stratified subsampling."""

    def __init__(self, cap: int, bins: int, rng: np.random.Generator, deduplicate: bool = True,
                 top_k: int = 1000):
        self.cap, self.bins, self.rng, self.deduplicate = cap, bins, rng, deduplicate
        self._tokens: list[np.ndarray] = []
        self._acts: list[np.ndarray] = []
        self._size = 0
        self._top_tokens = None
        self._top_acts = np.zeros(0, dtype=np.float32)
        self.top_k = top_k

    def add(self, tokens: np.ndarray, acts: np.ndarray) -> None:
        """Add sequences (n, rf) uint8 with their activations (n,); keeps only activations > 0."""
        keep = acts > 0
        if not keep.any():
            return
        tokens, acts = tokens[keep], acts[keep].astype(np.float32)
        self._tokens.append(tokens)
        self._acts.append(acts)
        self._size += len(acts)
        self._update_top(tokens, acts)
        if self._size > 2 * self.cap:
            self._compact()

    def quality(self) -> float:
        """Mean activation of the best ``top_k`` distinct sequences (0 when empty)."""
        return float(self._top_acts.mean()) if len(self._top_acts) else 0.0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The final archive: tokens (n, rf) uint8 and activations (n,) float32, n <= cap."""
        self._compact()
        if not self._acts:
            return np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.float32)
        return self._tokens[0], self._acts[0]

    def _update_top(self, tokens: np.ndarray, acts: np.ndarray) -> None:
        if self._top_tokens is not None:
            tokens = np.concatenate([self._top_tokens, tokens])
            acts = np.concatenate([self._top_acts, acts])
        if self.deduplicate:
            first = unique_rows(tokens)
            tokens, acts = tokens[first], acts[first]
        best = np.argsort(-acts, kind="stable")[: self.top_k]
        self._top_tokens, self._top_acts = tokens[best], acts[best]

    def _compact(self) -> None:
        if len(self._tokens) <= 1 and self._size <= self.cap:
            return
        tokens, acts = np.concatenate(self._tokens), np.concatenate(self._acts)
        if self.deduplicate:
            first = unique_rows(tokens)
            tokens, acts = tokens[first], acts[first]
        keep = stratified_subsample(acts, self.cap, self.bins, self.rng)
        self._tokens, self._acts, self._size = [tokens[keep]], [acts[keep]], len(keep)


# --------------------------------------------------------------------------------------------------
def all_sequences(rf: int, start: int, stop: int) -> np.ndarray:
    """Sequences number ``start`` .. ``stop - 1`` of the lexicographic enumeration, (n, rf) uint8."""
    idx = np.arange(start, stop, dtype=np.int64)
    powers = 4 ** np.arange(rf - 1, -1, -1, dtype=np.int64)
    return ((idx[:, None] // powers) % 4).astype(np.uint8)


def enumerate_exhaustive(model: DNAModel, layer: int, neurons: list[int], config: SamplingConfig,
                         seed: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Evaluate all 4**rf sequences and keep, per neuron, those with activation > 0.

    Parameters
    ----------
    model : DNAModel
    layer : int
        1-based layer number.
    neurons : list of int
        0-based neuron (channel) indices of that layer.
    config : SamplingConfig
    seed : int
        Seed of the stratified subsample (used only when more than ``max_samples`` sequences activate).

    Returns
    -------
    dict of neuron -> (tokens (n, rf) uint8, activations (n,) float32)
    """
    rf = model.layer(layer).rf
    total = 4 ** rf
    archives = {n: Archive(config.max_samples, config.subsample_bins,
                           np.random.default_rng([seed, layer, n]), deduplicate=False, top_k=1)
                for n in neurons}
    columns = torch.tensor(neurons, device=model.device)
    batch = model.batch_size(layer, config.eval_batch)
    with torch.no_grad():
        for start in range(0, total, batch):
            tokens = all_sequences(rf, start, min(total, start + batch))
            acts = model.activations(one_hot(tokens, model.device), layer).index_select(1, columns)
            check_finite_activations(acts, model.layer(layer))
            acts = acts.float().cpu().numpy()
            for k, n in enumerate(neurons):
                archives[n].add(tokens, acts[:, k])
    return {n: archives[n].result() for n in neurons}


# --------------------------------------------------------------------------------------------------
def entry_probabilities(weights: np.ndarray, bins: int = 20) -> np.ndarray:
    """Probability of seeding each (input channel, kernel position) entry.

    Positive weights are cut into ``bins`` equal-width bins over (0, max]; every non-empty bin gets the
    same mass, shared within the bin in proportion to the weight. Weak but positive inputs are thus
    still explored. Empty bins get nothing (the published code double-counted their neighbour).

    Parameters
    ----------
    weights : np.ndarray, shape (C_in, k)
        Input weights scaled by each input channel's strength.

    Returns
    -------
    np.ndarray, shape (C_in * k,), summing to 1 (all zero if no weight is positive).
    """
    w = np.clip(weights.reshape(-1).astype(np.float64), 0, None)
    if w.max(initial=0.0) <= 0:
        return np.zeros_like(w)
    which = np.clip(np.ceil(w / w.max() * bins).astype(np.int64) - 1, 0, bins - 1)
    which[w <= 0] = -1
    mass = np.zeros_like(w)
    occupied = np.unique(which[which >= 0])
    for b in occupied:
        members = which == b
        mass[members] = w[members] / w[members].sum() / len(occupied)
    return mass / mass.sum()


def initial_population(model: DNAModel, layer: int, neuron: int, lower: LowerLayerMotifs | None, size: int,
                       generator: torch.Generator) -> torch.Tensor:
    """The GA's first generation for one neuron: random sequences seeded with lower-layer motifs.

    Each sequence receives up to ``max(2, pool)`` lower-layer CRM consensus spans, where ``pool`` is
    the pooling between layer ``layer - 1`` and this layer: an input entry (channel c, kernel position
    p) is drawn by :func:`entry_probabilities`, one of channel c's CRMs is chosen at random and pasted
    at ``p * pool_below(layer) + j * pool_below(layer - 1)`` with j random within the pool window,
    unless it overlaps a span already pasted.

    Returns
    -------
    torch.Tensor, shape (size, rf), int64 base indices (on the CPU).
    """
    spec = model.layer(layer)
    tokens = torch.randint(0, 4, (size, spec.rf), generator=generator)
    if lower is None or layer == 1 or len(lower.channel) == 0:
        return tokens
    below = model.layer(layer - 1)
    if lower.consensus.shape[1] != below.rf:
        raise ValueError(f"seeding CRMs are {lower.consensus.shape[1]} bp long but layer {layer - 1}'s receptive "
                         f"field is {below.rf} bp: they come from another layer.")
    strength = np.zeros(spec.in_channels)
    np.maximum.at(strength, lower.channel, lower.max_activation)
    weight, _ = model.effective_weights(layer)
    probs = entry_probabilities(weight[neuron].cpu().numpy() * strength[:, None])
    n_positive = int((probs > 0).sum())
    if n_positive == 0:
        return tokens
    n_draw = min(max(2, below.pool_after), n_positive)
    entries = torch.multinomial(torch.as_tensor(probs).expand(size, -1), n_draw, replacement=False,
                                generator=generator)
    # per channel, a padded table of its usable CRMs
    per_channel = [np.flatnonzero(lower.channel == c) for c in range(spec.in_channels)]
    counts = torch.tensor([len(x) for x in per_channel])
    table = torch.zeros(spec.in_channels, max(1, counts.max().item()), dtype=torch.long)
    for c, members in enumerate(per_channel):
        table[c, : len(members)] = torch.as_tensor(members)
    consensus = torch.as_tensor(lower.consensus, dtype=torch.long)
    informative = torch.as_tensor(lower.informative)
    occupied = torch.zeros(size, spec.rf, dtype=torch.bool)
    offsets = torch.arange(below.rf)
    for d in range(n_draw):
        channel, position = entries[:, d] // spec.kernel_size, entries[:, d] % spec.kernel_size
        pick = (torch.rand(size, generator=generator) * counts[channel].clamp_min(1)).long()
        crm = table[channel, pick]
        shift = torch.randint(0, below.pool_after, (size,), generator=generator)
        start = position * spec.pool_below + shift * below.pool_below
        where = start[:, None] + offsets  # (size, rf_lower)
        mask = informative[crm] & (counts[channel] > 0)[:, None]
        ok = ~(occupied.gather(1, where) & mask).any(dim=1)
        mask &= ok[:, None]
        tokens.scatter_(1, where, torch.where(mask, consensus[crm], tokens.gather(1, where)))
        occupied.scatter_(1, where, occupied.gather(1, where) | mask)
    return tokens


class _Evaluator:
    """Activations (and gradients) of several neurons of one layer, each on its own rows."""

    def __init__(self, model: DNAModel, layer: int, batch: int):
        self.model, self.layer, self.batch = model, layer, model.batch_size(layer, batch)

    def __call__(self, tokens: torch.Tensor, columns: torch.Tensor, grad: bool):
        """tokens (K, N, rf) long, columns (K,) -> acts (K, N) and gradients (K, N, 4, rf) or None."""
        k, n, rf = tokens.shape
        flat = tokens.reshape(k * n, rf)
        col = columns.repeat_interleave(n)
        acts, grads = [], []
        for s in range(0, k * n, self.batch):
            x = one_hot(flat[s:s + self.batch], self.model.device)
            with torch.set_grad_enabled(grad):
                x.requires_grad_(grad)
                a = self.model.activations(x, self.layer).gather(1, col[s:s + self.batch, None])[:, 0]
                if grad:
                    grads.append(torch.autograd.grad(a.sum(), x)[0])
            acts.append(a.detach())
        a = torch.cat(acts).view(k, n)
        check_finite_activations(a, self.model.layer(self.layer))
        return a, (torch.cat(grads).view(k, n, 4, rf) if grad else None)


def _mutate(tokens: torch.Tensor, grad: torch.Tensor, step: float, rate: float,
            generator: torch.Generator) -> torch.Tensor:
    """Gradient-guided mutation of (K, N, rf) tokens given gradients (K, N, 4, rf)."""
    x = torch.nn.functional.one_hot(tokens, 4).to(grad.dtype).transpose(-1, -2)  # (K, N, 4, rf)
    gain = grad - (grad * x).sum(dim=2, keepdim=True)  # gain of switching to each base
    scale = gain.amax(dim=(2, 3), keepdim=True).clamp_min(1e-12)
    weight = x + step * (gain / scale).clamp_min(0)
    probs = (1 - rate) * weight / weight.sum(dim=2, keepdim=True) + rate * 0.25
    u = torch.rand(tokens.shape, generator=generator, device=tokens.device).unsqueeze(2)
    return (probs.cumsum(dim=2) < u).sum(dim=2).clamp_max(3)


def _next_generation(tokens: torch.Tensor, acts: torch.Tensor, size: int, elite_fraction: float,
                     shift_max: int, generator: torch.Generator) -> torch.Tensor:
    """Elites, shifted elites (when pooling lies below) and one-point crossover children.

    tokens (K, M, rf), acts (K, M) -> (K, size, rf).
    """
    k, _, rf = tokens.shape
    dev = tokens.device
    n_elite = max(1, int(elite_fraction * size))
    order = acts.argsort(dim=1, descending=True)
    elites = tokens.gather(1, order[:, :n_elite, None].expand(-1, -1, rf))
    parts = [elites]
    if shift_max > 1:
        positions = torch.arange(rf, device=dev)
        for sign in (1, -1):
            s = torch.randint(1, shift_max, (k, n_elite, 1), generator=generator, device=dev)
            parts.append(elites.gather(2, (positions + sign * s) % rf))
    n_children = size - sum(p.shape[1] for p in parts)
    z = (acts - acts.mean(dim=1, keepdim=True)) / acts.std(dim=1, keepdim=True).clamp_min(1e-8)
    fitness = torch.softmax(z, dim=1)
    n_pairs = (n_children + 1) // 2
    parents = torch.multinomial(fitness, 2 * n_pairs, replacement=True, generator=generator)
    pa = tokens.gather(1, parents[:, :n_pairs, None].expand(-1, -1, rf))
    pb = tokens.gather(1, parents[:, n_pairs:, None].expand(-1, -1, rf))
    cut = torch.randint(1, max(2, rf), (k, n_pairs, 1), generator=generator, device=dev)
    left = torch.arange(rf, device=dev) < cut
    children = torch.cat([torch.where(left, pa, pb), torch.where(left, pb, pa)], dim=1)[:, :n_children]
    return torch.cat(parts + [children], dim=1)


def genetic_sample(model: DNAModel, layer: int, neurons: list[int], lower: LowerLayerMotifs | None,
                   config: SamplingConfig, seed: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Gradient-guided genetic search for activating sequences of several neurons at once.

    Parameters
    ----------
    model : DNAModel
    layer : int
        1-based layer number.
    neurons : list of int
        0-based neurons of that layer, searched together (one population each).
    lower : LowerLayerMotifs or None
        CRMs of the layer below for seeding; None starts from random sequences.
    config : SamplingConfig
    seed : int
        Seeds every random draw; the same seed and neuron list give the same result.

    Returns
    -------
    dict of neuron -> (tokens (n, rf) uint8, activations (n,) float32), n <= config.max_samples
    """
    spec = model.layer(layer)
    size = config.population_size(spec.rf)
    gen_cpu = torch.Generator().manual_seed(seed)
    gen = torch.Generator(device=model.device).manual_seed(seed)
    pop = torch.stack([initial_population(model, layer, n, lower, size, gen_cpu) for n in neurons])
    pop = pop.to(model.device)
    archives = {n: Archive(config.max_samples, config.subsample_bins, np.random.default_rng([seed, n]))
                for n in neurons}
    active = list(neurons)
    columns = torch.tensor(active, device=model.device)
    best = {n: -np.inf for n in neurons}
    stale = {n: 0 for n in neurons}
    evaluate = _Evaluator(model, layer, config.eval_batch)
    rate = 1.0 / spec.rf
    for generation in range(config.max_iter):
        acts, grads = evaluate(pop, columns, grad=True)
        mutants = _mutate(pop, grads, config.mutation_step, rate, gen)
        mutant_acts, _ = evaluate(mutants, columns, grad=False)
        candidates = torch.cat([pop, mutants], dim=1)
        candidate_acts = torch.cat([acts, mutant_acts], dim=1)
        carried = 0 if generation == 0 else max(1, int(config.elite_fraction * size))  # elites seen before
        fresh = torch.cat([pop[:, carried:], mutants], dim=1).to(torch.uint8).cpu().numpy()
        fresh_acts = torch.cat([acts[:, carried:], mutant_acts], dim=1).float().cpu().numpy()
        keep = []
        for k, n in enumerate(active):
            archive = archives[n]
            archive.add(fresh[k], fresh_acts[k])
            quality = archive.quality()
            if quality > best[n] + 1e-3 * abs(best[n] if np.isfinite(best[n]) else 0.0) + 1e-9:
                best[n], stale[n] = quality, 0
            else:
                stale[n] += 1
            keep.append(stale[n] <= config.patience)
        if not any(keep):
            break
        if not all(keep):
            idx = torch.tensor([i for i, flag in enumerate(keep) if flag], device=model.device)
            candidates, candidate_acts = candidates[idx], candidate_acts[idx]
            active = [n for n, flag in zip(active, keep, strict=True) if flag]
            columns = torch.tensor(active, device=model.device)
        pop = _next_generation(candidates, candidate_acts, size, config.elite_fraction, spec.pool_below, gen)
    return {n: archives[n].result() for n in neurons}
