"""Every parameter of a run, and the run-wide settings the command line parses (layers, threads)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from .demix import DemixConfig
from .errors import NeuronMotifError, check_range
from .sample import SamplingConfig


@dataclass
class RunConfig:
    """Every parameter of a run (recorded in run.json).

    Attributes
    ----------
    sampling : SamplingConfig
    demix : DemixConfig
    seed : int
        Seeds every random step.
    neuron_batch : int or None
        Neurons searched together by the GA; None fits ``sampling.eval_batch`` sequences per pass.
    sick_ratio : float
        A neuron is 'sick' when no CRM consensus reaches this share of its cluster's maximum activation.
    keep_samples : bool
        Keep the sampled sequences and activations under layer_<l>/samples/.
    """

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    demix: DemixConfig = field(default_factory=DemixConfig)
    seed: int = 0
    neuron_batch: int | None = None
    sick_ratio: float = 0.5
    keep_samples: bool = False

    def __post_init__(self) -> None:
        check_range("RunConfig", "seed", self.seed, 0, 2**32 - 1)
        check_range("RunConfig", "neuron_batch", self.neuron_batch, 1, optional=True)
        check_range("RunConfig", "sick_ratio", self.sick_ratio, 0.0, 1.0)

    def parameters(self) -> dict:
        """Parameters that change results (compared when a run directory is resumed)."""
        return {**{f"sampling.{k}": v for k, v in asdict(self.sampling).items() if k != "eval_batch"},
                **{f"demix.{k}": v for k, v in asdict(self.demix).items() if k != "eval_batch"},
                "neuron_batch": self.neuron_batch, "sick_ratio": self.sick_ratio}


def limit_threads(n: int) -> None:
    """Use at most ``n`` CPU threads in torch, the BLAS/OpenMP pools of numpy and scikit-learn, and numba
    (memelite's TOMTOM), so a run on a shared machine takes only its share."""
    from threadpoolctl import threadpool_limits

    check_range("limit_threads", "n", n, 1)
    torch.set_num_threads(n)
    threadpool_limits(n)
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:  # pragma: no cover - memelite brings numba
        pass


def parse_layers(text: str | None, n_layers: int) -> list[int]:
    """'1-3', '2', '1,3' or None (all) -> sorted 1-based layer numbers, checked against the model."""
    if text is None or text == "all":
        return list(range(1, n_layers + 1))
    chosen: set[int] = set()
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            chosen.update(range(int(lo), int(hi or lo) + 1))
    except ValueError as exc:
        raise NeuronMotifError(f"--layers {text!r} is not a list of layers like '1-3' or '1,3'.") from exc
    bad = sorted(x for x in chosen if not 1 <= x <= n_layers)
    if bad or not chosen:
        raise NeuronMotifError(
            f"--layers {text!r} is out of range: this model has conv layers 1-{n_layers}.")
    return sorted(chosen)
