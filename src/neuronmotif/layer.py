"""One layer's work: sample, demix, build CRMs and diagnose its neurons, batch by batch.

A batch's random draws depend only on the run's seed, the layer and the batch's first neuron, so any
batch can be recomputed exactly (resume, a lost worker, :func:`~neuronmotif.pipeline.decipher_neuron`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from .demix import demix_neuron
from .model import NONNEGATIVE_ACTIVATIONS, DNAModel
from .runconfig import RunConfig
from .sample import LowerLayerMotifs, enumerate_exhaustive, genetic_sample
from .sequences import one_hot
from .store import NeuronResult


def diagnose(result: NeuronResult, sick_ratio: float) -> NeuronResult:
    """Set 'ok' or 'sick' on a neuron that has CRMs (dead neurons are set where found)."""
    if result.status == "dead":
        return result
    if result.ratio < sick_ratio:
        result.status = "sick"
        result.note = (f"no CRM consensus reaches {sick_ratio:.0%} of its cluster's maximum activation "
                       f"(best C/M {result.ratio:.2f})")
    else:
        result.status, result.note = "ok", ""
    return result


def _dead_by_weights(model: DNAModel, layer: int) -> np.ndarray:
    """Neurons that can never be activated: all input weights <= 0 on a non-negative input."""
    if layer == 1 or model.input_activation(layer) not in NONNEGATIVE_ACTIVATIONS:
        return np.zeros(model.layer(layer).out_channels, dtype=bool)
    weight, bias = model.effective_weights(layer)
    return ((weight.amax(dim=(1, 2)) <= 0) & (bias <= 0)).cpu().numpy()


def lower_layer_motifs(results: list[NeuronResult]) -> LowerLayerMotifs | None:
    """Seeding material from a finished layer's results."""
    crms = [c for r in results for c in r.crms]
    if not crms:
        return None
    return LowerLayerMotifs.from_ppms(np.array([c.neuron for c in crms]), np.stack([c.ppm for c in crms]),
                                      np.array([c.max_activation for c in crms]))


class LayerJob:
    """One layer's sampling, demixing and CRMs, batch by batch.

    Parameters
    ----------
    model : DNAModel
    layer : int
        1-based layer.
    config : RunConfig
        The run's settings; the layer's own (``config.per_layer``) are applied here.
    lower : LowerLayerMotifs or None
        Seeds for the GA (the CRMs of the layer below; None: random sequences).
    """

    def __init__(self, model: DNAModel, layer: int, config: RunConfig, lower: LowerLayerMotifs | None):
        self.model, self.layer, self.config, self.lower = model, layer, config.for_layer(layer), lower
        self.spec = model.layer(layer)
        self.exhaustive = self.spec.rf <= config.sampling.exhaustive_max_rf
        self.dead = _dead_by_weights(model, layer)

    def estimated_seconds(self) -> float:
        """Upper bound on this layer's sampling time from one timed pass (seconds).

        Enumeration evaluates 4**rf sequences once; the GA evaluates, per neuron and generation, its
        population forward and backward (about twice a forward pass) and its mutants forward.
        """
        live = int((~self.dead).sum())
        if live == 0:
            return 0.0
        batch = min(self.model.batch_size(self.layer, self.config.sampling.eval_batch), 4096)
        tokens = torch.randint(0, 4, (batch, self.spec.rf), generator=torch.Generator().manual_seed(0))
        x = one_hot(tokens.numpy().astype(np.uint8), self.model.device)
        with torch.no_grad():
            self.model.activations(x[:1], self.layer)  # first-call overheads are not the layer's speed
            start = time.perf_counter()
            self.model.activations(x, self.layer)
        per_sequence = (time.perf_counter() - start) / batch
        if self.exhaustive:
            return 4 ** self.spec.rf * per_sequence
        size = self.config.sampling.population_size(self.spec.rf)
        return live * self.config.sampling.max_iter * size * 3 * per_sequence

    def batches(self) -> list[list[int]]:
        n = self.spec.out_channels
        if self.exhaustive:
            return [list(range(n))]
        size = self.config.neuron_batch or max(
            1, self.config.sampling.eval_batch // self.config.sampling.population_size(self.spec.rf))
        return [list(range(s, min(n, s + size))) for s in range(0, n, size)]

    def batch_seed(self, neurons: list[int]) -> int:
        """The seed of a batch: from the run's seed, the layer and the batch's first neuron only."""
        return int(np.random.SeedSequence([self.config.seed, self.layer, neurons[0]]).generate_state(1)[0])

    def sample(self, neurons: list[int], seed: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Activating sequences of a batch's live neurons: neuron -> (tokens (n, rf) uint8, acts (n,))."""
        live = [n for n in neurons if not self.dead[n]]
        if not live:
            return {}
        if self.exhaustive:
            return enumerate_exhaustive(self.model, self.layer, live, self.config.sampling, seed)
        return genetic_sample(self.model, self.layer, live, self.lower, self.config.sampling, seed)

    def run_batch(self, neurons: list[int],
                  save: Callable[[NeuronResult, tuple[np.ndarray, np.ndarray] | None], None]) -> None:
        """Sample and decipher a batch; ``save(result, sample)`` is called for each neuron in order."""
        seed = self.batch_seed(neurons)
        start = time.perf_counter()
        samples = self.sample(neurons, seed)
        share = (time.perf_counter() - start) / len(neurons)
        for n in neurons:
            t0 = time.perf_counter()
            result = self.decipher(n, samples.get(n), seed)
            result.seconds = share + time.perf_counter() - t0
            save(result, samples.get(n))

    def decipher(self, neuron: int, sample: tuple[np.ndarray, np.ndarray] | None, seed: int) -> NeuronResult:
        """Demix one neuron's sample into CRMs and diagnose it (``seed``: its batch's seed)."""
        if self.dead[neuron]:
            return NeuronResult(neuron, "dead", note="no positive input weight")
        tokens, acts = sample
        if len(acts) == 0:
            return NeuronResult(neuron, "dead", note="no activating sequence found")
        crms, motif_nb = demix_neuron(self.model, self.layer, neuron, tokens, acts, self.config.demix,
                                      seed + neuron)
        result = NeuronResult(neuron, "ok", n_sequences=len(acts), max_activation=float(acts.max()),
                              consensus_activation=max(c.consensus_activation for c in crms),
                              motif_nb=motif_nb, crms=crms)
        return diagnose(result, self.config.sick_ratio)
