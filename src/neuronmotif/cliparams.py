"""Command-line values: those that can differ per layer (``--motif-nb 2``, ``--motif-nb 5=2``, ``--max-iter
100,5=300``), the model's other inputs and the thread count."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

import click

from .errors import NeuronMotifError

#: the environment variable that sets --threads when the option is not given
THREADS_VARIABLE = "NEURONMOTIF_THREADS"


@dataclass(frozen=True)
class PerLayer:
    """An option's value for every layer (``default``, None: the library's default) and for some (``layers``)."""

    default: object = None
    layers: dict[int, object] = field(default_factory=dict)


class PerLayerType(click.ParamType):
    """``V`` (every layer), ``L=V`` (layer L only) or both, comma-separated; each V checked by ``base``."""

    name = "[L=]VALUE"

    def __init__(self, base: click.ParamType):
        self.base = base

    def convert(self, value, param, ctx) -> PerLayer:
        if isinstance(value, PerLayer):
            return value
        default, layers = None, {}
        for part in str(value).split(","):
            layer, sep, text = part.strip().rpartition("=")
            if sep and not layer.strip().isdigit():
                self.fail(f"{part!r}: write L=VALUE with a 1-based conv layer L, e.g. 5=2", param, ctx)
            parsed = self.base.convert(text.strip(), param, ctx)
            if sep:
                layers[int(layer)] = parsed
            else:
                default = parsed
        return PerLayer(default, layers)


class LayerSettings:
    """Options that may differ per layer, by setting: ``{"demix.motif_nb": ("--motif-nb", PerLayer), ...}``
    (a None value: the option was not given)."""

    def __init__(self, options: dict[str, tuple[str, PerLayer | None]]):
        self.options = {key: pair for key, pair in options.items() if pair[1] is not None}

    def everywhere(self, part: str) -> dict[str, object]:
        """Keyword arguments of the ``part`` ('sampling' or 'demix') config: the values for every layer."""
        return {key.partition(".")[2]: value.default for key, (_, value) in self.options.items()
                if key.startswith(part + ".") and value.default is not None}

    def per_layer(self, n_layers: int) -> dict[int, dict[str, object]]:
        """``RunConfig.per_layer``; each layer is checked against the model's ``n_layers`` conv layers."""
        from .errors import NeuronMotifError

        found: dict[int, dict[str, object]] = {}
        for key, (option, value) in self.options.items():
            for layer, setting in value.layers.items():
                if not 1 <= layer <= n_layers:
                    raise NeuronMotifError(f"{option} {layer}={setting}: this model has conv layers 1-{n_layers}.")
                found.setdefault(layer, {})[key] = setting
        return found


def parse_other_inputs(items: tuple[str, ...]) -> dict[str, object]:
    """``("features=0", "extra=x.npy")`` -> ``{"features": 0.0, "extra": array}`` (--other-input)."""
    from pathlib import Path

    import numpy as np

    from .errors import NeuronMotifError

    found: dict[str, object] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise NeuronMotifError(f"--other-input {item!r}: write NAME=VALUE, e.g. features=0 or features=f.npy.")
        try:
            found[name] = float(text)
        except ValueError:
            if not Path(text).is_file():
                raise NeuronMotifError(f"--other-input {item!r}: {text!r} is neither a number nor a .npy file."
                                       ) from None
            try:
                found[name] = np.load(text, allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise NeuronMotifError(f"--other-input {item!r}: cannot read {text} as .npy ({exc}).") from exc
    return found


class ThreadChoice(NamedTuple):
    """What :func:`choose_threads` decided.

    Attributes
    ----------
    threads : int or None
        The count asked for (``--threads``, else $NEURONMOTIF_THREADS), None when none was.
    idle : int or None
        The idle cores, when the count was chosen for a busy machine, else None.
    message : str or None
        What to tell the user (None when every core is used quietly or the count was asked for).
    """

    threads: int | None
    idle: int | None
    message: str | None


def choose_threads(threads: int | None, workers: int | None = None) -> ThreadChoice:
    """Limit the CPU threads to ``--threads``, else to $NEURONMOTIF_THREADS, else to the cores idle now when
    a neighbour keeps some busy (shared among ``workers`` Dask workers, when the run starts them)."""
    from .runconfig import idle_cores, limit_threads

    if threads is None and os.environ.get(THREADS_VARIABLE):
        threads = _threads_from_environment()
    if threads is not None:
        limit_threads(threads)
        return ThreadChoice(threads, None, None)
    idle, usable = idle_cores()
    if idle == usable:
        return ThreadChoice(None, None, None)
    limit_threads(idle)
    using = f"{idle} thread{'s' * (idle > 1)}"
    if workers:
        each = _share(idle, workers)
        using = f"{each} thread{'s' * (each > 1)} in each of {workers} Dask workers"
    return ThreadChoice(None, idle, f"{usable - idle} of {usable} cores are busy: using {using} (--threads N to "
                                    "choose; the count is recorded in run.json)")


def worker_threads(choice: ThreadChoice, workers: int | None) -> int | None:
    """Threads of each Dask worker: the count asked for (``--threads`` or $NEURONMOTIF_THREADS), else a share
    of the idle cores when a neighbour keeps some busy, else None (the cluster's default: the cores divided
    by ``workers``). A running cluster (no ``workers``) gets only the count asked for."""
    if choice.threads is not None or choice.idle is None or not workers:
        return choice.threads
    return _share(choice.idle, workers)


def _share(idle: int, workers: int) -> int:
    """Threads of each of ``workers`` Dask workers on ``idle`` cores (at least one)."""
    return max(1, idle // workers)


def _threads_from_environment() -> int:
    value = os.environ[THREADS_VARIABLE]
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise NeuronMotifError(f"${THREADS_VARIABLE} is {value!r}: set it to a number of CPU threads (1 or more), "
                               "or unset it to use the cores that are idle.")
    return threads
