"""The torch k-means that demixing runs on a GPU, checked on the CPU against scikit-learn's."""

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans

from neuronmotif.kmeans import weighted_kmeans


def _weighted_inertia(x: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        rows, weights = x[labels == c], w[labels == c]
        centre = weights @ rows / weights.sum()
        total += float(weights @ ((rows - centre) ** 2).sum(1))
    return total


def _blobs(seed: int, k: int, n: int = 4000, d: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(k, size=n)
    centres = rng.normal(scale=4.0, size=(k, d))
    x = (centres[truth] + rng.normal(size=(n, d))).astype(np.float32)
    return x, rng.gamma(2.0, size=n).astype(np.float32), truth


@pytest.mark.parametrize("k", [2, 4])
def test_separated_clusters_are_found_exactly(k):
    x, w, truth = _blobs(0, k)
    labels = weighted_kmeans(x, w, k, np.random.default_rng(1))
    assert labels.shape == truth.shape and set(labels) == set(range(k))
    # one label per planted cluster, whatever their numbering
    assert all(len(set(labels[truth == c])) == 1 for c in range(k))
    assert len({labels[truth == c][0] for c in range(k)}) == k


@pytest.mark.parametrize("seed", range(4))
def test_overlapping_clusters_reach_scikit_learns_weighted_inertia(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6000, 20)).astype(np.float32)
    x[:2000, :3] += 1.5  # clusters that overlap: the restarts and the weights matter
    w = rng.exponential(size=6000).astype(np.float32)
    ours = _weighted_inertia(x, w, weighted_kmeans(x, w, 4, np.random.default_rng(seed)))
    reference = KMeans(n_clusters=4, n_init=3, random_state=seed).fit(x, sample_weight=w).inertia_
    assert ours <= reference * 1.01


def test_weights_pull_the_split_and_a_seed_repeats_it():
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(3000, 1)).astype(np.float32)  # one uniform stretch: where to cut is the weights'
    w = np.where(x[:, 0] > 0.8, 50.0, 1.0).astype(np.float32)
    labels = weighted_kmeans(x, w, 2, np.random.default_rng(0))
    cut = min(x[labels == c, 0].max() for c in range(2))
    assert 0.55 < cut < 0.8  # unweighted, the cut would be at 0.5
    assert np.array_equal(labels, weighted_kmeans(x, w, 2, np.random.default_rng(0)))


def test_a_cluster_left_empty_moves_onto_the_row_farthest_from_its_centre():
    """Lloyd's update can leave a centre with no rows; like scikit-learn's, it is moved onto the row farthest
    from its cluster's centre (here 30, 13.3 from the mean of 10, 10.1 and 30) instead of staying empty."""
    from neuronmotif.kmeans import _nearest, _weighted_means

    x = torch.tensor([[0.0], [0.1], [10.0], [10.1], [30.0]])
    labels = torch.tensor([[0, 0, 1, 1, 1]])
    centres = _weighted_means(x, torch.ones(5), labels, torch.tensor([[0.0], [15.0], [60.0]]))
    assert centres[:, 0].tolist() == pytest.approx([0.05, 50.1 / 3, 30.0])
    assert _nearest(x, centres, 1).tolist() == [[0, 0, 1, 1, 2]]
