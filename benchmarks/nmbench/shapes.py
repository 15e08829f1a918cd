"""The paper's model families at their published sizes, as PyTorch modules with random weights (for speed,
memory and disk figures; random weights are fine there, since every neuron costs the same to sample)."""

from __future__ import annotations

import torch
from torch import nn

from neuronmotif.datasets.models import BassetLike


def basset_shaped(n_tasks: int = 164) -> BassetLike:
    """Basset (Kelley et al. 2016): 600 bp; conv 300x19, 200x11, 200x7, each BatchNorm and ReLU, max-pools 3, 4, 4."""
    return BassetLike(n_tasks, (300, 200, 200), (19, 11, 7), (3, 4, 4))


class DeepSEAShaped(nn.Module):
    """DeepSEA (Zhou and Troyanskaya 2015): 1000 bp; conv 320x8, 480x8, 960x8, thresholded ReLU (1e-6), no
    BatchNorm, max-pools 4 and 4; a dense head of 919 outputs."""

    def __init__(self, n_tasks: int = 919):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv1d(4, 320, 8), nn.Conv1d(320, 480, 8), nn.Conv1d(480, 960, 8)
        self.act = nn.Threshold(1e-6, 0.0)
        self.head = nn.Linear(960, n_tasks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool1d(self.act(self.conv1(x)), 4)
        x = nn.functional.max_pool1d(self.act(self.conv2(x)), 4)
        return self.head(self.act(self.conv3(x)).amax(dim=-1))


SHAPES = {"basset": basset_shaped, "deepsea": DeepSEAShaped}
