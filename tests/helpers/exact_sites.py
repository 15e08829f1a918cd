"""Hand-built detectors of exact sites, for models whose answers are known by construction (no training)."""

from __future__ import annotations

import numpy as np


def consensus_ppm(consensus: str, p: float = 0.97) -> np.ndarray:
    """(4, w) a PPM with ``p`` on each base of ``consensus`` and the rest shared by the other three."""
    ppm = np.full((4, len(consensus)), (1 - p) / 3)
    ppm[["ACGT".index(base) for base in consensus], np.arange(len(consensus))] = p
    return ppm


def detect_exact_sites(conv, sites: list[str]) -> None:
    """Set a ``Conv1d(4, len(sites), w)``'s weights (no grad) so that channel k is 1 where ``sites[k]`` (w bp)
    matches exactly, after a ReLU, and 0 elsewhere (one mismatch costs 2)."""
    import torch

    with torch.no_grad():
        for k, site in enumerate(sites):
            conv.weight[k] = -1.0
            for j, base in enumerate(site):
                conv.weight[k, "ACGT".index(base), j] = 1.0
        conv.bias[:] = -(len(sites[0]) - 1.0)
