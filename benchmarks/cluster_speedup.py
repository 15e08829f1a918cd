"""Dask speed-up on this machine: the demo model's layers 1-3 in process against ``--workers N``.

Both runs use the same seed and settings; the in-process run uses every core in one process (torch's
threads), the cluster run N worker processes of cores/N threads each. Prints wall time per run (start of
the run to its last layer, sampling and demixing; no naming), the ratio, and whether the two runs' CRMs
are identical (they are when the threads per process are equal; here they are not, so they may differ
in the last digits of a few clusters).

Usage: python benchmarks/cluster_speedup.py [--workers 2] [--max-iter 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuronmotif.cluster import ClusterConfig  # noqa: E402
from neuronmotif.datasets.demo import demo_data, demo_model  # noqa: E402
from neuronmotif.model import DNAModel  # noqa: E402
from neuronmotif.pipeline import RunConfig, run  # noqa: E402
from neuronmotif.sample import SamplingConfig  # noqa: E402


def timed_run(model: DNAModel, out: Path, config: RunConfig, cluster: ClusterConfig | None) -> float:
    start = time.perf_counter()
    run(model, out, config=config, progress=False, grammar=None, cluster=cluster)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=40)
    args = parser.parse_args()
    model = DNAModel(demo_model(demo_data(0), 0)[0])
    config = RunConfig(sampling=SamplingConfig(max_iter=args.max_iter), seed=0)
    print(f"{platform.node()} · {os.cpu_count()} cores · demo model layers 1-3 · GA max_iter {args.max_iter}")
    with tempfile.TemporaryDirectory() as tmp:
        local = timed_run(model, Path(tmp) / "in_process", config, None)
        cluster = timed_run(model, Path(tmp) / "cluster", config, ClusterConfig(workers=args.workers))
        same = all((Path(tmp) / "in_process" / f"layer_{l}" / "crms.tsv").read_text()
                   == (Path(tmp) / "cluster" / f"layer_{l}" / "crms.tsv").read_text() for l in (1, 2, 3))
    print("| run | wall s |")
    print("|---|---|")
    print(f"| in process ({os.cpu_count()} torch threads) | {local:.1f} |")
    print(f"| LocalCluster, {args.workers} workers (cluster start included) | {cluster:.1f} |")
    print(f"speed-up: {local / cluster:.2f}x; CRMs identical: {same}")


if __name__ == "__main__":
    main()
