"""What spacing did each zoo model learn? The planted matrices at every gap, read on the model's output.

neuronmotif measures spacing with its own network motifs; the ground-truth benchmark scores it against
the planted gap. Between the two sits what the model learned, which this prints: the interaction of the
planted pair at each gap as a share of its peak, and the gaps at three quarters of the peak or more
(a description, not neuronmotif's range rule). Then what one site of each planted motif, inserted alone, moves
its grammar's output: a lone site a model hardly answers (below the rule floor, a quarter of the output's spread
over random backgrounds) cannot be reported as a rule. Seconds per model, after the zoo is cached.

    python benchmarks/learned_spacing.py                      # all four zoo models
    python benchmarks/learned_spacing.py --models basset-A
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from nmbench.learned import learned_gap_curve, lone_site_effect  # noqa: E402
from nmbench.zoo import GRAMMAR_SETS, ZOO, cached_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(ZOO))
    parser.add_argument("--max-gap", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(2)
    gaps = range(0, args.max_gap + 1)
    print("| model | planted pair | planted gap | share of the peak at gaps " + ", ".join(map(str, gaps))
          + " | gaps at >= 75% of the peak |")
    print("|---|---|---|---|---|")
    models = {name: cached_model(ZOO[name])[0] for name in args.models.split(",")}
    for name, model in models.items():
        entry = ZOO[name]
        for task, grammar in enumerate(GRAMMAR_SETS[entry.grammar_set].grammars):
            if len(grammar.motifs) != 2:
                continue
            curve = learned_gap_curve(model, entry, task, gaps)
            share = curve / curve.max()
            near = [g for g, s in zip(gaps, share, strict=True) if s >= 0.75]
            lo, hi = grammar.gaps[0]
            print(f"| {name} | {grammar.name} | {lo}-{hi} | " + " ".join(f"{s:.2f}" for s in share)
                  + f" | {min(near)}-{max(near)} (peak {gaps[int(np.argmax(curve))]}) |", flush=True)
    print("\n| model | grammar (output) | one site alone: change of its output (output units) |")
    print("|---|---|---|")
    for name, model in models.items():
        entry = ZOO[name]
        for task, grammar in enumerate(GRAMMAR_SETS[entry.grammar_set].grammars):
            effects = lone_site_effect(model, entry, task)
            print(f"| {name} | {grammar.name} ({task}) | "
                  + ", ".join(f"{m} {e:+.2f}" for m, e in zip(grammar.motifs, effects, strict=True)) + " |", flush=True)


if __name__ == "__main__":
    main()
