"""The attribution baseline: tangermeme DeepLIFT/SHAP on each task's positives, then TF-MoDISco (modisco-lite).

This is what a user would run today to find a model's motifs, and what the ground-truth benchmark
compares neuronmotif with. Both packages are optional (``pip install neuronmotif[bench]``); the
set-up of ``make test`` installs them.

The report holds TF-MoDISco's positive patterns (grammar is read in them) and their segments cut by the
same information-content rule as neuronmotif's CRMs (the motifs; :data:`~nmbench.scoring.AS_REPORTED`,
no pseudo-count, since a pattern may rest on a few dozen seqlets), so :func:`nmbench.scoring.score`
treats both methods alike.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from neuronmotif.datasets.models import BassetLike
from neuronmotif.errors import NeuronMotifError
from neuronmotif.segment import SegmentConfig
from neuronmotif.sequences import one_hot

from .scoring import Pattern, Report, pattern_segments


@dataclass(frozen=True)
class BaselineConfig:
    """Settings of the baseline (tangermeme and modisco-lite defaults unless stated).

    Attributes
    ----------
    max_positives : int
        Positive sequences per task explained (the first ones).
    n_shuffles : int
        Dinucleotide-shuffled references per sequence (tangermeme's default, 20).
    sliding_window_size, flank_size : int
        Seqlet core and flank (bp). modisco-lite's 21 and 10 suit 1-kb inputs; 15 and 5 suit the
        100-200 bp sequences of the benchmark (more seqlets, same patterns or better).
    max_seqlets_per_metacluster : int
    n_leiden_runs : int
        Leiden restarts (modisco-lite's default, 50).
    seed : int
        Seeds the references.
    """

    max_positives: int = 2000
    n_shuffles: int = 20
    sliding_window_size: int = 15
    flank_size: int = 5
    max_seqlets_per_metacluster: int = 20000
    n_leiden_runs: int = 50
    seed: int = 0

    def parameters(self) -> dict:
        return asdict(self)


def _require_packages() -> None:
    try:
        import modiscolite  # noqa: F401
        import tangermeme  # noqa: F401
    except ImportError as exc:
        raise NeuronMotifError(
            f"the attribution baseline needs tangermeme and modisco-lite ({exc.name} is missing): "
            "run `pip install 'neuronmotif[bench]'` (or `make test`, whose set-up installs them).") from exc


class _DeepLiftReady(nn.Module):
    """A :class:`~neuronmotif.datasets.models.BassetLike` whose global max is an ``nn.MaxPool1d`` (same outputs).

    DeepLIFT/SHAP needs its max-pool rule on every max; a bare ``amax`` in ``forward`` has none and
    breaks the summation-to-delta property.
    """

    def __init__(self, model: BassetLike, length: int):
        super().__init__()
        with torch.no_grad():
            width = model.body(torch.zeros(1, 4, length)).shape[-1]
        self.body, self.pool, self.head = model.body, nn.MaxPool1d(width), model.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.body(x)).flatten(1))


def deeplift_ready(model: nn.Module, length: int) -> nn.Module:
    """The model in a form DeepLIFT/SHAP can explain exactly (zoo models rewired; others unchanged)."""
    return _DeepLiftReady(model, length) if isinstance(model, BassetLike) else model


def hypothetical_attributions(model: nn.Module, tokens: np.ndarray, task: int, config: BaselineConfig) -> np.ndarray:
    """DeepLIFT/SHAP hypothetical attributions of output ``task``, shape (N, 4, L), float32.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 4, L) one-hot to (N, T).
    tokens : np.ndarray, shape (N, L), uint8
    """
    _require_packages()
    from tangermeme.deep_lift_shap import deep_lift_shap

    x = one_hot(tokens).float()
    explained = deeplift_ready(model, tokens.shape[1]).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        attr = deep_lift_shap(explained, x, target=task, hypothetical=True, n_shuffles=config.n_shuffles,
                              random_state=config.seed, batch_size=512)
    return attr.numpy().astype(np.float32)


def modisco_patterns(tokens: np.ndarray, attributions: np.ndarray, config: BaselineConfig,
                     prefix: str = "") -> list[Pattern]:
    """TF-MoDISco's positive patterns as (4, L) PPMs.

    Parameters
    ----------
    tokens : np.ndarray, shape (N, L), uint8
    attributions : np.ndarray, shape (N, 4, L)
        Hypothetical attributions.
    prefix : str
        Prepended to the pattern names ('pattern_<i>').
    """
    _require_packages()
    from modiscolite.tfmodisco import TFMoDISco

    x = one_hot(tokens).numpy().transpose(0, 2, 1).astype(np.float32)
    positive, _ = TFMoDISco(x, attributions.transpose(0, 2, 1).astype(np.float32),
                            sliding_window_size=config.sliding_window_size, flank_size=config.flank_size,
                            max_seqlets_per_metacluster=config.max_seqlets_per_metacluster,
                            n_leiden_runs=config.n_leiden_runs)
    return [Pattern(f"{prefix}pattern_{i}", np.ascontiguousarray(p.sequence.T, dtype=np.float64), len(p.seqlets))
            for i, p in enumerate(positive or [])]


def run_baseline(model: nn.Module, tokens: np.ndarray, labels: np.ndarray, config: BaselineConfig = BaselineConfig(),
                 segment: SegmentConfig | None = None) -> Report:
    """DeepLIFT/SHAP then TF-MoDISco on the positives of every task, as a :class:`~nmbench.scoring.Report`.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 4, L) one-hot to (N, T) logits.
    tokens : np.ndarray, shape (N, L), uint8
    labels : np.ndarray, shape (N, T)
        Positives of task t are the rows with ``labels[:, t] > 0.5``.
    """
    patterns: list[Pattern] = []
    for task in range(labels.shape[1]):
        positives = tokens[np.flatnonzero(labels[:, task] > 0.5)[: config.max_positives]]
        attr = hypothetical_attributions(model, positives, task, config)
        patterns += modisco_patterns(positives, attr, config, prefix=f"task{task}_")
    motifs = {key: ppm for key, (_, _, ppm) in pattern_segments(patterns, segment).items()}
    return Report("DeepLIFT/SHAP + TF-MoDISco", motifs, patterns)


__all__ = ["BaselineConfig", "deeplift_ready", "hypothetical_attributions", "modisco_patterns", "run_baseline"]
