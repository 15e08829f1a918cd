"""The published demo2 design, deciphered and scored: two CTCF at position windows, 14-44 bp apart.

Shared by ``benchmarks/positional_rules.py`` and the test suite (``tests/test_rules.py``), so the benchmark's
figures and the test's claim are one measurement.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch

from neuronmotif.datasets.models import train
from neuronmotif.datasets.positional import CTCF, Demo2Like, WithSigmoid, ctcf_pair_data
from neuronmotif.datasets.simulate import Grammar
from neuronmotif.model import DNAModel
from neuronmotif.motifs import MotifDatabase, jaspar_motif
from neuronmotif.pipeline import run

from .rule_scoring import read_rules, score_rules

#: the issue's tolerance on both ends of the CTCF pair's range (bp, planted frame)
TOLERANCE = 3


def decipher_ctcf_pair(seed: int, out: Path, n_per_class: int = 4000, epochs: int = 10) -> dict:
    """Train the demo2 design on ``seed``'s CTCF-pair data, decipher every layer at default settings (rules
    included) into ``out``, and score its rules against the planted pair.

    Returns
    -------
    dict
        ``seed``, ``auroc``, ``planted`` (gap range), ``rank``, ``label`` and ``planted_frame_gap`` of the rule
        that is the planted pair (None when none is), ``within_3bp``, ``false_top5`` (labels of false rules
        among the top 5), ``unrelated_top5`` (those of them that share no network motif with the planted pair's
        rule: not another reading of the pair through a CTCF fragment), ``run_s`` and ``rules_s`` (wall seconds
        of the whole run and of its rule stage).
    """
    data = ctcf_pair_data(n_per_class, seed)
    torch.manual_seed(seed)
    body = Demo2Like()
    auroc = train(body, data.tokens, data.labels, epochs=epochs, seed=seed)[0]
    shutil.rmtree(out, ignore_errors=True)  # a run with the same parameters would resume
    start = time.perf_counter()
    result = run(DNAModel(WithSigmoid(body)), out, overwrite=True, source=f"demo2 seed {seed}", progress=False)
    seconds = time.perf_counter() - start
    name, ppm = jaspar_motif(CTCF)
    rules = read_rules(out, MotifDatabase("planted", [CTCF], [name], [ppm]))
    grammar = Grammar("CTCF-pair", [CTCF, CTCF], [data.gap_range])
    found = score_rules(rules, [grammar], top=5, tolerance=TOLERANCE)
    rule = found.found[grammar.name]
    mine = set(rule.motifs) if rule else set()
    return {"seed": seed, "auroc": round(auroc, 3), "planted": data.gap_range, "rank": rule.rank if rule else None,
            "label": rule.label if rule else None, "planted_frame_gap": rule.gap if rule else None,
            "within_3bp": found.spacing_ok[grammar.name], "false_top5": [r.label for r in found.false_top],
            "unrelated_top5": [r.label for r in found.false_top if not mine & set(r.motifs)],
            "run_s": round(seconds, 1), "rules_s": round(result.rules.seconds, 1)}
