"""Planted motifs and grammar are recovered from trained toy models (acceptance of the core engine)."""

import numpy as np
import pytest
import torch

from conftest import ESRRB, KLF1, PAIR_SEEDS, SINGLE_SEEDS, fast_config
from helpers.compare import align, occurrences, place_pair
from neuronmotif.model import DNAModel
from neuronmotif.pipeline import run


def test_layer1_neuron_crm_matches_planted_motif(single_motif_models, tmp_path):
    """A layer-1 CRM is the planted KLF1 (Pearson correlation of the aligned 8-bp PPMs).

    Measured on five training seeds: 1, 2, 4 and 5 give a CRM above 0.8 (up to 0.97); seed 3's best filter
    learned a blurred KLF1 (0.76). The test holds that rate on three seeds: all above 0.7, two above 0.8.
    """
    best = {}
    for seed in SINGLE_SEEDS:
        model, data = single_motif_models(seed)
        results = run(DNAModel(model), tmp_path / str(seed), layers=[1], config=fast_config(),
                      progress=False).neurons
        best[seed] = max(align(data.ppms[KLF1], c.ppm).correlation for r in results[1] for c in r.crms)
    assert min(best.values()) > 0.7 and sum(b > 0.8 for b in best.values()) >= 2, best


@pytest.mark.parametrize("seed", SINGLE_SEEDS)
def test_pooled_layer2_neuron_is_demixed_into_shifted_copies(single_motif_models, tmp_path, seed):
    """The demo1 situation: max-pooling lets the motif sit at two offsets; demixing separates them."""
    model, data = single_motif_models(seed)
    results = run(DNAModel(model), tmp_path, layers=[1, 2], config=fast_config(), progress=False).neurons
    shifted = []
    for r in results[2]:
        alignments = [align(data.ppms[KLF1], c.ppm) for c in r.crms]
        offsets = {a.offset for a in alignments if a.correlation > 0.8}
        if len(offsets) >= 2:
            shifted.append((r.neuron, sorted(offsets)))
    assert shifted, "no layer-2 neuron has CRMs holding KLF1 at different offsets"


@pytest.mark.parametrize("seed", PAIR_SEEDS)
def test_deep_neuron_crm_holds_the_pair_at_its_planted_gap(pair_runs, pair_models, seed):
    """The demo2 situation: a layer-3 CRM contains ESRRB then KLF1, 3 bp apart, as planted."""
    _, results = pair_runs(seed)
    _, data = pair_models(seed)
    placements = [place_pair(c.ppm, data.ppms[ESRRB], data.ppms[KLF1]) for r in results[3] for c in r.crms]
    hits = [p for p in placements if p.correlation > 0.8 and p.gap == 3 and p.order == "forward"]
    seen = sorted({p.gap for p in placements if p.correlation > 0.8})
    assert hits, f"no layer-3 CRM with ESRRB-3bp-KLF1; gaps seen: {seen}"


@pytest.mark.parametrize("seed", PAIR_SEEDS)
def test_crm_consensus_fires_the_neuron(pair_runs, pair_models, seed):
    """The C/M check: each live neuron's best CRM consensus activates it near its sampled maximum.

    The consensus is evaluated here, through the model, and compared with the neuron's own maximum.
    """
    _, results = pair_runs(seed)
    dna = DNAModel(pair_models(seed)[0])
    ratios = []
    for layer, rs in results.items():
        for r in rs:
            if r.status == "dead":
                continue
            best = max(r.crms, key=lambda c: c.ratio)
            x = torch.nn.functional.one_hot(torch.as_tensor(best.ppm.argmax(0)), 4).float().T[None]
            measured = dna.activations(x, layer)[0, r.neuron].item()
            assert np.isclose(measured, best.consensus_activation, rtol=1e-4, atol=1e-5)
            ratios.append(measured / max(c.max_activation for c in r.crms))
    assert len(ratios) >= 20 and np.median(ratios) >= 0.9 and min(ratios) > 0.5, sorted(ratios)[:5]


def test_same_seed_gives_identical_files(single_motif_model, tmp_path):
    model, _ = single_motif_model
    for name in ("a", "b"):
        run(DNAModel(model), tmp_path / name, layers=[1, 2], config=fast_config(seed=7), progress=False)
    for f in ("layer_1/crms.meme", "layer_2/crms.meme", "layer_2/crms.tsv"):
        assert (tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text(), f
    # and the seed is really used: another seed gives another GA sample
    run(DNAModel(model), tmp_path / "c", layers=[1, 2], config=fast_config(seed=8), progress=False)
    assert (tmp_path / "c" / "layer_2/crms.tsv").read_text() != (tmp_path / "a" / "layer_2/crms.tsv").read_text()


def test_dead_neuron_is_reported_not_raised(single_motif_model, tmp_path):
    import copy

    model = copy.deepcopy(single_motif_model[0])
    with torch.no_grad():
        model.conv2.weight[0] = -model.conv2.weight[0].abs() - 0.1
        model.bn2.weight[0] = 1.0
        model.bn2.bias[0] = -1.0
        model.bn2.running_mean[0] = 0.0
    results = run(DNAModel(model), tmp_path, layers=[1, 2], config=fast_config(), progress=False).neurons
    dead = results[2][0]
    assert dead.status == "dead" and "no positive input weight" in dead.note
    row = (tmp_path / "layer_2" / "neurons.tsv").read_text().splitlines()[1].split("\t")
    assert row[:2] == ["0", "dead"]


def test_occurrences_finds_both_copies_of_a_repeated_motif(pair_model):
    _, data = pair_model
    motif = data.ppms[KLF1]
    background = np.full((4, 5), 0.25)
    ppm = np.concatenate([background, motif, background, motif, background], axis=1)
    assert [o.offset for o in occurrences(motif, ppm)] == [5, 18]
    reverse = place_pair(np.concatenate([background, data.ppms[KLF1], background[:, :3], data.ppms[ESRRB]], axis=1),
                         data.ppms[ESRRB], data.ppms[KLF1])
    assert (reverse.order, reverse.gap) == ("reverse", 3), reverse
