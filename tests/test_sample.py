"""Sampling: the GA reaches what exhaustive enumeration proves is the maximum; archives are capped fairly."""

import numpy as np
import pytest

from conftest import SINGLE_SEEDS
from neuronmotif.model import DNAModel
from neuronmotif.ppm import activation_weighted_ppm
from neuronmotif.sample import SamplingConfig, entry_probabilities, enumerate_exhaustive, genetic_sample
from neuronmotif.sample.archive import Archive
from neuronmotif.sequences import stratified_subsample


@pytest.mark.parametrize("seed", SINGLE_SEEDS)
def test_ga_reaches_the_enumerated_maximum(single_motif_models, seed):
    dna = DNAModel(single_motif_models(seed)[0])
    neurons = list(range(dna.layer(1).out_channels))
    truth = enumerate_exhaustive(dna, 1, neurons, SamplingConfig(), seed=0)
    found = genetic_sample(dna, 1, neurons, None, SamplingConfig(population=1000, max_iter=60), seed=0)
    alive = [n for n in neurons if len(truth[n][1])]
    assert len(alive) >= 2, "the toy model has fewer than two neurons to check"
    for n in alive:
        assert found[n][1].max() >= 0.95 * truth[n][1].max(), n
        assert len(np.unique(found[n][0], axis=0)) == len(found[n][0]), "archive holds duplicates"


def test_exhaustive_enumeration_keeps_exactly_the_activating_sequences(single_motif_model):
    """Every one of the 4^8 sequences whose activation is > 0 is kept, with its activation; no other."""
    import torch

    from neuronmotif.sample import all_sequences

    dna = DNAModel(single_motif_model[0])
    tokens, acts = enumerate_exhaustive(dna, 1, [0], SamplingConfig(max_samples=10**6), seed=0)[0]
    everything = all_sequences(8, 0, 4**8)
    x = torch.nn.functional.one_hot(torch.as_tensor(everything).long(), 4).float().transpose(1, 2)
    with torch.no_grad():
        truth = dna.activations(x, 1)[:, 0].numpy()
    expected = {bytes(row): a for row, a in zip(everything[truth > 0], truth[truth > 0], strict=True)}
    kept = {bytes(row): a for row, a in zip(tokens, acts, strict=True)}
    assert 0 < len(expected) < 4**8 and kept.keys() == expected.keys()
    assert np.allclose([kept[k] for k in expected], list(expected.values()), atol=1e-5)


def test_stratified_subsample_keeps_rare_high_activations():
    rng = np.random.default_rng(0)
    acts = np.concatenate([rng.uniform(0.01, 0.1, 100_000), [0.95, 0.97, 1.0]])
    keep = stratified_subsample(acts, 1000, 50, rng)
    assert len(keep) == 1000
    assert {100_000, 100_001, 100_002} <= set(keep.tolist())


def test_weighted_ppm_counts_each_activation_level_equally():
    # 900 weak 'A' sequences and 10 strong 'C' sequences: the strong level dominates by its weight
    tokens = np.concatenate([np.zeros((900, 1), np.uint8), np.ones((10, 1), np.uint8)])
    acts = np.concatenate([np.full(900, 0.1), np.full(10, 1.0)])
    ppm = activation_weighted_ppm(tokens, acts, bins=10)
    assert ppm[1, 0] > 0.85 and np.isclose(ppm[:, 0].sum(), 1.0)


def test_entry_probabilities_explore_weak_positive_weights_without_double_counting():
    weights = np.array([[10.0, 0.2, -1.0], [0.0, 0.3, 9.0]])
    p = entry_probabilities(weights, bins=20).reshape(2, 3)
    assert p[0, 2] == 0 and p[1, 0] == 0
    assert np.isclose(p.sum(), 1.0)
    assert p[0, 1] > 0.05 and p[1, 1] > 0.05  # weak weights share one bin's mass


def test_archive_quality_is_the_mean_of_the_best_distinct_sequences_over_many_additions():
    # rows repeat across additions (as GA elites do); quality must count each distinct row once
    rng = np.random.default_rng(0)
    pool = rng.integers(0, 4, (500, 12)).astype(np.uint8)
    pool_acts = np.round(rng.random(500), 2).astype(np.float32)  # rounded: ties at the cut-off
    archive = Archive(cap=10_000, bins=20, rng=np.random.default_rng(1), top_k=50)
    seen: dict[bytes, float] = {}
    for _ in range(30):
        pick = rng.integers(0, 500, 200)
        archive.add(pool[pick], pool_acts[pick])
        seen.update({pool[i].tobytes(): float(pool_acts[i]) for i in pick if pool_acts[i] > 0})
        best = sorted(seen.values(), reverse=True)[:50]
        assert archive.quality() == pytest.approx(np.mean(best), abs=1e-6)
