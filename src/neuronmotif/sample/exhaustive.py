"""Sampling by enumeration: every 4**rf sequence of a small receptive field, all neurons of a layer at once."""

from __future__ import annotations

import numpy as np
import torch

from ..model import DNAModel, check_finite_activations
from ..sequences import one_hot
from .archive import Archive
from .config import SamplingConfig


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
