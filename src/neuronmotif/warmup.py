"""Compile memelite's numba kernels once (about 45 s on a fresh install), so later runs start fast.

Run by ``make`` during set-up: ``python -m neuronmotif.warmup``.
"""

from __future__ import annotations

import time
import warnings


def warm_up() -> float:
    """Run one small TOMTOM comparison; returns the seconds it took."""
    import numpy as np
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
