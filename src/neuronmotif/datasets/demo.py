"""The embedded demo: planted JASPAR grammar -> a trained Basset-like CNN -> every layer deciphered and named.

Two tasks: a single motif (CEBPB, MA0466.4) and a hard pair (ESRRB MA0141.4, then KLF1 MA0493.3 after
exactly 3 bp; negatives carry one motif only, a wrong gap or the reverse order). The model has three conv
layers (RF 9, 18, 36 bp) with max-pooling after the first two, so layer 2 shows a motif demixed at two
offsets and layer 3 can hold the pair.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from ..annotate import Annotation, annotate
from ..model import DNAModel
from ..motifs import MotifDatabase
from ..pairs import find_pair, pair_spacing, planted_order, task_voters
from ..pipeline import RunConfig, run, verify_rules
from ..report import write_report
from ..rules import RulesConfig, RuleSet
from ..store import NeuronResult, RunDirectory, atomic_write_text, meme_text
from .models import BassetLike, train
from .simulate import Grammar, SimulatedData, simulate

DEMO_GRAMMARS = [Grammar("CEBPB", ["MA0466.4"]), Grammar("ESRRB-3bp-KLF1", ["MA0141.4", "MA0493.3"], [(3, 3)])]


@dataclass
class TruthRow:
    """How the run reports one planted motif or pair.

    Attributes
    ----------
    planted : str
        Matrix id(s).
    tf : str
        TF name(s).
    found : str
        Where neuronmotif reports it (network motif or neurons), or 'not found'.
    detail : str
        q-value, first layer, spacing and order.
    """

    planted: str
    tf: str
    found: str
    detail: str


def demo_data(seed: int = 0, n_per_task: int = 3000, length: int = 100) -> SimulatedData:
    return simulate(DEMO_GRAMMARS, n_per_task, length, seed=seed)


def demo_model(data: SimulatedData, seed: int = 0, epochs: int = 6) -> tuple[BassetLike, list[float]]:
    """Train the demo CNN (about 10 s on 2 CPU cores); returns it with its validation AUROCs."""
    torch.manual_seed(seed)
    model = BassetLike(len(data.grammars))
    return model, train(model, data.tokens, data.labels, epochs=epochs, seed=seed)


def planted_database(data: SimulatedData) -> MotifDatabase:
    """The planted matrices as a motif database (ids and TF names from JASPAR)."""
    ids = list(data.ppms)
    return MotifDatabase("planted motifs", ids, [data.names[m] for m in ids], [data.ppms[m] for m in ids])


def voters_by_task(model: DNAModel, data: SimulatedData, layer: int, n: int = 1000) -> dict[int, set[tuple[int, int]]]:
    """For each task, the neurons of ``layer`` that vote for it on (up to ``n`` of) its positives."""
    return {t: task_voters(model, layer, data.tokens[data.labels[:, t] > 0.5][:n], task=t)
            for t in range(data.labels.shape[1])}


def truth_table(annotation: Annotation, data: SimulatedData,
                voters: dict[int, set[tuple[int, int]]] | None = None) -> list[TruthRow]:
    """Each planted motif's network motif (matched to the planted matrices), and each planted pair's neurons.

    ``annotation`` should be matched against :func:`planted_database`, so the names are the truth.
    With ``voters`` (:func:`voters_by_task`), a pair planted with a flexible spacing also gets the
    spacing pooled over the neurons that vote for its task (:func:`~neuronmotif.pairs.pair_spacing`).
    """
    rows = []
    for mid in data.ppms:
        hits = [(m, g) for g in annotation.network for m in annotation.matches.get(g.representative.name, [])
                if m.target_id == mid]
        if not hits:
            rows.append(TruthRow(mid, data.names[mid], "not found", ""))
            continue
        m, g = min(hits, key=lambda h: h[0].q_value)
        per_layer = ", ".join(f"L{k}: {v}" for k, v in g.neurons_per_layer.items())
        rows.append(TruthRow(mid, data.names[mid], f"{g.name} ({g.representative.name})",
                             f"q = {m.q_value:.1e}; first in layer {g.first_layer}; neurons {per_layer}"))
    for task, grammar in enumerate(data.grammars):
        if len(grammar.motifs) != 2:
            continue
        first, second = grammar.motifs
        reports = find_pair(annotation, first, second)
        planted = f"{grammar.gaps[0][0]}-{grammar.gaps[0][1]} bp" if grammar.gaps[0][0] != grammar.gaps[0][1] \
            else f"{grammar.gaps[0][0]} bp"
        label = f"{data.names[first]} then {data.names[second]}"
        if not reports:
            rows.append(TruthRow(f"{first} {second}", label, "not found",
                                 f"planted: {planted_order(first, second)}, {planted}"))
            continue
        spacing = Counter(f"{r.order} {r.gap.label()}" for r in reports if r.gap is not None)
        neurons = sorted({f"L{r.layer}_N{r.neuron}" for r in reports})
        detail = "; ".join(f"{k} in {v}" for k, v in spacing.most_common(4))
        order = planted_order(first, second)
        pooled = None if voters is None or grammar.gaps[0][0] == grammar.gaps[0][1] else \
            pair_spacing([r for r in reports if r.order == order], voters[task], annotation.config.grammar)
        if pooled is not None:
            detail += f"; {order} {pooled.label()} pooled over the {len(voters[task])} neurons that vote for the task"
        detail += f" (planted: {order}, {planted})"
        rows.append(TruthRow(f"{first} {second}", label, ", ".join(neurons), detail))
    return rows


def run_demo(out: str | Path, seed: int = 0, overwrite: bool = False, progress: bool = True,
             console=None) -> tuple[dict[int, list[NeuronResult]], Annotation, RuleSet, list[TruthRow], list[float]]:
    """Simulate, train, decipher every layer into ``out``, name motifs with JASPAR, verify the rules with the
    model, and check the truth."""
    data = demo_data(seed)
    model, aurocs = demo_model(data, seed)
    dna = DNAModel(model)
    results = run(dna, out, config=RunConfig(seed=seed), overwrite=overwrite, source="demo",
                  console=console, progress=progress, grammar=None).neurons
    out = Path(out)
    torch.save(model.state_dict(), out / "demo_model.pt")
    atomic_write_text(out / "planted.meme", meme_text([(f"{m} {data.names[m]}", p, 1) for m, p in data.ppms.items()]))
    annotation = annotate(out)
    store = RunDirectory(out)
    with store.lock():
        found = verify_rules(store, annotation, dna, RulesConfig(seed=seed))
        write_report(out)
    truth = annotate(out, db=planted_database(data), write=False)
    return results, annotation, found, truth_table(truth, data), aurocs


def summary_rows(rows: list[TruthRow]) -> list[list[str]]:
    return [[r.planted, r.tf, r.found, r.detail] for r in rows]


__all__ = ["DEMO_GRAMMARS", "demo_data", "demo_model", "planted_database", "run_demo", "summary_rows", "truth_table",
           "voters_by_task"]
