"""Compile modisco-lite's numba kernels (about 20 s) once, outside every timed benchmark."""

from __future__ import annotations

import time

import numpy as np


def warm_up_modisco(n: int = 400, length: int = 60) -> float | None:
    """Run TF-MoDISco once on a planted toy set (attribution on the planted bases); None if not installed."""
    try:
        from modiscolite.tfmodisco import TFMoDISco
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, size=(n, length))
    motif = np.array([3, 3, 2, 1, 2, 1, 0, 0, 3])  # TTGCGCAAT
    tokens[:, 25:34] = motif
    x = np.eye(4, dtype=np.float32)[tokens]  # (N, L, 4)
    hypothetical = np.zeros_like(x)
    hypothetical[:, 25:34] = np.eye(4, dtype=np.float32)[motif]
    hypothetical += rng.normal(0, 0.01, hypothetical.shape).astype(np.float32)
    start = time.perf_counter()
    TFMoDISco(x, hypothetical, sliding_window_size=9, flank_size=3, n_leiden_runs=2, min_metacluster_size=50)
    return time.perf_counter() - start
