"""Neuron batches on Dask distributed: a ``LocalCluster`` on this machine or a running cluster.

The neurons of a layer are independent once the layer below is done, and a batch's random draws depend
only on the run's seed, the layer and the batch's first neuron (:meth:`LayerJob.batch_seed`). So each
batch is one task: workers compute, the client saves each neuron as it arrives (``.partial`` files, as
in process), and the results equal the in-process run with the same seed and the same threads per
process. The model and the layer's seeding material are scattered to every worker once; a worker that
dies loses only the batches it held, which the scheduler gives to another worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .errors import NeuronMotifError, check_range
from .layer import LayerJob
from .model import DNAModel
from .runconfig import RunConfig, limit_threads
from .sample import LowerLayerMotifs
from .store import NeuronResult

Save = Callable[[NeuronResult, "tuple[np.ndarray, np.ndarray] | None"], None]


@dataclass(frozen=True)
class ClusterConfig:
    """Where neuron batches run.

    Attributes
    ----------
    workers : int or None
        Start a ``LocalCluster`` of this many worker processes on this machine.
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://HOST:PORT``), e.g. one started by dask-jobqueue.
    threads : int or None
        CPU threads of torch, numpy and TOMTOM in each worker (default: this machine's cores divided by
        ``workers``; on a running cluster, the worker's own default).
    """

    workers: int | None = None
    scheduler: str | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        check_range("ClusterConfig", "workers", self.workers, 1, optional=True)
        check_range("ClusterConfig", "threads", self.threads, 1, optional=True)
        if self.workers is not None and self.scheduler is not None:
            raise NeuronMotifError("give either workers (--workers, a LocalCluster here) or scheduler "
                                   "(--scheduler, a running cluster), not both.")

    @property
    def worker_threads(self) -> int | None:
        if self.threads is not None:
            return self.threads
        if self.workers is not None:
            return max(1, (os.cpu_count() or 1) // self.workers)
        return None


def _pickle_user_code_by_value(model: DNAModel) -> None:
    """Workers cannot import a model class defined in the user's file (or a test's module): send it by value."""
    import cloudpickle

    for name in {type(m).__module__ for m in model.module.modules()}:
        if name.split(".")[0] in ("torch", "neuronmotif", "builtins") or name not in sys.modules:
            continue
        with contextlib.suppress(ValueError):  # already registered
            cloudpickle.register_pickle_by_value(sys.modules[name])


#: a worker's unpickled models, by the digest of their pickle (one unpickling per worker, not per batch)
_WORKER_MODELS: dict[str, DNAModel] = {}


def _worker_model(blob: bytes, digest: str) -> DNAModel:
    import cloudpickle

    if digest not in _WORKER_MODELS:
        _WORKER_MODELS.clear()
        _WORKER_MODELS[digest] = cloudpickle.loads(blob)
    return _WORKER_MODELS[digest]


def _run_batch(blob: bytes, digest: str, layer: int, config: RunConfig, lower: LowerLayerMotifs | None,
               batch: list[int], threads: int | None, keep_samples: bool):
    """One batch on a worker: [(result, sample or None), ...] in neuron order."""
    if threads is not None:
        limit_threads(threads)
    found = []
    LayerJob(_worker_model(blob, digest), layer, config, lower).run_batch(
        batch, lambda result, sample: found.append((result, sample if keep_samples else None)))
    return found


class DaskBatches:
    """Runs a layer's batches on a Dask cluster; use as a context manager (it closes what it started)."""

    def __init__(self, config: ClusterConfig):
        self.config = config
        self._stack = contextlib.ExitStack()
        self.client = None
        self._scattered_model = None
        self._model_id: int | None = None

    def __enter__(self) -> DaskBatches:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise NeuronMotifError("a cluster needs Dask distributed: pip install 'neuronmotif[cluster]'.") from exc
        if self.config.scheduler is not None:
            try:
                self.client = self._stack.enter_context(Client(self.config.scheduler, timeout="30s"))
            except OSError as exc:
                raise NeuronMotifError(f"no Dask scheduler answers at {self.config.scheduler} ({exc}); start "
                                       "one (dask scheduler, or dask-jobqueue) or use --workers N.") from exc
        else:
            cluster = self._stack.enter_context(LocalCluster(
                n_workers=self.config.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR))
            self.client = self._stack.enter_context(Client(cluster))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _model(self, model: DNAModel):
        """The model's pickle on every worker, and its digest. Pickled here with cloudpickle, so a class from
        the user's file travels by value (plain pickle, which Dask tries first, would send its name only)."""
        if self._model_id != id(model):
            import cloudpickle

            _pickle_user_code_by_value(model)
            blob = cloudpickle.dumps(model)
            self._scattered_model = (self.client.scatter(blob, broadcast=True, hash=False),
                                  hashlib.sha256(blob).hexdigest())
            self._model_id = id(model)
        return self._scattered_model

    def run(self, job: LayerJob, batches: list[list[int]], save: Save, keep_samples: bool) -> None:
        """Submit every batch, and ``save`` each neuron's result as its batch arrives."""
        from distributed import as_completed

        blob, digest = self._model(job.model)
        lower = self.client.scatter(job.lower, broadcast=True, hash=False) if job.lower is not None else None
        futures = [self.client.submit(_run_batch, blob, digest, job.layer, job.config, lower, batch,
                                      self.config.worker_threads, keep_samples, pure=False, retries=2)
                   for batch in batches]
        for future in as_completed(futures):
            for result, sample in future.result():
                save(result, sample)


@contextlib.contextmanager
def batch_runner(config: ClusterConfig | None) -> Iterator[DaskBatches | None]:
    """A :class:`DaskBatches` for a cluster config, or None (in process)."""
    if config is None or (config.workers is None and config.scheduler is None):
        yield None
        return
    with DaskBatches(config) as runner:
        yield runner
