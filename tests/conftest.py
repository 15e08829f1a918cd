"""Shared fixtures: small CNNs trained in-process on planted JASPAR motifs (seeded, seconds each).

What a CNN learns differs a little from one CPU to another (floating-point kernels differ between
hosts), so every claim about what neuronmotif recovers from a trained model is tested on models
trained with several seeds (``PAIR_SEEDS``, ``FLEXIBLE_SEEDS``), and must hold on each (or on most,
``helpers.seeds``). ``NEURONMOTIF_TEST_SEEDS=6-13`` makes the same claims on other seeds.
``NEURONMOTIF_TEST_THREADS`` sets torch's thread count for the in-process tests (default 2).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

from neuronmotif.datasets.models import BassetLike, train
from neuronmotif.datasets.simulate import Grammar, simulate
from neuronmotif.demix import DemixConfig
from neuronmotif.pipeline import RunConfig
from neuronmotif.runconfig import limit_threads
from neuronmotif.sample import SamplingConfig

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # helpers
sys.path.insert(0, str(TESTS.parent / "benchmarks"))  # nmbench: the benchmark's zoo, scoring and baseline

limit_threads(int(os.environ.get("NEURONMOTIF_TEST_THREADS", "2")))  # torch, BLAS/OpenMP and numba alike
# the CLI commands run in-process here keep these threads, however busy the machine is while they start
os.environ["NEURONMOTIF_THREADS"] = str(torch.get_num_threads())

KLF1, ESRRB, CEBPB, FOXA2 = "MA0493.3", "MA0141.4", "MA0466.4", "MA0047.4"


def _seeds(default: tuple[int, ...]) -> tuple[int, ...]:
    """``default``, or the seeds of $NEURONMOTIF_TEST_SEEDS ('6-13', '6,7,9' or '6-8,10') for every trained
    family: the same claims made on models no one tuned the code on (BENCHMARKS.md, "Session 17 (#14)").
    Claims made on most seeds allow one failing seed in three."""
    text = os.environ.get("NEURONMOTIF_TEST_SEEDS", "").strip()
    if not text:
        return default
    seeds: set[int] = set()
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            seeds.update(range(int(first), int(last or first) + 1))
    except ValueError:
        seeds = set()
    if not seeds:
        raise pytest.UsageError(f"$NEURONMOTIF_TEST_SEEDS={text!r}: give training seeds like '6-13', '6,7,9' or "
                                "'6-8,10' (unset it for the suite's own seeds).")
    return tuple(sorted(seeds))


#: training seeds of the models whose recovered grammar is tested
SINGLE_SEEDS = _seeds((1, 2, 3))
PAIR_SEEDS = _seeds((2, 3, 4))
FLEXIBLE_SEEDS = _seeds((3, 4, 5))
#: training seeds of the published demo2 design (two CTCF at position windows; default run settings)
DEMO2_SEEDS = _seeds((0, 1, 2))


def fast_config(seed: int = 0, **sampling) -> RunConfig:
    """Smaller GA than the defaults, so a test layer takes seconds."""
    options = {"population": 1000, "max_iter": 80, "max_samples": 20_000, **sampling}
    return RunConfig(sampling=SamplingConfig(**options), demix=DemixConfig(), seed=seed)


def _single_motif_model(seed: int):
    from helpers.toy_models import FunctionalCNN

    data = simulate([Grammar("KLF1", [KLF1])], 2000, 60, seed=seed)
    torch.manual_seed(seed)
    model = FunctionalCNN(n_tasks=1, channels=4, kernel=8)
    aurocs = train(model, data.tokens, data.labels, epochs=5, seed=seed)
    assert aurocs[0] > 0.95, f"toy model failed to learn KLF1 (AUROC {aurocs[0]:.3f})"
    return model, data


@pytest.fixture(scope="session")
def single_motif_models():
    """KLF1 alone: ``single_motif_models(seed) -> (model, data)``. Layer 1 (kernel 8, pool 2) can hold the
    whole 8-bp KLF1 motif; layer 2 has RF 13."""
    return _Trained(_single_motif_model)


@pytest.fixture(scope="session")
def single_motif_model(single_motif_models):
    """The first single-motif model (for tests of the command line and later stages)."""
    return single_motif_models(SINGLE_SEEDS[0])


@pytest.fixture(scope="session")
def weights(single_motif_model, tmp_path_factory) -> str:
    """The single-motif model's state dict, saved for FILE.py:Class --weights tests."""
    path = tmp_path_factory.mktemp("w") / "w.pt"
    torch.save(single_motif_model[0].state_dict(), path)
    return str(path)


