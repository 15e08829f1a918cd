"""The whole job: sample, demix and build CRMs for every neuron of every requested layer.

Layers run in order because each GA layer is seeded with the CRMs of the layer below. Neurons are
processed in fixed batches (``neuron_batch`` consecutive neurons); a batch's random draws depend only on
the seed, the layer and its first neuron, so a resumed run recomputes an interrupted batch exactly and
its final files equal those of an uninterrupted run.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from .annotate import AnnotateConfig, annotate
from .demix import DemixConfig, demix_neuron
from .errors import NeuronMotifError, check_range
from .match import MotifDatabase, load_motif_db
from .model import NONNEGATIVE_ACTIVATIONS, DNAModel
from .progress import progress_bars
from .sample import LowerLayerMotifs, SamplingConfig, enumerate_exhaustive, genetic_sample
from .sequences import one_hot
from .store import NeuronResult, RunDirectory

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


def versions() -> dict[str, str]:
    """Versions of Python, neuronmotif and the libraries that shape its results."""
    out = {"python": platform.python_version()}
    for name in ("neuronmotif", "torch", "numpy", "scikit-learn", "memelite", "pyjaspar"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


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


class _Layer:
    """Deciphers one layer into a run directory, batch by batch."""

    def __init__(self, model: DNAModel, layer: int, config: RunConfig, store: RunDirectory,
                 lower: LowerLayerMotifs | None):
        self.model, self.layer, self.config, self.store, self.lower = model, layer, config, store, lower
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

    def run_batch(self, neurons: list[int], advance) -> None:
        seed = int(np.random.SeedSequence([self.config.seed, self.layer, neurons[0]]).generate_state(1)[0])
        live = [n for n in neurons if not self.dead[n]]
        start = time.perf_counter()
        if not live:
            samples = {}
        elif self.exhaustive:
            samples = enumerate_exhaustive(self.model, self.layer, live, self.config.sampling, seed)
        else:
            samples = genetic_sample(self.model, self.layer, live, self.lower, self.config.sampling, seed)
        share = (time.perf_counter() - start) / len(neurons)
        for n in neurons:
            t0 = time.perf_counter()
            result = self.decipher(n, samples.get(n), seed)
            result.seconds = share + time.perf_counter() - t0
            self.store.save_neuron(self.layer, result, samples.get(n) if self.config.keep_samples else None)
            advance()

    def decipher(self, neuron: int, sample: tuple[np.ndarray, np.ndarray] | None, seed: int) -> NeuronResult:
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


def run(model: DNAModel, out: str | Path, *, layers: Sequence[int] | None = None, config: RunConfig | None = None,
        overwrite: bool = False, source: str = "", console: Console | None = None,
        progress: bool = True, grammar: AnnotateConfig | None = DEFAULT_ANNOTATION,
        motif_db: MotifDatabase | None = None) -> dict[int, list[NeuronResult]]:
    """Decipher the requested layers of a model into a run directory, then name motifs and grammar.

    Parameters
    ----------
    model : DNAModel
    out : str or Path
        Run directory; an existing one from the same model, seed and parameters is resumed. It is
        locked while the run writes to it: a second process is refused.
    layers : sequence of int or None
        1-based layers (None: all). Lower layers already in ``out`` seed the GA of higher ones.
    config : RunConfig or None
    overwrite : bool
        Replace a run directory made with another model, seed or parameters.
    source : str
        Where the model came from (recorded in run.json).
    console : rich Console or None
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
    dict of layer -> list of NeuronResult
    """
    config = config or RunConfig()
    console = console or Console(stderr=True)
    if grammar is not None and motif_db is None:
        motif_db = load_motif_db(grammar.motif_db)
    layers = sorted(layers) if layers else list(range(1, len(model.layers) + 1))
    for layer in layers:
        model.layer(layer)
    store = RunDirectory(out)
    with store.lock():
        store.prepare({"versions": versions(), "seed": config.seed, "parameters": config.parameters(),
                       "model_fingerprint": model.fingerprint(), "model_source": source,
                       "alphabet": model.alphabet, "input_layout": model.input_layout,
                       "model_layers": model.describe(), "layers": layers, "device": str(model.device)},
                      overwrite=overwrite)
        results = _run_layers(model, store, layers, config, console, progress)
        if grammar is not None:
            annotate(out, grammar, motif_db, log=_printer(console) if progress else None)
    return results


#: a layer whose sampling may take longer than this (seconds) is announced before it starts
LONG_LAYER = 3600.0


def _printer(console: Console) -> Callable[[str], None]:
    return lambda message: console.print(message, highlight=False, markup=False)


def _run_layers(model: DNAModel, store: RunDirectory, layers: list[int], config: RunConfig, console: Console,
                progress: bool) -> dict[int, list[NeuronResult]]:
    """Every requested layer in order, resuming finished layers and neurons from ``store``."""
    results: dict[int, list[NeuronResult]] = {}
    with progress_bars(console, enabled=progress) as bars:
        for layer in layers:
            if store.layer_done(layer):
                results[layer] = store.load_layer(layer)
                continue
            job = _Layer(model, layer, config, store, _seeds_from_below(store, results, layer, console))
            if progress:
                _announce_if_long(job, console)
            task = bars.add_task(f"layer {layer} ({'enumerate' if job.exhaustive else 'GA'}, rf {job.spec.rf})",
                                 total=job.spec.out_channels)
            for batch in job.batches():
                if all(store.has_neuron(layer, n) for n in batch):
                    bars.advance(task, len(batch))
                    continue
                job.run_batch(batch, lambda task=task: bars.advance(task))
            results[layer] = [store.load_neuron(layer, n) for n in range(job.spec.out_channels)]
            store.finish_layer(layer, results[layer])
    return results


def _seeds_from_below(store: RunDirectory, results: dict[int, list[NeuronResult]], layer: int,
                      console: Console) -> LowerLayerMotifs | None:
    """The GA seeds of ``layer``: the CRMs of the layer below, from this run or the run directory."""
    if layer == 1:
        return None
    below = results.get(layer - 1) or (store.load_layer(layer - 1) if store.layer_done(layer - 1) else None)
    if below is None:
        console.print(f"[yellow]layer {layer - 1} is not in this run directory; layer {layer}'s "
                      "search starts from random sequences (run layers in order for better seeds).")
        return None
    return lower_layer_motifs(below)


def _announce_if_long(job: _Layer, console: Console) -> None:
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
