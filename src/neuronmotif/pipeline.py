"""The whole job: sample, demix and build CRMs for every neuron of every requested layer.

Layers run in order because each GA layer is seeded with the CRMs of the layer below. Neurons are
processed in fixed batches (``neuron_batch`` consecutive neurons); a batch's random draws depend only on
the seed, the layer and its first neuron, so a resumed run recomputes an interrupted batch exactly and
its final files equal those of an uninterrupted run.

* :func:`run` deciphers layers into a run directory (a temporary one when none is given) and returns a
  :class:`RunResult` with every neuron's result and the annotation;
* :func:`decipher_neuron` deciphers one neuron in memory;
* :class:`LayerJob` is one layer's work, batch by batch (used by both, and by the benchmarks).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from .annotate import AnnotateConfig, Annotation, annotate
from .cluster import ClusterConfig, DaskBatches, batch_runner
from .errors import NeuronMotifError
from .layer import LayerJob, diagnose, lower_layer_motifs
from .model import DNAModel
from .motifs import MotifDatabase, load_motif_db
from .progress import progress_bars
from .report import write_report
from .rules import RulesConfig, RuleSet, find_rules
from .rules.files import write_rules
from .runconfig import RunConfig, limit_threads, parse_layers
from .sample import LowerLayerMotifs
from .store import NeuronResult, RunDirectory
from .versions import versions

DEFAULT_ANNOTATION = AnnotateConfig()
DEFAULT_RULES = RulesConfig()

__all__ = ["LayerJob", "RunConfig", "RunResult", "decipher_neuron", "diagnose", "limit_threads",
           "lower_layer_motifs", "parse_layers", "run"]


@dataclass
class RunResult:
    """What :func:`run` found.

    Attributes
    ----------
    neurons : dict of int -> list of NeuronResult
        Every deciphered layer's neurons, in neuron order.
    annotation : Annotation or None
        Motifs, names and grammar of every finished layer (None when the stage was skipped).
    path : Path
        The run directory holding the files.
    rules : RuleSet or None
        The network's rules, verified by the model (None when the stage was skipped).
    report : Path or None
        ``OUT/report.html``, the page to open in a browser.
    """

    neurons: dict[int, list[NeuronResult]]
    annotation: Annotation | None
    path: Path
    rules: RuleSet | None = None
    report: Path | None = None


def _threads_per_process(cluster: ClusterConfig | None) -> int | None:
    """CPU threads of each process that computes neurons: this one's, or each Dask worker's (None: a
    running cluster's workers keep their own default)."""
    if cluster is None or (cluster.workers is None and cluster.scheduler is None):
        return torch.get_num_threads()
    return cluster.worker_threads


def run(model: DNAModel, out: str | Path | None = None, *, layers: Sequence[int] | None = None,
        config: RunConfig | None = None, overwrite: bool = False, source: str = "", console=None,
        progress: bool = True, grammar: AnnotateConfig | None = DEFAULT_ANNOTATION,
        motif_db: MotifDatabase | None = None, rules: RulesConfig | None = DEFAULT_RULES,
        cluster: ClusterConfig | None = None) -> RunResult:
    """Decipher the requested layers of a model into a run directory, then name motifs and grammar.

    Parameters
    ----------
    model : DNAModel
    out : str or Path or None
        Run directory; an existing one from the same model, seed and parameters is resumed. It is
        locked while the run writes to it: a second process is refused. None: a new temporary directory
        (its path is in the result).
    layers : sequence of int or None
        1-based layers (None: all). Lower layers already in ``out`` seed the GA of higher ones.
    config : RunConfig or None
    overwrite : bool
        Replace a run directory made with another model, seed or parameters.
    source : str
        Where the model came from (recorded in run.json).
    console : rich Console or None
        Where progress goes (default: standard error).
    progress : bool
        Show progress (bars on a terminal, plain lines otherwise) and time warnings.
    grammar : AnnotateConfig or None
        Settings of the motif, name and grammar stage (:func:`neuronmotif.annotate.annotate`), run on
        every finished layer at the end; None skips it.
    motif_db : MotifDatabase or None
        Known motifs (default: loaded from ``grammar.motif_db`` before sampling starts, so a bad
        database fails fast).
    rules : RulesConfig or None
        Settings of the rule stage (:func:`neuronmotif.rules.find_rules`): hypotheses from the grammar,
        verified by inserting them into backgrounds and reading ``model``; None skips it (it needs
        ``grammar``). The default draws its backgrounds with the run's seed (``config.seed``), as
        ``neuronmotif run`` and ``neuronmotif grammar`` do, so re-verifying the directory repeats them.

    cluster : ClusterConfig or None
        Run each layer's neuron batches on Dask distributed (a LocalCluster of ``workers`` processes, or
        the cluster at ``scheduler``); None: in this process. The files are the same either way.

    Returns
    -------
    RunResult
    """
    config = config or RunConfig()
    if rules is DEFAULT_RULES:
        rules = replace(DEFAULT_RULES, seed=config.seed)
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    if grammar is not None and motif_db is None:
        motif_db = load_motif_db(grammar.motif_db)
    layers = sorted(layers) if layers else list(range(1, len(model.layers) + 1))
    for layer in [*layers, *config.per_layer]:
        model.layer(layer)  # a layer the model lacks fails now, naming the model's layers
    store = RunDirectory(out if out is not None else tempfile.mkdtemp(prefix="neuronmotif-"))
    annotation = None
    with store.lock():
        store.prepare({"versions": versions(), "seed": config.seed, "parameters": config.parameters(),
                       "model_fingerprint": model.fingerprint(), "model_source": source,
                       "alphabet": model.alphabet, "input_layout": model.input_layout,
                       "model_layers": model.describe(), "layers": layers, "device": str(model.device),
                       "threads": _threads_per_process(cluster)},
                      overwrite=overwrite)
        with batch_runner(cluster) as runner:
            results = _run_layers(model, store, layers, config, console, progress, runner)
        found = None
        if grammar is not None:
            log = _printer(console) if progress else None
            annotation = annotate(store.path, grammar, motif_db, log=log)
            if rules is not None:
                found = verify_rules(store, annotation, model, rules, log)
        report = write_report(store.path)
    return RunResult(results, annotation, store.path, found, report)


def verify_rules(store: RunDirectory, annotation: Annotation, model: DNAModel, config: RulesConfig | None = None,
                 log: Callable[[str], None] | None = None) -> RuleSet:
    """Find the rules of an annotated run directory with its model and write ``rules.tsv`` and the rest.

    The caller holds the directory's lock (``store.lock()``).
    """
    found = find_rules(annotation, model, config or RulesConfig(), log=log)
    write_rules(store, annotation, found)
    return found


def decipher_neuron(model: DNAModel, layer: int, neuron: int, *, config: RunConfig | None = None,
                    lower: LowerLayerMotifs | None = None) -> NeuronResult:
    """Sample, demix and diagnose one neuron in memory (no run directory).

    Parameters
    ----------
    model : DNAModel
    layer, neuron : int
        1-based layer, 0-based neuron.
    config : RunConfig or None
    lower : LowerLayerMotifs or None
        GA seeds from the layer below (:func:`lower_layer_motifs` of its results); None: random starts.

    Returns
    -------
    NeuronResult
        The neuron is its own batch: its random draws depend only on ``config.seed``, the layer and the
        neuron, so the same call gives the same result (a run groups neurons into larger batches).
    """
    config = config or RunConfig()
    if not 0 <= neuron < model.layer(layer).out_channels:
        raise NeuronMotifError(f"neuron {neuron} is out of range: layer {layer} has neurons "
                               f"0-{model.layer(layer).out_channels - 1}.")
    job = LayerJob(model, layer, config, lower)
    found: list[NeuronResult] = []
    job.run_batch([neuron], lambda result, sample: found.append(result))
    return found[0]


#: a layer whose sampling may take longer than this (seconds) is announced before it starts
LONG_LAYER = 3600.0


def _printer(console) -> Callable[[str], None]:
    return lambda message: console.print(message, highlight=False, markup=False)


def _run_layers(model: DNAModel, store: RunDirectory, layers: list[int], config: RunConfig, console,
                progress: bool, runner: DaskBatches | None) -> dict[int, list[NeuronResult]]:
    """Every requested layer in order, resuming finished layers and neurons from ``store``; batches run in
    process, or on a cluster (``runner``)."""
    results: dict[int, list[NeuronResult]] = {}
    with progress_bars(console, enabled=progress) as bars:
        for layer in layers:
            if store.layer_done(layer):
                results[layer] = store.load_layer(layer)
                continue
            job = LayerJob(model, layer, config, _seeds_from_below(store, results, layer, console))
            if progress:
                _announce_if_long(job, console)
            task = bars.add_task(f"layer {layer} ({'enumerate' if job.exhaustive else 'GA'}, rf {job.spec.rf})",
                                 total=job.spec.out_channels)
            pending = [b for b in job.batches() if not all(store.has_neuron(layer, n) for n in b)]
            bars.advance(task, job.spec.out_channels - sum(len(b) for b in pending))
            save = partial(_save, store, layer, config.keep_samples, bars, task)
            if runner is None:
                for batch in pending:
                    job.run_batch(batch, save)
            else:
                runner.run(job, pending, save, config.keep_samples)
            results[layer] = [store.load_neuron(layer, n) for n in range(job.spec.out_channels)]
            store.finish_layer(layer, results[layer])
            write_report(store.path)  # what is finished can be looked at while the next layer runs
    return results


def _save(store: RunDirectory, layer: int, keep_samples: bool, bars, task, result: NeuronResult,
          sample: tuple[np.ndarray, np.ndarray] | None) -> None:
    store.save_neuron(layer, result, sample if keep_samples else None)
    bars.advance(task)


def _seeds_from_below(store: RunDirectory, results: dict[int, list[NeuronResult]], layer: int,
                      console) -> LowerLayerMotifs | None:
    """The GA seeds of ``layer``: the CRMs of the layer below, from this run or the run directory."""
    if layer == 1:
        return None
    below = results.get(layer - 1) or (store.load_layer(layer - 1) if store.layer_done(layer - 1) else None)
    if below is None:
        console.print(f"[yellow]layer {layer - 1} is not in this run directory; layer {layer}'s "
                      "search starts from random sequences (run layers in order for better seeds).")
        return None
    return lower_layer_motifs(below)


def _announce_if_long(job: LayerJob, console) -> None:
    """Say before a layer starts when its sampling may take hours, and what shortens it."""
    seconds = job.estimated_seconds()
    if seconds < LONG_LAYER:
        return
    if job.exhaustive:
        how = (f"enumerating 4^{job.spec.rf} = {4 ** job.spec.rf:,} sequences; a smaller --exhaustive-max-rf "
               "samples it with the GA instead")
    else:
        how = (f"GA: {job.spec.out_channels} neurons x up to {job.config.sampling.max_iter} generations of "
               f"{job.config.sampling.population_size(job.spec.rf):,} sequences; fewer --max-iter, --layers or a "
               "GPU (--device cuda) shorten it, and the GA usually stops early (--patience)")
    console.print(f"[yellow]layer {job.layer} may take up to {seconds / 3600:.1f} h on {job.model.device} ({how}).",
                  highlight=False)
