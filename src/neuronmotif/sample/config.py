"""Parameters of the sampling stage."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..errors import check_range


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
