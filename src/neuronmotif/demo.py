"""The embedded demo: planted JASPAR grammar -> a trained Basset-like CNN -> every layer deciphered.

Two tasks: a single motif (CEBPB, MA0466.4) and a hard pair (ESRRB MA0141.4, then KLF1 MA0493.3 after
exactly 3 bp; negatives carry one motif only, a wrong gap or the reverse order). The model has three conv
layers (RF 9, 18, 36 bp) with max-pooling after the first two, so layer 2 shows a motif demixed at two
offsets and layer 3 can hold the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .compare import align, place_pair
from .model import DNAModel
from .pipeline import RunConfig, run
from .simulate import Grammar, SimulatedData, simulate
from .store import NeuronResult, atomic_write_text, meme_text
from .zoo import BassetLike, train

DEMO_GRAMMARS = [Grammar("CEBPB", ["MA0466.4"]), Grammar("ESRRB-3bp-KLF1", ["MA0141.4", "MA0493.3"], [(3, 3)])]


@dataclass
class MotifRow:
    """The best CRM for one planted motif (or pair)."""

    planted: str
    tf: str
    layer: int
    crm: str
    correlation: float
    detail: str


def demo_data(seed: int = 0, n_per_task: int = 3000, length: int = 100) -> SimulatedData:
    return simulate(DEMO_GRAMMARS, n_per_task, length, seed=seed)


def demo_model(data: SimulatedData, seed: int = 0, epochs: int = 6) -> tuple[BassetLike, list[float]]:
    """Train the demo CNN (about 10 s on 2 CPU cores); returns it with its validation AUROCs."""
    torch.manual_seed(seed)
    model = BassetLike(len(data.grammars))
    return model, train(model, data.tokens, data.labels, epochs=epochs, seed=seed)


def best_matches(results: dict[int, list[NeuronResult]], data: SimulatedData) -> list[MotifRow]:
    """For each planted motif its best CRM over all layers, and for each pair grammar its best CRM."""
    crms = [(layer, c) for layer, rs in results.items() for r in rs for c in r.crms]
    rows = []
    for mid, ppm in data.ppms.items():
        scored = [(align(ppm, c.ppm), layer, c) for layer, c in crms]
        if not scored:
            continue
        a, layer, c = max(scored, key=lambda s: s[0].correlation)
        rows.append(MotifRow(mid, data.names[mid], layer, f"L{layer}_N{c.neuron}_C{c.index}", a.correlation,
                             f"strand {a.strand}, consensus {c.consensus}"))
    for g in data.grammars:
        if len(g.motifs) != 2:
            continue
        first, second = (data.ppms[m] for m in g.motifs)
        scored = [(place_pair(c.ppm, first, second), layer, c) for layer, c in crms]
        p, layer, c = max(scored, key=lambda s: s[0].correlation)
        rows.append(MotifRow(g.name, " + ".join(data.names[m] for m in g.motifs), layer,
                             f"L{layer}_N{c.neuron}_C{c.index}", p.correlation,
                             f"{p.order} order, gap {p.gap} bp (planted: forward, {g.gaps[0][0]} bp), "
                             f"strand {p.strand}"))
    return rows


def run_demo(out: str | Path, seed: int = 0, overwrite: bool = False, progress: bool = True,
             console=None) -> tuple[dict[int, list[NeuronResult]], list[MotifRow], list[float]]:
    """Simulate, train, decipher every layer into ``out`` and score the result against the truth."""
    data = demo_data(seed)
    model, aurocs = demo_model(data, seed)
    results = run(DNAModel(model), out, config=RunConfig(seed=seed), overwrite=overwrite, source="demo",
                  console=console, progress=progress)
    out = Path(out)
    torch.save(model.state_dict(), out / "demo_model.pt")
    atomic_write_text(out / "planted.meme", meme_text([(f"{m}_{data.names[m]}", p, 1) for m, p in data.ppms.items()]))
    return results, best_matches(results, data), aurocs


def summary_rows(rows: list[MotifRow]) -> list[list[str]]:
    return [[r.planted, r.tf, str(r.layer), r.crm, f"{r.correlation:.3f}", r.detail] for r in rows]


__all__ = ["DEMO_GRAMMARS", "best_matches", "demo_data", "demo_model", "run_demo", "summary_rows"]
