"""Speed and memory of the motif, name and grammar stage (issue #4).

Three measurements, each in a fresh subprocess so peak RSS is its own:

* **demo**: the embedded demo's run directory (``neuronmotif demo`` output, made here if missing);
* **BD-10-shaped**: a run directory with the layer shapes of the paper's BD-10 model (RF 7 ... 129 bp)
  whose CRMs are synthetic: 1-3 JASPAR motifs per neuron planted at a fixed spacing (one bp of
  jitter between CRMs), 10% uniform noise, on a faint random background. Sampling a real BD-10 on 2
  CPU cores takes hours; this stage only reads CRMs, so their shape and content are what matter;
* **150 bp CRMs**: one layer of 150-bp CRMs (six motifs each), for peak memory (TOMTOM's memory grows
  with the cube of the query length; long segments use a small scratchpad).

Prints seconds per neuron of segmentation + dictionary + grammar, and of the whole stage (with naming
against JASPAR2024 and the across-layer pass), and peak RSS. Run ``python -m neuronmotif.warmup``
first (``make`` does) so numba's compile time is not counted.

    python benchmarks/grammar_speed.py [--neurons 32] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _synthetic_crm_ppm(rng: np.random.Generator, length: int, motifs: list[np.ndarray],
                       starts: list[int]) -> np.ndarray:
    ppm = rng.dirichlet(np.full(4, 20.0), size=length).T
    for motif, start in zip(motifs, starts, strict=True):
        w = motif.shape[1]
        lo, hi = max(0, start), min(length, start + w)
        if hi > lo:
            ppm[:, lo:hi] = 0.9 * motif[:, lo - start:hi - start] + 0.1 * 0.25
    return ppm / ppm.sum(axis=0, keepdims=True)


def make_synthetic_run(path: Path, rfs: list[int], neurons: int, crms: int, motifs_per_crm: int | None,
                       seed: int = 0) -> None:
    """A run directory with one layer per RF and synthetic CRMs holding planted JASPAR motifs."""
    from neuronmotif.motifs import jaspar_motifs
    from neuronmotif.ppm import CRM
    from neuronmotif.store import NeuronResult, RunDirectory

    rng = np.random.default_rng(seed)
    pool = [ppm for _, ppm in list(jaspar_motifs().values())[:200] if 6 <= ppm.shape[1] <= 14][:40]
    store = RunDirectory(path)
    layers = list(range(1, len(rfs) + 1))
    store.prepare({"model_fingerprint": "synthetic", "seed": seed, "parameters": {}, "layers": layers}, overwrite=True)
    for layer, rf in enumerate(rfs, start=1):
        results = []
        for n in range(neurons):
            k = motifs_per_crm or int(rng.integers(1, 4))
            chosen = [pool[i] for i in rng.choice(len(pool), size=k)]
            span = sum(m.shape[1] for m in chosen)
            if span > rf:
                chosen, span = chosen[:1], chosen[0].shape[1]
            gaps = rng.integers(2, 8, size=len(chosen) - 1)
            base = max(0, rf - span - int(gaps.sum()))
            out = []
            for c in range(crms):
                start = int(rng.integers(0, base + 1))
                starts = []
                for i, m in enumerate(chosen):
                    starts.append(start)
                    start += m.shape[1] + (int(gaps[i]) + int(rng.integers(-1, 2)) if i < len(gaps) else 0)
                ppm = _synthetic_crm_ppm(rng, rf, chosen, starts)
                out.append(CRM(n, c, ppm, 5000, 1.0, 0.95))
            results.append(NeuronResult(n, "ok", n_sequences=5000 * crms, max_activation=1.0,
                                        consensus_activation=0.95, motif_nb=1, crms=out))
        store.finish_layer(layer, results)


def measure(path: str) -> dict:
    """Annotate a run directory; returns per-layer timings and this process's peak RSS (GB)."""
    from neuronmotif.annotate import annotate

    start = time.perf_counter()
    annotation = annotate(path)
    total = time.perf_counter() - start
    layers = {}
    for layer, lm in annotation.layers.items():
        n = max(1, len(lm.neurons))
        core = lm.seconds["segment"] + lm.seconds["dictionary"] + lm.seconds["grammar"]
        layers[layer] = {"neurons": len(lm.neurons), "crm_length": lm.crm_length,
                         "segments": len(lm.all_segments()), "motifs": len(lm.all_motifs()),
                         "dict_grammar_s_per_neuron": core / n,
                         "stage_s_per_neuron": (core + lm.seconds["match"] + lm.seconds["across_layers"]) / n}
    return {"total_s": total, "layers": layers, "network_motifs": len(annotation.network),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def _in_subprocess(path: Path) -> dict:
    code = f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import grammar_speed as g; " \
           f"print(json.dumps(g.measure({str(path)!r})))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _report(name: str, result: dict) -> None:
    print(f"\n{name}: total {result['total_s']:.1f} s, {result['network_motifs']} network motifs, "
          f"peak RSS {result['peak_rss_gb']:.2f} GB")
    print(f"{'layer':>5} {'neurons':>7} {'CRM bp':>6} {'segments':>8} {'motifs':>6} {'dict+grammar s/neuron':>22} "
          f"{'whole stage s/neuron':>21}")
    for layer, row in sorted(result["layers"].items(), key=lambda kv: int(kv[0])):
        print(f"{layer:>5} {row['neurons']:>7} {row['crm_length']:>6} {row['segments']:>8} {row['motifs']:>6} "
              f"{row['dict_grammar_s_per_neuron']:>22.3f} {row['stage_s_per_neuron']:>21.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, default=32, help="Neurons per BD-10-shaped layer.")
    parser.add_argument("--crms", type=int, default=8, help="CRMs per synthetic neuron.")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    from nmbench.zoo import bd10_like

    from neuronmotif.model import DNAModel

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_demo:
            demo = tmp / "demo"
            subprocess.run([sys.executable, "-m", "neuronmotif.cli", "demo", "-o", str(demo), "--quiet"], check=True,
                           capture_output=True)
            _report("demo (BassetLike 16-16-16, RF 9/18/36)", _in_subprocess(demo))
        rfs = [layer.rf for layer in DNAModel(bd10_like()).layers]
        make_synthetic_run(tmp / "bd10", rfs, args.neurons, args.crms, None)
        _report(f"BD-10-shaped, {args.neurons} neurons x {args.crms} synthetic CRMs per layer",
                _in_subprocess(tmp / "bd10"))
        make_synthetic_run(tmp / "long", [150], 64, args.crms, 6)
        _report(f"150-bp CRMs, 64 neurons x {args.crms} CRMs, 6 motifs each", _in_subprocess(tmp / "long"))


if __name__ == "__main__":
    main()
