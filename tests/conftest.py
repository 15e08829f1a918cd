"""Shared fixtures: small CNNs trained in-process on planted JASPAR motifs (seeded, seconds each)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from neuronmotif.demix import DemixConfig
from neuronmotif.pipeline import RunConfig
from neuronmotif.sample import SamplingConfig
from neuronmotif.simulate import Grammar, simulate
from neuronmotif.zoo import BassetLike, train

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

torch.set_num_threads(2)

KLF1, ESRRB, CEBPB, FOXA2 = "MA0493.3", "MA0141.4", "MA0466.4", "MA0047.4"


def fast_config(seed: int = 0, **sampling) -> RunConfig:
    """Smaller GA than the defaults, so a test layer takes seconds."""
    options = {"population": 1000, "max_iter": 80, "max_samples": 20_000, **sampling}
    return RunConfig(sampling=SamplingConfig(**options), demix=DemixConfig(), seed=seed)


@pytest.fixture(scope="session")
def single_motif_model():
    """Layer 1 (kernel 8, pool 2) can hold the whole 8-bp KLF1 motif; layer 2 has RF 13."""
    from toy_models import FunctionalCNN

    data = simulate([Grammar("KLF1", [KLF1])], 2000, 60, seed=1)
    torch.manual_seed(1)
    model = FunctionalCNN(n_tasks=1, channels=4, kernel=8)
    aurocs = train(model, data.tokens, data.labels, epochs=5, seed=1)
    assert aurocs[0] > 0.95, f"toy model failed to learn KLF1 (AUROC {aurocs[0]:.3f})"
    return model, data


def demo_shaped_model(grammar: Grammar, n_per_task: int, epochs: int, seed: int, min_auroc: float):
    """A demo-shaped CNN (RF 9, 18, 36) trained on one planted grammar with its hard negatives."""
    data = simulate([grammar], n_per_task, 80, seed=seed)
    torch.manual_seed(seed)
    model = BassetLike(1, channels=(8, 8, 8))
    aurocs = train(model, data.tokens, data.labels, epochs=epochs, seed=seed)
    assert aurocs[0] > min_auroc, f"toy model failed to learn {grammar.name} (AUROC {aurocs[0]:.3f})"
    return model, data


@pytest.fixture(scope="session")
def pair_model():
    """ESRRB -3 bp- KLF1, a hard ordered pair."""
    return demo_shaped_model(Grammar("ESRRB-3bp-KLF1", [ESRRB, KLF1], [(3, 3)]), 4000, 8, seed=2, min_auroc=0.99)


@pytest.fixture(scope="session")
def flexible_pair_model():
    """FOXA2 -2..6 bp- FOXA2, a flexible homotypic pair."""
    return demo_shaped_model(Grammar("FOXA2-2to6bp-FOXA2", [FOXA2, FOXA2], [(2, 6)]), 6000, 10, seed=3,
                             min_auroc=0.97)


@pytest.fixture(scope="session")
def pair_run(pair_model, tmp_path_factory):
    """The pair model deciphered layers 1-3 (shared by several tests)."""
    from neuronmotif.model import DNAModel
    from neuronmotif.pipeline import run

    out = tmp_path_factory.mktemp("pair_run")
    results = run(DNAModel(pair_model[0]), out, config=fast_config(), progress=False)
    return out, results
