"""Every parameter of a run, and the run-wide settings the command line parses (layers, threads)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

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
    import sklearn.cluster  # noqa: F401 - loads its OpenMP runtime now: threadpoolctl limits only loaded pools

    threadpool_limits(n)
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:  # pragma: no cover - memelite brings numba
        pass
    torch.set_num_threads(n)  # last: numba's set_num_threads reset torch's count to every core under pytest


#: a core counts as idle when at least this share of it was idle while it was watched
IDLE_SHARE = 0.8


def cpu_times(stat: Path = Path("/proc/stat")) -> dict[int, tuple[int, int]] | None:
    """Each core's (idle, total) clock ticks since boot, from Linux's ``/proc/stat``; None elsewhere."""
    try:
        lines = stat.read_text().splitlines()
    except OSError:
        return None
    times = {}
    for line in lines:
        name, *ticks = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [int(t) for t in ticks]
            times[int(name[3:])] = (values[3] + (values[4] if len(values) > 4 else 0), sum(values[:8]))
    return times


def count_idle(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]], cores: list[int]) -> int:
    """How many of ``cores`` were idle between two :func:`cpu_times` readings (at least 1).

    The idle shares of the cores are added up; each whole core's worth counts once it is
    :data:`IDLE_SHARE` idle (two cores half busy are one busy core).
    """
    share = 0.0
    for core in cores:
        if core in before and core in after:
            total = after[core][1] - before[core][1]
            share += (after[core][0] - before[core][0]) / total if total > 0 else 1.0
        else:  # a container may number /proc/stat's cores unlike the affinity mask: assume idle
            share += 1.0
    return max(1, min(len(cores), int(share + 1.0 - IDLE_SHARE)))


def idle_cores(seconds: float = 0.3) -> tuple[int, int]:
    """(idle, usable): the cores this process may use that are idle now, watched for ``seconds``.

    On a shared machine torch's threads fight a busy neighbour for its core: with one core of two busy,
    2 threads took 1.6x as long as 1 (BENCHMARKS.md, session 9). Where ``/proc/stat`` is missing (not
    Linux) every usable core counts as idle.
    """
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    before = cpu_times()
    if before is None:
        return len(cores), len(cores)
    time.sleep(seconds)
    after = cpu_times()
    return (count_idle(before, after, cores) if after else len(cores)), len(cores)


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
