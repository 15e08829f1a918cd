"""Compile the numba kernels of memelite's TOMTOM (about 45 s on a fresh install, cached on disk), so the
first run's naming stage starts fast: ``python -m neuronmotif.warmup``. ``make``'s set-up runs it through
``benchmarks/warmup.py``, which also warms modisco-lite for the benchmark.
"""

from __future__ import annotations

import time
import warnings

import numpy as np


def warm_up() -> float:
    """Run one small TOMTOM comparison; returns the seconds it took."""
    from memelite import tomtom

    rng = np.random.default_rng(0)
    motifs = [rng.dirichlet(np.ones(4), size=w).T for w in (8, 12, 10)]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tomtom(motifs, motifs, n_jobs=1)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"memelite TOMTOM kernels ready ({warm_up():.1f} s)")
