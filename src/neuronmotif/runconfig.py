"""Every parameter of a run, and the run-wide settings the command line parses (layers, threads)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

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
    per_layer : dict of int -> dict of str -> value
        Settings of single layers over those of ``sampling`` and ``demix``, e.g.
        ``{5: {"demix.motif_nb": 2}}`` (the published demo2 fixed motif_nb 2 at its last layer only).
        Keys are ``sampling.<field>`` or ``demix.<field>``.
    """

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    demix: DemixConfig = field(default_factory=DemixConfig)
    seed: int = 0
    neuron_batch: int | None = None
    sick_ratio: float = 0.5
    keep_samples: bool = False
    per_layer: dict[int, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_range("RunConfig", "seed", self.seed, 0, 2**32 - 1)
        check_range("RunConfig", "neuron_batch", self.neuron_batch, 1, optional=True)
        check_range("RunConfig", "sick_ratio", self.sick_ratio, 0.0, 1.0)
        self.per_layer = {int(layer): dict(settings) for layer, settings in sorted(self.per_layer.items())}
        for layer in self.per_layer:
            self.for_layer(layer)  # unknown keys and values out of range fail now, not at that layer

    def for_layer(self, layer: int) -> RunConfig:
        """This config with ``per_layer[layer]`` applied to its sampling and demixing settings."""
        settings = self.per_layer.get(layer)
        if not settings:
            return self
        parts = {"sampling": self.sampling, "demix": self.demix}
        changes: dict[str, dict[str, object]] = {"sampling": {}, "demix": {}}
        for key, value in settings.items():
            part, _, name = key.partition(".")
            if part not in parts or name not in {f.name for f in fields(parts[part])}:
                raise NeuronMotifError(f"RunConfig.per_layer[{layer}] has an unknown setting {key!r}; use "
                                       "'sampling.<field>' or 'demix.<field>' (e.g. 'demix.motif_nb').")
            changes[part][name] = value
        return replace(self, sampling=replace(self.sampling, **changes["sampling"]),
                       demix=replace(self.demix, **changes["demix"]), per_layer={})

    def parameters(self) -> dict:
        """Parameters that change results (compared when a run directory is resumed)."""
        found = {**{f"sampling.{k}": v for k, v in asdict(self.sampling).items() if k != "eval_batch"},
                 **{f"demix.{k}": v for k, v in asdict(self.demix).items() if k != "eval_batch"},
                 "neuron_batch": self.neuron_batch, "sick_ratio": self.sick_ratio}
        if self.per_layer:  # absent when unused, so older run directories still resume
            found["per_layer"] = {str(layer): settings for layer, settings in self.per_layer.items()}
        return found


def limit_threads(n: int) -> None:
    """Use at most ``n`` CPU threads in torch, the BLAS/OpenMP pools of numpy and scikit-learn, and numba
    (memelite's TOMTOM), so a run on a shared machine takes only its share."""
    from threadpoolctl import threadpool_limits

    check_range("limit_threads", "n", n, 1)
    torch.set_num_threads(n)
    import sklearn.cluster  # noqa: F401 - loads its OpenMP runtime now: threadpoolctl limits only loaded pools

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
