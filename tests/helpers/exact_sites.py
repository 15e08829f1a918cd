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


def site_arrangement_model(sites: list[str], taps: list[dict[int, int]], biases: list[float], head,
                           input_length: int = 100):
    """A hand-built model: exact detectors of ``sites`` (conv 1, :func:`detect_exact_sites`), then detectors of
    arrangements (conv 2), each max-pooled over the input, then ``head``.

    Parameters
    ----------
    sites : list of str
        Sites of one width w (bp).
    taps : list of dict
        For each arrangement detector, site index -> its start (bp) from the arrangement's start; weight 1 each.
    biases : list of float
        Each arrangement detector's bias (minus the taps it needs, plus a half).
    head : callable
        (N, len(taps)) arrangement scores -> (N, T) outputs.

    Returns
    -------
    torch.nn.Module in eval mode, (N, 4, ``input_length``) one-hot in.
    """
    import torch
    from torch import nn

    span = max(start for tap in taps for start in tap.values()) + 1

    class SiteArrangements(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_length = input_length
            self.conv1 = nn.Conv1d(4, len(sites), len(sites[0]))
            self.conv2 = nn.Conv1d(len(sites), len(taps), span)
            detect_exact_sites(self.conv1, sites)
            with torch.no_grad():
                self.conv2.weight.zero_()
                for k, tap in enumerate(taps):
                    for site, start in tap.items():
                        self.conv2.weight[k, site, start] = 1.0
                self.conv2.bias[:] = torch.tensor(biases)

        def forward(self, x):
            return head(torch.relu(self.conv2(torch.relu(self.conv1(x)))).amax(dim=-1))

    return SiteArrangements().eval()
