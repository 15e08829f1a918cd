"""The published demo2 design: a positional CNN whose last conv layer sees the whole input, trained on a
CTCF pair at fixed position windows.

* :class:`Demo2Like` - convs of 5/5/6/6/1 channels, kernels 7/3/3/3/3, BatchNorm, max-pool 2 after each
  but the last; on 82 bp its last layer has one position (RF 82), whose value is the output logit;
  :class:`WithSigmoid` puts the published model's sigmoid on it (train the logits, interpret the
  probability: the model adds about the same logit per CTCF copy, so the AND of the two copies is in
  the sigmoid).
* :func:`ctcf_pair_data` - positives carry CTCF at a start in 0-15 and a second CTCF, same orientation,
  at a start in 44-59; negatives carry one copy, or two at a distance outside the positives' range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..motifs import jaspar_motif
from ..sequences import ppm_instances, random_background

CTCF = "MA0139.2"
#: planted start windows (inclusive) of the first and the second CTCF
FIRST_WINDOW, SECOND_WINDOW = (0, 15), (44, 59)
DEMO2_LENGTH = 82


class Demo2Like(nn.Module):
    """The demo2 architecture; ``input_length`` tells neuronmotif the model reads 82 bp and nothing else."""

    input_length = DEMO2_LENGTH

    def __init__(self, channels=(5, 5, 6, 6, 1), kernels=(7, 3, 3, 3, 3)):
        super().__init__()
        blocks, c_in = [], 4
        for i, (c, k) in enumerate(zip(channels, kernels, strict=True)):
            blocks += [nn.Conv1d(c_in, c, k), nn.BatchNorm1d(c)]
            if i < len(channels) - 1:
                blocks += [nn.ReLU(), nn.MaxPool1d(2)]
            c_in = c
        self.body = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten(1)


class WithSigmoid(nn.Module):
    """A trained logit model with a sigmoid on its output, keeping its ``input_length``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.input_length = getattr(model, "input_length", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model(x))


@dataclass
class PositionalData:
    """Sequences (N, 82) uint8, labels (N, 1), and the planted gap range (bp between the two copies)."""

    tokens: np.ndarray
    labels: np.ndarray
    gap_range: tuple[int, int]
    width: int


def ctcf_pair_data(n_per_class: int = 4000, seed: int = 0) -> PositionalData:
    """Positives: CTCF at 0-15 and CTCF at 44-59 (both + strand). Negatives: half carry one copy in either
    window, half two copies whose distance lies outside the positives' range."""
    rng = np.random.default_rng(seed)
    _, ppm = jaspar_motif(CTCF)
    w = ppm.shape[1]
    low, high = SECOND_WINDOW[0] - FIRST_WINDOW[1] - w, SECOND_WINDOW[1] - FIRST_WINDOW[0] - w
    pos = random_background(n_per_class, DEMO2_LENGTH, 0.5, rng)
    _plant(pos, ppm, rng.integers(FIRST_WINDOW[0], FIRST_WINDOW[1] + 1, n_per_class), rng)
    _plant(pos, ppm, rng.integers(SECOND_WINDOW[0], SECOND_WINDOW[1] + 1, n_per_class), rng)
    neg = random_background(n_per_class, DEMO2_LENGTH, 0.5, rng)
    half = n_per_class // 2
    windows = np.where(rng.random(half) < 0.5, rng.integers(*FIRST_WINDOW, half), rng.integers(*SECOND_WINDOW, half))
    _plant(neg[:half], ppm, windows, rng)
    first = rng.integers(0, DEMO2_LENGTH - 2 * w - low, n_per_class - half)
    short = rng.integers(0, low, n_per_class - half)  # a distance under the positives' range
    _plant(neg[half:], ppm, first, rng)
    _plant(neg[half:], ppm, first + w + short, rng)
    tokens = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(n_per_class), np.zeros(n_per_class)])[:, None].astype(np.float32)
    order = rng.permutation(len(tokens))
    return PositionalData(tokens[order], labels[order], (int(low), int(high)), w)


def _plant(tokens: np.ndarray, ppm: np.ndarray, starts: np.ndarray, rng: np.random.Generator) -> None:
    rows = np.arange(len(tokens))[:, None]
    tokens[rows, starts[:, None] + np.arange(ppm.shape[1])] = ppm_instances(ppm, len(tokens), rng)
