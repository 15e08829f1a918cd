"""What a zoo model learned of one planted task: its outputs' response to each planted motif alone and to the
planted pair at every gap around the planted range.

A diagnostic for a missed rule: it tells a motif the model hardly learned (the pair or motif barely moves
its output) from one the model learned well but the sampling or the rule stage did not find.

    python benchmarks/planted_response.py basset-C 3     # NFKB1-6bp-IRF1 of grammar set C

Each line is the mean change of every output (logits) over the same ``--n`` uniform random backgrounds, the
motifs drawn from the planted PPMs and inserted at the middle of the input, the first motif's start fixed.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from nmbench.zoo import ZOO, cached_model

from neuronmotif.datasets.simulate import Grammar, SimulatedData
from neuronmotif.sequences import one_hot, ppm_instances, random_background


def _logits(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:+.2f}" for v in values) + "]"


def respond(model: torch.nn.Module, tokens: np.ndarray) -> np.ndarray:
    """Mean model output over (N, L) base tokens -> (outputs,)."""
    with torch.no_grad():
        return model(one_hot(tokens)).mean(0).numpy()


def with_motifs(background: np.ndarray, ppms: list[np.ndarray], gaps: list[int],
                rng: np.random.Generator) -> np.ndarray:
    """(N, L) backgrounds with the motifs (each (4, w)) inserted in order, ``gaps[k]`` bp between motif k and
    k + 1, the first starting 15 bp before the middle. Returns a new (N, L) array."""
    tokens = background.copy()
    start = tokens.shape[1] // 2 - 15
    for k, ppm in enumerate(ppms):
        start += gaps[k - 1] if k else 0
        tokens[:, start: start + ppm.shape[1]] = ppm_instances(ppm, len(tokens), rng)
        start += ppm.shape[1]
    return tokens


def task_response(model: torch.nn.Module, data: SimulatedData, grammar: Grammar, n: int, seed: int) -> list[str]:
    """Lines of output changes: each planted motif alone, then (pairs) the planted pair at each gap from 3 bp
    below to 3 bp above the planted range."""
    rng = np.random.default_rng(seed)
    background = random_background(n, data.tokens.shape[1], 0.5, rng)
    base = respond(model, background)
    ppms = [data.ppms[m] for m in grammar.motifs]
    lines = [f"baseline outputs {_logits(base)}"]
    for motif, ppm in zip(grammar.motifs, ppms, strict=True):
        change = respond(model, with_motifs(background, [ppm], [], rng)) - base
        lines.append(f"{data.names[motif]} ({motif}) alone: {_logits(change)}")
    if len(ppms) == 2:
        low, high = grammar.gaps[0]
        for gap in range(max(0, low - 3), high + 4):
            change = respond(model, with_motifs(background, ppms, [gap], rng)) - base
            planted = " (planted)" if low <= gap <= high else ""
            lines.append(f"pair at {gap} bp{planted}: {_logits(change)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(ZOO), help="zoo model")
    parser.add_argument("task", type=int, help="the task (output) index of the planted grammar")
    parser.add_argument("--n", type=int, default=256, help="backgrounds (default 256)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    entry = ZOO[args.model]
    model, _ = cached_model(entry)
    model.eval()
    data = entry.data()
    grammar = data.grammars[args.task]
    print(f"{args.model} task {args.task}: {grammar.name} (motifs {grammar.motifs}, gaps {grammar.gaps}, "
          f"strands {grammar.strands}); {args.n} backgrounds, seed {args.seed}")
    for line in task_response(model, data, grammar, args.n, args.seed):
        print(line)


if __name__ == "__main__":
    main()
