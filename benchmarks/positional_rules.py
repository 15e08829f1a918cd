"""The published demo2 design: does the rule stage recover two CTCF at position windows, 14-44 bp apart?

For each seed: simulate (``neuronmotif.datasets.positional.ctcf_pair_data``), train ``Demo2Like``, put the
published sigmoid on it, decipher every layer with default settings (rules included), and score the rules
against the planted pair (``nmbench.rule_scoring``; both ends within 3 bp, the issue's tolerance).

    python benchmarks/positional_rules.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from nmbench.rule_scoring import read_rules, score_rules  # noqa: E402

from neuronmotif.datasets.models import train  # noqa: E402
from neuronmotif.datasets.positional import CTCF, Demo2Like, WithSigmoid, ctcf_pair_data  # noqa: E402
from neuronmotif.datasets.simulate import Grammar  # noqa: E402
from neuronmotif.model import DNAModel  # noqa: E402
from neuronmotif.motifs import MotifDatabase, jaspar_motif  # noqa: E402
from neuronmotif.pipeline import run  # noqa: E402


def one_seed(seed: int, out: Path) -> dict:
    data = ctcf_pair_data(4000, seed)
    torch.manual_seed(seed)
    body = Demo2Like()
    auroc = train(body, data.tokens, data.labels, epochs=10, seed=seed)[0]
    shutil.rmtree(out / f"seed_{seed}", ignore_errors=True)  # a run with the same parameters would resume
    start = time.perf_counter()
    result = run(DNAModel(WithSigmoid(body)), out / f"seed_{seed}", overwrite=True, source=f"demo2 seed {seed}",
                 progress=False)
    seconds = time.perf_counter() - start
    name, ppm = jaspar_motif(CTCF)
    rules = read_rules(out / f"seed_{seed}", MotifDatabase("planted", [CTCF], [name], [ppm]))
    grammar = Grammar("CTCF-pair", [CTCF, CTCF], [data.gap_range])
    found = score_rules(rules, [grammar], top=5, tolerance=3)
    rule = found.found[grammar.name]
    return {"seed": seed, "auroc": round(auroc, 3), "planted": data.gap_range, "rank": rule.rank if rule else None,
            "label": rule.label if rule else None, "planted_frame_gap": rule.gap if rule else None,
            "within_3bp": found.spacing_ok[grammar.name], "false_top5": [r.label for r in found.false_top],
            "run_s": round(seconds, 1), "rules_s": round(result.rules.seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="bench_out/positional_rules")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = [one_seed(int(s), Path(args.out)) for s in args.seeds.split(",")]
    for row in rows:
        print(json.dumps(row))
    ok = sum(r["within_3bp"] and r["rank"] == 1 for r in rows)
    print(f"CTCF pair as rule 1 with both ends within 3 bp: {ok}/{len(rows)} seeds")


if __name__ == "__main__":
    main()
