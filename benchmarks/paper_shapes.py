"""Seconds per neuron, memory and disk for the paper's Basset- and DeepSEA-shaped models (random weights).

For each conv layer, one batch of ``--neurons`` neurons is sampled (GA at the default population, at most
``--generations`` generations, then demixing and CRMs, as a run does) and saved into a run directory.
Printed per layer: RF, population, generations, seconds per neuron measured and projected to the default
200 generations (an upper bound: patience stops most neurons earlier), the share in model evaluation, the
run-directory bytes per neuron, peak RSS, and the projected layer and model time on this machine.

Usage: python benchmarks/paper_shapes.py [--model basset deepsea] [--neurons 2] [--generations 10]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nmbench.shapes import SHAPES  # noqa: E402
from throughput import EvalTimer, peak_rss_gb  # noqa: E402

from neuronmotif.model import DNAModel  # noqa: E402
from neuronmotif.pipeline import LayerJob, RunConfig, lower_layer_motifs  # noqa: E402
from neuronmotif.sample import SamplingConfig  # noqa: E402
from neuronmotif.store import RunDirectory  # noqa: E402

DEFAULT_GENERATIONS = 200


def run_dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_model(name: str, neurons: int, generations: int) -> float:
    import sklearn.cluster  # noqa: F401 - demixing's first import (about 3 s) is not a layer's cost

    torch.manual_seed(0)
    model = DNAModel(SHAPES[name]())
    config = RunConfig(sampling=SamplingConfig(max_iter=generations, patience=generations), seed=0)
    lower, total = None, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = RunDirectory(tmp)
        for layer in range(1, len(model.layers) + 1):
            job = LayerJob(model, layer, config, lower)
            batch = list(range(neurons))
            timer, results = EvalTimer(model), []
            start = time.perf_counter()
            job.run_batch(batch, lambda result, sample, found=results: found.append(result))
            wall = time.perf_counter() - start
            model.feature_maps = timer._inner
            before = run_dir_bytes(Path(tmp))
            store.finish_layer(layer, results)
            per_neuron_bytes = (run_dir_bytes(Path(tmp)) - before) / neurons
            spec = model.layer(layer)
            per_neuron = wall / neurons
            projected = per_neuron * (1 if job.exhaustive else DEFAULT_GENERATIONS / generations)
            layer_hours = projected * spec.out_channels / 3600
            total += layer_hours
            population = "enumerated" if job.exhaustive else config.sampling.population_size(spec.rf)
            print(f"| {name} | {layer} | {spec.rf} | {spec.out_channels} | {population} | "
                  f"{'-' if job.exhaustive else generations} | {per_neuron:.1f} | {projected:.0f} | "
                  f"{timer.seconds / wall:.0%} | {per_neuron_bytes / 1e3:.0f} | {peak_rss_gb():.2f} | "
                  f"{layer_hours:.1f} |", flush=True)
            lower = lower_layer_motifs(results)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["basset", "deepsea"], choices=sorted(SHAPES))
    parser.add_argument("--neurons", type=int, default=2)
    parser.add_argument("--generations", type=int, default=10)
    args = parser.parse_args()
    print(f"{platform.node()} · {torch.get_num_threads()} torch threads · {platform.platform()}")
    print("| model | layer | RF bp | neurons | population | generations | s/neuron | s/neuron at 200 gen. | "
          "in model eval | run-dir KB/neuron | peak RSS GB | layer hours at 200 gen. |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    totals = {name: bench_model(name, args.neurons, args.generations) for name in args.model}
    for name, hours in totals.items():
        print(f"{name}: whole model projected at {hours:.0f} h on this machine (upper bound, 200 generations)")


if __name__ == "__main__":
    main()
