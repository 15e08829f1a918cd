"""Each stage on input whose answer is known by construction: hand-set weights, hand-built CRMs."""

import numpy as np
import pytest
import torch
from torch import nn

from neuronmotif.annotate import annotate
from neuronmotif.datasets.demo import planted_database
from neuronmotif.datasets.simulate import Grammar, simulate
from neuronmotif.demix import DemixConfig, demix_neuron
from neuronmotif.errors import RunDirectoryError
from neuronmotif.model import DNAModel
from neuronmotif.motifs import jaspar_motif
from neuronmotif.motifs.similarity import bh_qvalues
from neuronmotif.pipeline import decipher_neuron
from neuronmotif.ppm import CRM
from neuronmotif.runconfig import RunConfig
from neuronmotif.sample import SamplingConfig, enumerate_exhaustive
from neuronmotif.store import RunDirectory
from neuronmotif.store.rundir import NeuronResult

ESRRB, KLF1 = "MA0141.4", "MA0493.3"


def acgt_detector() -> nn.Module:
    """Layer 1 fires (0.5) on ACGT exactly; max-pool 2; layer 2 reads only the first pooled position.

    Layer 2 (RF 9) therefore fires, at 0.5, on ACGT at offset 0 or at offset 1 of its input: one motif at
    two pooled offsets, the situation demixing resolves.
    """
    conv1, conv2 = nn.Conv1d(4, 1, 4), nn.Conv1d(1, 1, 3)
    with torch.no_grad():
        conv1.weight.copy_(torch.eye(4)[None])  # (out 1, in 4, k 4): A at 0, C at 1, G at 2, T at 3
        conv1.bias.fill_(-3.5)
        conv2.weight.copy_(torch.tensor([[[1.0, 0.0, 0.0]]]))
        conv2.bias.zero_()
    return nn.Sequential(conv1, nn.ReLU(), nn.MaxPool1d(2), conv2)


@pytest.mark.parametrize("kmeans", ["scikit-learn (CPU)", "torch (GPU, run here on the CPU)"])
def test_demixing_separates_the_two_pooled_offsets_into_exact_crms(kmeans, monkeypatch):
    """Golden CRMs, known by construction: ACGT at column 0 or at column 1, every other column uniform."""
    monkeypatch.setattr("neuronmotif.demix.clusters_on_device", lambda model: kmeans.startswith("torch"))
    dna = DNAModel(acgt_detector())
    assert dna.layer(2).rf == 9 and dna.layer(2).pool_below == 2
    tokens, acts = enumerate_exhaustive(dna, 2, [0], SamplingConfig(), seed=0)[0]
    assert len(acts) == 2 * 4**5 and np.allclose(acts, 0.5)
    crms, motif_nb = demix_neuron(dna, 2, 0, tokens, acts, DemixConfig(), seed=0)
    assert motif_nb == 1 and len(crms) == 2
    for crm in crms:
        offset = int(np.argmax(crm.ppm.max(axis=0) > 0.99))
        expected = np.full((4, 9), 0.25)
        expected[:, offset:offset + 4] = np.eye(4)
        assert offset in (0, 1) and np.allclose(crm.ppm, expected, atol=1e-9), crm.ppm.round(3)
        assert crm.n_sequences == 4**5 and crm.consensus_activation == pytest.approx(0.5) and crm.ratio == 1.0
    assert {int(np.argmax(c.ppm.max(axis=0) > 0.99)) for c in crms} == {0, 1}


def test_decipher_neuron_works_in_memory_and_finds_both_offsets():
    config = RunConfig(sampling=SamplingConfig(exhaustive_max_rf=10))
    result = decipher_neuron(DNAModel(acgt_detector()), 2, 0, config=config)
    assert result.status == "ok" and len(result.crms) == 2
    assert sorted(c.consensus.find("ACGT") for c in result.crms) == [0, 1]


def test_bh_q_values_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.2])
    # sorted p 0.01 0.03 0.04 0.2 -> p*n/rank 0.04 0.06 0.0533 0.2 -> running minimum from the top
    assert np.allclose(bh_qvalues(p), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    # with more comparisons in the family than values given, q grows with n
    assert np.allclose(bh_qvalues(np.array([0.01]), n_comparisons=10), [0.1])


def _crm(neuron: int, index: int, layout: dict[str, int], width: int, rng: np.random.Generator) -> CRM:
    ppm = rng.dirichlet(np.full(4, 50.0), size=width).T
    for matrix_id, start in layout.items():
        motif = jaspar_motif(matrix_id)[1]
        ppm[:, start:start + motif.shape[1]] = motif
    return CRM(neuron, index, ppm, 2000, 1.0, 1.0)


@pytest.fixture(scope="module")
def hand_run(tmp_path_factory):
    """A run directory written by hand: ESRRB in layer 1 neuron 0 and in both layer-2 neurons; KLF1 only in
    layer-2 neuron 1."""
    rng = np.random.default_rng(0)
    out = tmp_path_factory.mktemp("hand") / "run"
    store = RunDirectory(out)
    store.prepare({"seed": 0, "parameters": {}, "model_fingerprint": "hand", "layers": [1, 2]})
    layers = {1: [[{ESRRB: 2}], [{}]],
              2: [[{ESRRB: 3}, {ESRRB: 12}], [{ESRRB: 1, KLF1: 14}, {ESRRB: 4, KLF1: 17}]]}
    width = {1: 14, 2: 30}
    written = {}
    for layer, neurons in layers.items():
        results = []
        for n, layouts in enumerate(neurons):
            crms = [_crm(n, i, layout, width[layer], rng) for i, layout in enumerate(layouts)]
            results.append(NeuronResult(n, "ok", n_sequences=4000, max_activation=1.0, consensus_activation=1.0,
                                        motif_nb=1, crms=crms))
            store.save_neuron(layer, results[-1], None)
        store.finish_layer(layer, results)
        written[layer] = results
    return out, written


def test_store_round_trip_keeps_every_crm(hand_run):
    out, written = hand_run
    store = RunDirectory(out)
    for layer, results in written.items():
        again = store.load_layer(layer)
        assert [r.neuron for r in again] == [r.neuron for r in results]
        for before, after in zip(results, again, strict=True):
            assert len(after.crms) == len(before.crms) and after.n_sequences == before.n_sequences
            for a, b in zip(before.crms, after.crms, strict=True):
                assert np.allclose(a.ppm, b.ppm, atol=1e-6) and b.n_sequences == a.n_sequences
    assert not list(out.rglob(".partial")), "partial files left after the layers finished"
    with pytest.raises(RunDirectoryError, match="different seed"):
        store.prepare({"seed": 1, "parameters": {}, "model_fingerprint": "hand", "layers": [1]})


def test_motifs_are_traced_to_their_first_layer_and_merged_across_neurons(hand_run):
    data = simulate([Grammar("pair", [ESRRB, KLF1], [(5, 5)])], 10, 60, seed=0)
    annotation = annotate(hand_run[0], db=planted_database(data), write=False)
    named = {}
    for g in annotation.network:
        best = annotation.best_match(g.representative)
        if best is not None:
            named.setdefault(best.target_id, []).append(g)
    assert set(named) == {ESRRB, KLF1} and len(named[ESRRB]) == 1 and len(named[KLF1]) == 1, named
    esrrb, klf1 = named[ESRRB][0], named[KLF1][0]
    assert esrrb.first_layer == 1 and esrrb.neurons_per_layer == {1: 1, 2: 2}
    assert klf1.first_layer == 2 and klf1.neurons_per_layer == {2: 1}
