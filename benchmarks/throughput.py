"""Throughput and memory of the core engine, per layer, for the demo model and a BD-10-shaped model.

Prints per layer: sequences evaluated per second (forward, and forward+backward as the GA needs),
seconds per neuron of the full stage (sampling + demixing + CRMs) and of its sampling alone, the share
of each spent inside model evaluation (forward passes, and the GA's forward and backward passes with
their one-hot input), and the process's peak RSS. Checks the targets of the core-engine issue:

* exhaustive enumeration of a 7-bp layer for all 128 neurons (BD-10 layer 1) under 10 s;
* one layer-3 neuron of the demo model under 15 s;
* peak RSS under 4 GB for any layer.

BD-10 GA layers (3-10) are measured on one batch of neurons with at most ``--bd10-generations``
generations (on 2 CPU cores a full 200-generation search of a 144-bp, 10-layer neuron takes far
longer); the seconds per generation are printed so the full cost can be read off.

The demo2 design (the published demo2 architecture trained on two CTCF at position windows,
``neuronmotif.datasets.positional``) is measured first, on every layer, against the published code's
780 s for sampling and demixing it on 2 cores; ``--demo2-only`` stops after it.

Usage: python benchmarks/throughput.py [--quick] [--device cpu] [--demo2-only | --skip-bd10] [--threads N|all|auto]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from nmbench.zoo import bd10_like  # noqa: E402

from neuronmotif.cliparams import choose_threads  # noqa: E402
from neuronmotif.datasets.demo import demo_data, demo_model  # noqa: E402
from neuronmotif.datasets.models import train  # noqa: E402
from neuronmotif.datasets.positional import Demo2Like, WithSigmoid, ctcf_pair_data  # noqa: E402
from neuronmotif.model import DNAModel  # noqa: E402
from neuronmotif.pipeline import LayerJob, RunConfig, lower_layer_motifs  # noqa: E402
from neuronmotif.runconfig import limit_threads  # noqa: E402
from neuronmotif.sample import SamplingConfig, genetic  # noqa: E402
from neuronmotif.sequences import one_hot  # noqa: E402
from neuronmotif.versions import versions  # noqa: E402


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


class EvalTimer:
    """Adds up the seconds in model evaluation: ``DNAModel.feature_maps`` (forward passes) and the GA's
    evaluator (one-hot, forward and backward), each counted once."""

    def __init__(self, model: DNAModel):
        self.model, self.seconds, self._inner = model, 0.0, model.feature_maps
        self._evaluator = genetic._Evaluator.__call__
        self._depth = 0
        model.feature_maps = self._wrap(self._inner)
        genetic._Evaluator.__call__ = self._wrap(self._evaluator)

    def _wrap(self, inner):
        def timed(*args, **kwargs):
            self._depth += 1
            start = time.perf_counter()
            try:
                out = inner(*args, **kwargs)
                if self.model.device.type == "cuda":
                    torch.cuda.synchronize()
            finally:
                self._depth -= 1
            if self._depth == 0:  # a forward pass inside the evaluator is not counted twice
                self.seconds += time.perf_counter() - start
            return out
        return timed

    def restore(self) -> None:
        self.model.feature_maps = self._inner
        genetic._Evaluator.__call__ = self._evaluator


def throughput(model: DNAModel, layer: int, n: int = 4096) -> tuple[float, float]:
    """(forward seqs/s, forward+backward seqs/s) for one layer on random sequences (one budgeted batch)."""
    rf = model.layer(layer).rf
    n = model.batch_size(layer, n)
    x = one_hot(np.random.default_rng(0).integers(0, 4, (n, rf)), model.device)
    with torch.no_grad():
        model.activations(x[:64], layer)
        start = time.perf_counter()
        model.activations(x, layer)
        fwd = n / (time.perf_counter() - start)
    x.requires_grad_(True)
    start = time.perf_counter()
    a = model.activations(x, layer)
    torch.autograd.grad(a[:, 0].sum(), x)
    bwd = n / (time.perf_counter() - start)
    return fwd, bwd


def bench_layer(model: DNAModel, layer: int, config: RunConfig, lower, neurons=None):
    """Every batch of a layer (or ``neurons``): wall s, neurons, shares in model evaluation, results.

    Returns the share of the whole stage and of its sampling alone spent in model evaluation, and the
    sampling seconds.
    """
    job = LayerJob(model, layer, config, lower)
    batches = job.batches() if neurons is None else [neurons]
    timer = EvalTimer(model)
    sampling = {"seconds": 0.0, "eval": 0.0}
    inner_sample = job.sample

    def timed_sample(*args, **kwargs):
        start, before = time.perf_counter(), timer.seconds
        out = inner_sample(*args, **kwargs)
        sampling["seconds"] += time.perf_counter() - start
        sampling["eval"] += timer.seconds - before
        return out

    job.sample = timed_sample
    results = []
    start = time.perf_counter()
    for batch in batches:
        job.run_batch(batch, lambda result, sample: results.append(result))
    wall = time.perf_counter() - start
    timer.restore()
    n = sum(len(b) for b in batches)
    sample_share = sampling["eval"] / sampling["seconds"] if sampling["seconds"] else 0.0
    return wall, n, timer.seconds / wall, sample_share, sampling["seconds"], results


def row(name, layer, spec, fwd, bwd, wall, n, share, sample_share, sample_s, note=""):
    print(f"| {name} | {layer} | {spec.rf} | {spec.out_channels} | {fwd:,.0f} | {bwd:,.0f} | {n} | "
          f"{wall / n:.2f} | {sample_s / n:.2f} | {share:.0%} | {sample_share:.0%} | {peak_rss_gb():.2f} | {note} |",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="BD-10 layers 1-6 only.")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bd10-generations", type=int, default=10)
    parser.add_argument("--bd10-neurons", type=int, default=2)
    parser.add_argument("--bd10-from", type=int, default=1,
                        help="First BD-10 layer to measure (earlier ones are skipped; the GA then starts random).")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--demo2-only", action="store_true", help="Only the demo2 design (every layer).")
    parser.add_argument("--skip-bd10", action="store_true", help="Stop after the demo2 design and the demo.")
    parser.add_argument("--threads", default="all",
                        help="CPU threads: a number, 'all' (torch's default) or 'auto' (the CLI's default: one "
                             "per core idle at the start).")
    args = parser.parse_args()
    if args.threads == "auto":
        print(choose_threads(None).message or "every core idle: torch's default threads")
    elif args.threads != "all":
        limit_threads(int(args.threads))
    torch.manual_seed(0)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, device {args.device}, "
          f"{platform.platform()}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print()
    print("| model | layer | RF bp | neurons | fwd seq/s | fwd+bwd seq/s | neurons timed | s/neuron | "
          "sampling s/neuron | in model eval (stage) | in model eval (sampling) | peak RSS GB | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    bench_demo2(args)
    if args.demo2_only:
        return
    if not args.skip_demo:
        bench_demo(args)
    if not args.skip_bd10:
        bench_bd10(args)
    print(f"\npeak RSS of the whole benchmark: {peak_rss_gb():.2f} GB (target < 4 GB)")


def bench_demo(args) -> None:
    """The demo model, trained as in `neuronmotif demo`: every neuron of every layer."""
    data = demo_data(0)
    model, _ = demo_model(data, 0)
    dna = DNAModel(model, device=args.device)
    config = RunConfig(seed=0)
    lower, total = None, 0.0
    for layer in (1, 2, 3):
        fwd, bwd = throughput(dna, layer)
        wall, n, share, sample_share, sample_s, results = bench_layer(dna, layer, config, lower)
        lower = lower_layer_motifs(results)
        total += wall
        target = " target < 15 s/neuron" if layer == 3 else ""
        row("demo", layer, dna.layer(layer), fwd, bwd, wall, n, share, sample_share, sample_s,
            f"all neurons; layer total {wall:.1f} s{target}")
    print(f"\ndemo, sampling + demixing + CRMs of every layer: {total:.1f} s\n")


#: the published NeuronMotif code's sampling and demixing of its demo2 model on a 2-core machine (s)
PUBLISHED_DEMO2_SECONDS = 780.0


def bench_demo2(args) -> None:
    """The published demo2 design (seed 0, 10 epochs, with its sigmoid), every layer at default settings."""
    data = ctcf_pair_data(4000, 0)
    torch.manual_seed(0)
    body = Demo2Like()
    train(body, data.tokens, data.labels, epochs=10, seed=0)
    dna = DNAModel(WithSigmoid(body), device=args.device)
    config = RunConfig(seed=0)
    lower, total = None, 0.0
    for layer in range(1, len(dna.layers) + 1):
        fwd, bwd = throughput(dna, layer)
        wall, n, share, sample_share, sample_s, results = bench_layer(dna, layer, config, lower)
        lower = lower_layer_motifs(results)
        total += wall
        row("demo2", layer, dna.layer(layer), fwd, bwd, wall, n, share, sample_share, sample_s,
            f"all neurons; layer total {wall:.1f} s")
    print(f"\ndemo2 design, sampling + demixing + CRMs of every layer: {total:.1f} s; "
          f"published code {PUBLISHED_DEMO2_SECONDS:.0f} s: {PUBLISHED_DEMO2_SECONDS / total:.1f}x faster\n")


def bench_bd10(args) -> None:
    """BD-10-shaped model, random weights, 600 bp input."""
    bd = DNAModel(bd10_like(n_tasks=164), device=args.device)
    lower = None
    last = 6 if args.quick else 10
    for layer in range(args.bd10_from, last + 1):
        spec = bd.layer(layer)
        fwd, bwd = throughput(bd, layer)
        exhaustive = spec.rf <= 10
        gens = args.bd10_generations
        cfg = RunConfig(sampling=SamplingConfig(max_iter=gens, patience=gens), seed=0,
                        neuron_batch=args.bd10_neurons)
        neurons = None if exhaustive else list(range(args.bd10_neurons))
        wall, n, share, sample_share, sample_s, results = bench_layer(bd, layer, cfg, lower, neurons)
        lower = lower_layer_motifs(results)  # GA layers: seeds from the neurons timed
        note = ("all neurons, exhaustive; target < 10 s for the layer" if exhaustive
                else f"GA, {gens} generations max (population {cfg.sampling.population_size(spec.rf)})")
        if exhaustive:
            note += f"; layer total {wall:.1f} s"
        row("BD-10", layer, spec, fwd, bwd, wall, n, share, sample_share, sample_s, note)


if __name__ == "__main__":
    main()
