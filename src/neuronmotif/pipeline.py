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
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch

from .annotate import AnnotateConfig, Annotation, annotate
from .demix import DemixConfig, demix_neuron
from .errors import NeuronMotifError, check_range
from .model import NONNEGATIVE_ACTIVATIONS, DNAModel
from .motifs import MotifDatabase, load_motif_db
from .progress import progress_bars
from .sample import LowerLayerMotifs, SamplingConfig, enumerate_exhaustive, genetic_sample
from .sequences import one_hot
from .store import NeuronResult, RunDirectory
from .versions import versions

DEFAULT_ANNOTATION = AnnotateConfig()


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
    lower : LowerLayerMotifs or None
        Seeds for the GA (the CRMs of the layer below; None: random sequences).
    """

    def __init__(self, model: DNAModel, layer: int, config: RunConfig, lower: LowerLayerMotifs | None):
        self.model, self.layer, self.config, self.lower = model, layer, config, lower
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

    def sample(self, neurons: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Activating sequences of a batch's live neurons: neuron -> (tokens (n, rf) uint8, acts (n,))."""
        live = [n for n in neurons if not self.dead[n]]
        if not live:
            return {}
        seed = self.batch_seed(neurons)
        if self.exhaustive:
            return enumerate_exhaustive(self.model, self.layer, live, self.config.sampling, seed)
        return genetic_sample(self.model, self.layer, live, self.lower, self.config.sampling, seed)

    def run_batch(self, neurons: list[int],
                  save: Callable[[NeuronResult, tuple[np.ndarray, np.ndarray] | None], None]) -> None:
        """Sample and decipher a batch; ``save(result, sample)`` is called for each neuron in order."""
        start = time.perf_counter()
        samples = self.sample(neurons)
        share = (time.perf_counter() - start) / len(neurons)
        for n in neurons:
            t0 = time.perf_counter()
            result = self.decipher(n, samples.get(n), self.batch_seed(neurons))
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
    """

    neurons: dict[int, list[NeuronResult]]
    annotation: Annotation | None
    path: Path


def run(model: DNAModel, out: str | Path | None = None, *, layers: Sequence[int] | None = None,
        config: RunConfig | None = None, overwrite: bool = False, source: str = "", console=None,
        progress: bool = True, grammar: AnnotateConfig | None = DEFAULT_ANNOTATION,
        motif_db: MotifDatabase | None = None) -> RunResult:
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

    Returns
    -------
    RunResult
    """
    config = config or RunConfig()
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    if grammar is not None and motif_db is None:
        motif_db = load_motif_db(grammar.motif_db)
    layers = sorted(layers) if layers else list(range(1, len(model.layers) + 1))
    for layer in layers:
        model.layer(layer)
    store = RunDirectory(out if out is not None else tempfile.mkdtemp(prefix="neuronmotif-"))
    annotation = None
    with store.lock():
        store.prepare({"versions": versions(), "seed": config.seed, "parameters": config.parameters(),
                       "model_fingerprint": model.fingerprint(), "model_source": source,
                       "alphabet": model.alphabet, "input_layout": model.input_layout,
                       "model_layers": model.describe(), "layers": layers, "device": str(model.device)},
                      overwrite=overwrite)
        results = _run_layers(model, store, layers, config, console, progress)
        if grammar is not None:
            annotation = annotate(store.path, grammar, motif_db, log=_printer(console) if progress else None)
    return RunResult(results, annotation, store.path)


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
    NeuronResult, equal to what a run with ``neuron_batch=1`` and the same seed finds for this neuron.
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
                progress: bool) -> dict[int, list[NeuronResult]]:
    """Every requested layer in order, resuming finished layers and neurons from ``store``."""
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
            for batch in job.batches():
                if all(store.has_neuron(layer, n) for n in batch):
                    bars.advance(task, len(batch))
                    continue
                job.run_batch(batch, partial(_save, store, layer, config.keep_samples, bars, task))
            results[layer] = [store.load_neuron(layer, n) for n in range(job.spec.out_channels)]
            store.finish_layer(layer, results[layer])
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