def demo_shaped_model(grammar: Grammar, n_per_task: int, epochs: int, seed: int, min_auroc: float):
    """A demo-shaped CNN (RF 9, 18, 36) trained on one planted grammar with its hard negatives."""
    data = simulate([grammar], n_per_task, 80, seed=seed)
    torch.manual_seed(seed)
    model = BassetLike(1, channels=(8, 8, 8))
    aurocs = train(model, data.tokens, data.labels, epochs=epochs, seed=seed)
    assert aurocs[0] > min_auroc, f"toy model failed to learn {grammar.name} (AUROC {aurocs[0]:.3f})"
    return model, data


class _Trained:
    """Models trained on first use, one per seed, kept for the session."""

    def __init__(self, make):
        self.make, self.models = make, {}

    def __call__(self, seed: int):
        if seed not in self.models:
            self.models[seed] = self.make(seed)
        return self.models[seed]


@pytest.fixture(scope="session")
def pair_models():
    """ESRRB -3 bp- KLF1, a hard ordered pair: ``pair_models(seed) -> (model, data)``."""
    return _Trained(lambda seed: demo_shaped_model(Grammar("ESRRB-3bp-KLF1", [ESRRB, KLF1], [(3, 3)]), 4000, 8,
                                                   seed=seed, min_auroc=0.99))


@pytest.fixture(scope="session")
def pair_runs(pair_models, tmp_path_factory):
    """``pair_runs(seed) -> (run directory, results)``: the pair model of that seed, layers 1-3 deciphered."""
    from neuronmotif.model import DNAModel
    from neuronmotif.pipeline import run

    def decipher(seed: int):
        out = tmp_path_factory.mktemp(f"pair_run_{seed}")
        return out, run(DNAModel(pair_models(seed)[0]), out, config=fast_config(), progress=False).neurons

    return _Trained(decipher)


@pytest.fixture(scope="session")
def pair_model(pair_models):
    """The first pair model (for tests of later stages that need one trained model)."""
    return pair_models(PAIR_SEEDS[0])


@pytest.fixture(scope="session")
def pair_run(pair_runs):
    return pair_runs(PAIR_SEEDS[0])


@pytest.fixture(scope="session")
def flexible_pair_models():
    """FOXA2 -2..6 bp- FOXA2, a flexible homotypic pair: ``flexible_pair_models(seed) -> (model, data)``."""
    return _Trained(lambda seed: demo_shaped_model(Grammar("FOXA2-2to6bp-FOXA2", [FOXA2, FOXA2], [(2, 6)]), 6000,
                                                   10, seed=seed, min_auroc=0.97))


@pytest.fixture(scope="session")
def demo2_runs(tmp_path_factory):
    """``demo2_runs(seed) -> dict``: the demo2 design trained on that seed, deciphered at default settings and
    its rules scored against the planted CTCF pair (``nmbench.positional.decipher_ctcf_pair``)."""
    from nmbench.positional import decipher_ctcf_pair

    return _Trained(lambda seed: decipher_ctcf_pair(seed, tmp_path_factory.mktemp(f"demo2_{seed}") / "run"))


@pytest.fixture(scope="session")
def flexible_runs(flexible_pair_models, tmp_path_factory):
    """``flexible_runs(seed) -> run directory``: the flexible-pair model of that seed, every layer deciphered
    (with its rules)."""
    from neuronmotif.model import DNAModel
    from neuronmotif.pipeline import run

    def decipher(seed: int):
        out = tmp_path_factory.mktemp(f"flexible_run_{seed}")
        run(DNAModel(flexible_pair_models(seed)[0]), out, config=fast_config(), progress=False)
        return out

    return _Trained(decipher)
