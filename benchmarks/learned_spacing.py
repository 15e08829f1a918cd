"""What spacing did each zoo model learn? The planted matrices at every gap, read on the model's output.

neuronmotif measures spacing with its own network motifs; the ground-truth benchmark scores it against
the planted gap. Between the two sits what the model learned, which this prints: the interaction of the
planted pair at each gap as a share of its peak, and the gaps at three quarters of the peak or more
(a description, not neuronmotif's range rule). Then what one site of each planted motif, inserted alone, moves
its grammar's output: a lone site a model hardly answers (below the rule floor, a quarter of the output's spread
over random backgrounds) cannot be reported as a rule. Seconds per model, after the zoo is cached.

With ``--runs ROOT`` (a ``grammar_recovery.py --out`` folder: ``ROOT/<model>/neuronmotif``) it splits each
planted pair's spacing into its two sources: the range neuronmotif's own rule
(:func:`neuronmotif.rules.verdicts.gap_span`) reads from the *planted matrices* on the rule stage's 48
backgrounds (what a perfect reading of the planted motifs would report), next to the range the run reports
through its network motifs, both in the planted frame. A reported range off the planted one but within 1 bp of
the learned one is the model's spacing, read right; one off both is a reading error.

    python benchmarks/learned_spacing.py                      # every zoo model
    python benchmarks/learned_spacing.py --models basset-A
    python benchmarks/learned_spacing.py --runs bench_out     # runs of grammar_recovery.py, per planted pair
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from nmbench.learned import learned_gap_curve, learned_gap_range, lone_site_effect  # noqa: E402
from nmbench.rule_scoring import read_rules, score_rules  # noqa: E402
from nmbench.zoo import GRAMMAR_SETS, ZOO, cached_model  # noqa: E402

from neuronmotif.datasets.demo import planted_database  # noqa: E402

#: bp a reported range's ends may lie off the planted (or learned) ones and count as right, as the benchmark scores
TOLERANCE = 1


def _within(reported: tuple[int, int], truth: tuple[int, int]) -> bool:
    """Both ends within :data:`TOLERANCE` bp (a hard truth: exactly), as ``nmbench.rule_scoring`` scores."""
    slack = 0 if truth[0] == truth[1] else TOLERANCE
    return abs(reported[0] - truth[0]) <= slack and abs(reported[1] - truth[1]) <= slack


def compare_runs(root: Path, names: list[str], seeds: int) -> None:
    """Per planted pair of each run under ``root``: planted, learned (``seeds`` draws of 48 backgrounds) and
    reported ranges in the planted frame, and which of the two the reported one matches (learned: in most
    draws)."""
    print("| model | planted pair | planted | learned by the range rule (per draw) | reported (rank) | "
          "right vs planted | right vs learned |")  # learned: most draws
    print("|---|---|---|---|---|---|---|")
    tally = {"pairs": 0, "planted": 0, "learned": 0}
    for name in names:
        run_dir = root / name / "neuronmotif"
        if not (run_dir / "rules.tsv").exists():
            continue
        entry = ZOO[name]
        model, _ = cached_model(entry)
        data = entry.data()
        found = score_rules(read_rules(run_dir, planted_database(data)), data.grammars)
        for task, grammar in enumerate(data.grammars):
            if len(grammar.motifs) != 2:
                continue
            learned = [learned_gap_range(model, entry, task, seed=s) for s in range(seeds)]
            rule = found.found.get(grammar.name)
            reported = rule.gaps[0] if rule and rule.gaps else None
            vs_planted = reported is not None and _within(reported, grammar.gaps[0])
            agree = sum(reported is not None and _within(reported, (lo, hi)) for lo, hi, _ in learned)
            vs_learned = 2 * agree > len(learned)
            tally["pairs"] += 1
            tally["planted"] += vs_planted
            tally["learned"] += vs_learned
            shown = f"{reported[0]}-{reported[1]} (R{rule.rank})" if reported else "-"
            print(f"| {name} | {grammar.name} | {grammar.gaps[0][0]}-{grammar.gaps[0][1]} | "
                  + ", ".join(f"{lo}-{hi} (peak {pk})" for lo, hi, pk in learned)
                  + f" | {shown} | {'yes' if vs_planted else 'no'} | {agree}/{len(learned)} draws |", flush=True)
    print(f"\nspacing right: {tally['planted']}/{tally['pairs']} against the planted range, "
          f"{tally['learned']}/{tally['pairs']} against the range most draws read from the planted matrices")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(ZOO))
    parser.add_argument("--max-gap", type=int, default=12)
    parser.add_argument("--runs", type=Path, help="a grammar_recovery.py --out folder: compare its runs' ranges")
    parser.add_argument("--draws", type=int, default=3, help="with --runs: draws of 48 backgrounds per pair")
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.runs:
        compare_runs(args.runs, args.models.split(","), args.draws)
        return
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
