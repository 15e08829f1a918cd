"""Activation-weighted k-means in torch: every restart at once, on the model's device.

Demixing splits a neuron's sequences at each pooling stage by k-means (k = pool ** motif_nb, 2 or 4
on most models) on their feature maps, about a hundred times per layer. When the model runs on a GPU,
its feature maps stay there and are clustered here: the restarts share each pass over the rows (one
matrix product gives every restart's distances) and nothing is copied to the host. On 2 CPU cores this
is as fast as scikit-learn's Elkan, not faster (BENCHMARKS.md, session 16), so CPU runs keep
scikit-learn.

The method is scikit-learn's: greedy k-means++ seeding (``2 + int(log k)`` candidates per centre, drawn
in proportion to weight × squared distance), Lloyd iterations until no label changes or the centres
move less than ``tol`` × the rows' mean variance, the restart with the lowest weighted inertia kept.
"""

from __future__ import annotations

import math

import numpy as np
import torch

MAX_ITER = 300
TOL = 1e-4


def _squared_distances(x: torch.Tensor, x_sq: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances (N, C) of rows ``x`` (N, D) to ``centres`` (C, D), clipped at 0."""
    d = x_sq[:, None] - 2.0 * (x @ centres.T) + (centres * centres).sum(1)[None, :]
    return d.clamp_min_(0.0)


def _seed_centres(x: torch.Tensor, x_sq: torch.Tensor, w: torch.Tensor, k: int,
                  rng: np.random.Generator) -> torch.Tensor:
    """Greedy weighted k-means++: k centres (k, D), each the best of ``2 + int(log k)`` drawn candidates."""
    trials = 2 + int(math.log(k))
    w_np = w.double().cpu().numpy()
    first = int(rng.choice(len(w_np), p=w_np / w_np.sum()))
    chosen = [first]
    closest = _squared_distances(x, x_sq, x[first:first + 1])[:, 0]
    for _ in range(1, k):
        cumulative = torch.cumsum((w * closest).double(), 0).cpu().numpy()
        draws = rng.uniform(size=trials) * cumulative[-1]
        candidates = np.minimum(np.searchsorted(cumulative, draws), len(w_np) - 1)
        with_each = torch.minimum(closest[:, None], _squared_distances(x, x_sq, x[candidates]))
        best = int(torch.argmin(w @ with_each))
        chosen.append(int(candidates[best]))
        closest = with_each[:, best]
    return x[chosen].clone()


def _nearest(x: torch.Tensor, centres: torch.Tensor, n_init: int) -> torch.Tensor:
    """Each restart's nearest centre (n_init, N) in 0..k-1, for rows ``x`` (N, D) and centres (n_init * k, D).

    Distances are ranked without the rows' own squared norms, which do not change the order.
    """
    scores = ((centres * centres).sum(1)[:, None] - 2.0 * (centres @ x.T)).view(n_init, -1, len(x))
    # torch's argmin over a short middle axis is slow on CPU; k is small, so compare centre by centre
    best, labels = scores[:, 0].clone(), torch.zeros((n_init, len(x)), dtype=torch.int64, device=x.device)
    for j in range(1, scores.shape[1]):
        closer = scores[:, j] < best
        best = torch.where(closer, scores[:, j], best)
        labels.masked_fill_(closer, j)
    return labels


def _weighted_means(x: torch.Tensor, w: torch.Tensor, labels: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """Every restart's weighted cluster means (n_init * k, D), from its labels (n_init, N) in 0..k-1.

    One product of the weighted membership matrix (n_init * k, N) with the rows (N, D). A cluster left
    with no weight is moved to its restart's row farthest from its own centre, as scikit-learn does
    (:func:`_relocate_empty`).
    """
    k = len(previous) // len(labels)
    members = (labels[:, None, :] == torch.arange(k, device=x.device)[None, :, None]).flatten(0, 1)
    members = members.to(x.dtype) * w[None, :]
    mass = members.sum(1)
    means = (members @ x) / mass.clamp_min(torch.finfo(x.dtype).tiny)[:, None]
    means = torch.where((mass > 0)[:, None], means, previous)
    return _relocate_empty(x, labels, means, mass == 0) if bool((mass == 0).any()) else means


def _relocate_empty(x: torch.Tensor, labels: torch.Tensor, centres: torch.Tensor, empty: torch.Tensor) -> torch.Tensor:
    """Centres (n_init * k, D) with each empty cluster (``empty``, (n_init * k,) bool) moved onto a row of its
    restart far from the centre of that row's cluster (the farthest rows first, one each), so that no
    restart ends with fewer than k clusters while rows lie far from every centre."""
    n_init, k = labels.shape[0], len(centres) // labels.shape[0]
    centres = centres.clone()
    for restart in torch.nonzero(empty.view(n_init, k).any(1)).flatten().tolist():
        own = centres[restart * k: (restart + 1) * k][labels[restart]]  # (N, D) each row's centre
        farthest = torch.argsort(((x - own) ** 2).sum(1), descending=True)
        clusters = torch.nonzero(empty.view(n_init, k)[restart]).flatten().tolist()
        for cluster, row in zip(clusters, farthest[:len(clusters)].tolist(), strict=True):
            centres[restart * k + cluster] = x[row]
    return centres


def weighted_kmeans(features: np.ndarray | torch.Tensor, weights: np.ndarray | torch.Tensor, k: int,
                    rng: np.random.Generator, n_init: int = 3) -> np.ndarray:
    """Labels (N,) of weighted k-means, the best of ``n_init`` seeded k-means++ restarts run together.

    Parameters
    ----------
    features : array or tensor, shape (N, D)
        The rows (feature maps, flattened); float32, on any device.
    weights : array or tensor, shape (N,)
        Non-negative row weights (the neuron's activation); at least one positive.
    k : int
        Number of clusters, at most N.
    rng : np.random.Generator
        The seeded stream that draws every restart's k-means++ candidates.

    Returns
    -------
    np.ndarray, shape (N,), int64
        Each row's cluster, 0 .. k-1.
    """
    x = torch.as_tensor(features, dtype=torch.float32)
    w = torch.as_tensor(weights, dtype=torch.float32, device=x.device)
    x_sq = (x * x).sum(1)
    tol = TOL * float(x.var(0).mean()) if len(x) > 1 else 0.0
    centres = torch.cat([_seed_centres(x, x_sq, w, k, rng) for _ in range(n_init)])  # (n_init * k, D)
    labels = None
    for _ in range(MAX_ITER):
        new_labels = _nearest(x, centres, n_init)
        updated = _weighted_means(x, w, new_labels, centres)
        shift = float(((updated - centres) ** 2).sum(1).view(n_init, k).sum(1).max())
        unchanged = labels is not None and bool(torch.equal(labels, new_labels))
        labels, centres = new_labels, updated
        if unchanged or shift <= tol:
            break
    best_d, best_labels = _squared_distances(x, x_sq, centres).view(len(x), n_init, k).min(2)
    best = int(torch.argmin(w @ best_d))  # the restart with the lowest weighted inertia
    return best_labels[:, best].cpu().numpy().astype(np.int64)
