"""Small DNA CNNs and a trainer, for the demo, the tests and the benchmarks (trained in-process, seeded).

* :class:`BassetLike` - a few conv blocks with BatchNorm, ReLU and max-pooling, global max-pool head.
* :func:`train` - Adam and binary cross-entropy, returning each task's validation AUROC.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..sequences import one_hot


class BassetLike(nn.Module):
    """Conv blocks (Conv1d -> BatchNorm1d -> ReLU -> MaxPool1d) then a global max-pool and a linear head.

    Parameters
    ----------
    n_tasks : int
    channels, kernels, pools : sequences of int
        One entry per conv block; a pool of 1 means no pooling.
    """

    def __init__(self, n_tasks: int, channels=(16, 16, 16), kernels=(9, 5, 5), pools=(2, 2, 1)):
        super().__init__()
        blocks, c_in = [], 4
        for c, k, p in zip(channels, kernels, pools, strict=True):
            blocks += [nn.Conv1d(c_in, c, k), nn.BatchNorm1d(c), nn.ReLU()]
            if p > 1:
                blocks.append(nn.MaxPool1d(p))
            c_in = c
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, n_tasks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).amax(dim=-1))


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (rank formulation, ties averaged)."""
    from scipy.stats import rankdata

    pos = labels > 0.5
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def train(model: nn.Module, tokens: np.ndarray, labels: np.ndarray, *, epochs: int = 8, batch_size: int = 128,
          lr: float = 3e-3, seed: int = 0, valid_fraction: float = 0.1) -> list[float]:
    """Train with Adam and binary cross-entropy; returns the validation AUROC of each task.

    Parameters
    ----------
    tokens : np.ndarray, shape (N, L), uint8
    labels : np.ndarray, shape (N, T)
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(tokens))
    n_valid = int(len(tokens) * valid_fraction)
    valid, training = order[:n_valid], order[n_valid:]
    x_all, y_all = one_hot(tokens), torch.as_tensor(labels, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        model.train()
        for s in range(0, len(training), batch_size):
            idx = torch.as_tensor(training[s:s + batch_size])
            opt.zero_grad()
            loss_fn(model(x_all[idx]), y_all[idx]).backward()
            opt.step()
        rng.shuffle(training)
    model.eval()
    with torch.no_grad():
        scores = model(x_all[valid]).numpy()
    return [auroc(scores[:, t], labels[valid, t]) for t in range(labels.shape[1])]
