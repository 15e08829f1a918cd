"""Parts of the ground-truth benchmark: dinucleotide backgrounds, the cached model zoo, the attribution
baseline, and neuronmotif's own report scored like the baseline's."""

import numpy as np
import pytest
import torch
from nmbench import zoo
from nmbench.baseline import BaselineConfig, deeplift_ready, run_baseline
from nmbench.scoring import run_report, score
from nmbench.zoo import ZooEntry, cached_model

from conftest import PAIR_SEEDS
from helpers.seeds import holds_on_most_seeds
from neuronmotif.datasets.demo import planted_database
from neuronmotif.datasets.simulate import CPG_DEPLETED, Grammar, dinucleotide_transitions, simulate
from neuronmotif.errors import NeuronMotifError
from neuronmotif.sequences import one_hot


def test_dinucleotide_background_has_the_requested_statistics():
    data = simulate([Grammar("CEBPB", ["MA0466.4"])], 500, 200, seed=3, dinucleotide=CPG_DEPLETED)
    background = data.tokens[data.labels[:, 0] == 0]
    observed = dinucleotide_transitions(background)
    assert np.abs(observed - CPG_DEPLETED).max() < 0.02
    uniform = dinucleotide_transitions(simulate([Grammar("CEBPB", ["MA0466.4"])], 500, 200, seed=3).tokens)
    assert uniform[1, 2] > 3 * observed[1, 2]  # CpG depleted only where asked


def test_bad_dinucleotide_matrix_is_rejected():
    with pytest.raises(NeuronMotifError, match=r"\(4, 4\) matrix"):
        simulate([Grammar("CEBPB", ["MA0466.4"])], 10, 50, dinucleotide=np.ones((4, 4)))


def _record_planting(monkeypatch) -> list[tuple[list[str], np.ndarray]]:
    """(motif ids, per-row gaps) of every planting ``simulate`` makes from now on, in order."""
    from neuronmotif.datasets import simulate as sim

    planted = []
    original = sim._plant

    def recording(tokens, ids, gaps, ppms, rng):
        planted.append((list(ids), gaps.copy()))
        return original(tokens, ids, gaps, ppms, rng)

    monkeypatch.setattr(sim, "_plant", recording)
    return planted


def test_no_hard_negative_carries_the_planted_spacing(monkeypatch):
    """Reversing a homotypic pair gives the pair again: its 'reverse order' negatives must not be positives."""
    planted = _record_planting(monkeypatch)
    for motifs in (["MA0047.4", "MA0047.4"], ["MA0141.4", "MA0493.3"]):
        planted.clear()
        simulate([Grammar("g", motifs, [(2, 6)])], 300, 60, seed=0)
        positives, *negatives = planted
        assert (positives[1] >= 2).all() and (positives[1] <= 6).all()
        pairs = [gaps for ids, gaps in negatives if ids == motifs]
        assert pairs and all(((g < 2) | (g > 6)).all() for g in pairs), f"{motifs}: a negative has a planted gap"


def test_a_chains_one_motif_negatives_are_the_chain_without_one_motif_at_its_planted_places(monkeypatch):
    """A planted chain of three (3 bp, then 5 bp) whose 'one motif only' negatives held one motif would let a
    model answer any two of them; each of its motifs is left out in turn instead, the others kept where the
    chain puts them (without the middle one, the outer two 3 + its width + 5 bp apart)."""
    planted = _record_planting(monkeypatch)
    chain = ["MA0144.3", "MA0038.3", "MA0046.3"]  # STAT3 (9 bp), GFI1 (11 bp), HNF1A
    simulate([Grammar("chain", chain, [(3, 3), (5, 5)])], 300, 80, seed=0)
    left_out = [(ids, gaps) for ids, gaps in planted[1:4]]
    assert [ids for ids, _ in left_out] == [chain[1:], [chain[0], chain[2]], chain[:2]]
    assert (left_out[0][1] == 5).all() and (left_out[1][1] == 3 + 11 + 5).all() and (left_out[2][1] == 3).all()


def test_zoo_model_is_trained_once_then_loaded_from_the_cache(tmp_path, monkeypatch):
    entry = ZooEntry("tiny", "basset", "A", channels=4, length=120, n_per_task=300, epochs=1)
    model, meta = cached_model(entry, root=tmp_path)
    assert len(meta["valid_auroc"]) == 2 and meta["grammars"] == ["CEBPB", "ESRRB-3bp-KLF1"]

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model was trained again")

    monkeypatch.setattr(zoo, "train", no_training)
    again, meta_again = cached_model(entry, root=tmp_path)
    assert meta_again == meta
    x = one_hot(entry.data().tokens[:16]).float()
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    other = ZooEntry("tiny", "basset", "A", channels=4, length=120, n_per_task=300, epochs=2)
    assert other.key() != entry.key()


def test_deeplift_view_computes_the_same_function(pair_model):
    model, data = pair_model
    x = one_hot(data.tokens[:32]).float()
    with torch.no_grad():
        assert torch.allclose(deeplift_ready(model, data.tokens.shape[1])(x), model(x), atol=1e-6)


@pytest.fixture(scope="module")
def planted(pair_model):
    return planted_database(pair_model[1])


def test_baseline_finds_the_planted_pair_motifs(pair_model, planted):
    model, data = pair_model
    report = run_baseline(model, data.tokens, data.labels, BaselineConfig(max_positives=800, n_shuffles=5,
                                                                          n_leiden_runs=2))
    result = score(report, planted, data.grammars)
    assert report.patterns, "TF-MoDISco found no pattern"
    assert set(result.recovered) == {"MA0141.4", "MA0493.3"}


def test_neuronmotif_report_scores_the_planted_pair(pair_run, pair_model, planted):
    out, _ = pair_run
    data = pair_model[1]
    everything = run_report(out)
    result = score(everything, planted, data.grammars)
    assert set(result.recovered) == {"MA0141.4", "MA0493.3"}
    assert {h.gap for h in result.grammar[data.grammars[0].name]} & {2, 3, 4}
    # the recurring view (motifs of two neurons or more) still names both planted motifs
    recurring = run_report(out, min_neurons=2)
    assert recurring.motifs
    assert set(score(recurring, planted, data.grammars).recovered) == {"MA0141.4", "MA0493.3"}


def test_the_default_motif_view_holds_the_motifs_the_outputs_rest_on(pair_runs, pair_models):
    """motifs.tsv lists the planted motifs and at most one other, not the neurons' internal features and
    pieces (before the output criterion, 4 of this model's motifs matched nothing planted); on at least 2
    of the 3 seeds (``helpers.seeds.HOST_NOTE``)."""

    def check(seed: int) -> str | None:
        out, _ = pair_runs(seed)
        data = pair_models(seed)[1]
        result = score(run_report(out), planted_database(data), data.grammars)
        if set(result.recovered) != {"MA0141.4", "MA0493.3"}:
            return f"recovered {sorted(result.recovered)}"
        return f"false motifs {result.false_motifs}" if len(result.false_motifs) > 1 else None

    holds_on_most_seeds(check, PAIR_SEEDS)
