"""The published demo2 design: does the rule stage recover two CTCF at position windows, 14-44 bp apart?

For each seed: simulate (``neuronmotif.datasets.positional.ctcf_pair_data``), train ``Demo2Like``, put the
published sigmoid on it, decipher every layer with default settings (rules included), and score the rules
against the planted pair (``nmbench.rule_scoring``; both ends within 3 bp, the issue's tolerance).

    python benchmarks/positional_rules.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from nmbench.positional import decipher_ctcf_pair  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="bench_out/positional_rules")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = [decipher_ctcf_pair(int(s), Path(args.out) / f"seed_{s}") for s in args.seeds.split(",")]
    for row in rows:
        print(json.dumps(row))
    ok = sum(r["within_3bp"] and r["rank"] == 1 for r in rows)
    print(f"CTCF pair as rule 1 with both ends within 3 bp: {ok}/{len(rows)} seeds")


if __name__ == "__main__":
    main()
