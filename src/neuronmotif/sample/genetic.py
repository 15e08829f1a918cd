"""The gradient-guided genetic algorithm, several neurons per batch, vectorised in torch.

Fixes of the published code: the gradient step is centred on the current base and normalised per
sequence, so the mutation rate does not depend on the activation scale; a small uniform mutation rate
keeps diversity; parents are chosen by a softmax of standardised activations (stronger selection than
``v + 1``), from the union of the population and its mutants, so the elite is never lost; the search
stops when the archive's quality (mean of its best activations) stops improving; every random draw
comes from a seeded generator.
"""

from __future__ import annotations

import numpy as np
import torch

from ..model import DNAModel, check_finite_activations
from ..sequences import one_hot
from .archive import Archive
from .config import SamplingConfig
from .seeding import LowerLayerMotifs, initial_population


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
    """Gradient-guided mutation of (K, N, rf) tokens given gradients (K, N, 4, rf).

    Each base's weight is 1 for the current base plus ``step`` times its normalised gain (the
    gradient of switching to it, clipped at 0); the new base is drawn from these weights mixed with
    ``rate`` of uniform noise.
    """
    current = tokens.unsqueeze(2).long()  # (K, N, 1, rf)
    gain = grad - grad.gather(2, current)  # gain of switching to each base; 0 at the current one
    scale = gain.amax(dim=(2, 3), keepdim=True).clamp_min(1e-12)
    weight = (gain / scale).clamp_min_(0).mul_(step)
    weight.scatter_add_(2, current, torch.ones_like(current, dtype=weight.dtype))
    total = weight.sum(dim=2, keepdim=True)
    probs = weight.mul_(1 - rate).div_(total).add_(rate * 0.25)
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
