"""The network's grammar as ranked rules, verified by inserting motifs into backgrounds (issue #14).

Claims about trained models hold on every seed of ``PAIR_SEEDS`` and ``FLEXIBLE_SEEDS``; the rules are read
in the planted frame by the benchmark's scorer (:mod:`nmbench.rule_scoring`), which aligns each rule's
network motifs to the planted matrices.
"""

import json
from dataclasses import replace

import numpy as np
import pytest
from nmbench.rule_scoring import read_rules, score_rules

from conftest import CEBPB, DEMO2_SEEDS, ESRRB, FLEXIBLE_SEEDS, FOXA2, KLF1, PAIR_SEEDS, SINGLE_SEEDS, fast_config
from helpers.cli import invoke
from helpers.exact_sites import consensus_ppm, site_arrangement_model
from helpers.seeds import holds_on_most_seeds
from neuronmotif.annotate import annotate
from neuronmotif.datasets.demo import planted_database
from neuronmotif.datasets.simulate import Grammar
from neuronmotif.model import DNAModel
from neuronmotif.motifs import jaspar_motif
from neuronmotif.pipeline import run
from neuronmotif.rules import RulesConfig, find_rules
from neuronmotif.rules.files import RULE_COLUMNS, rule_row
from neuronmotif.rules.spacing import gap_span, settle_two_gaps
from neuronmotif.store import read_meme, read_tsv

HARD = Grammar("ESRRB-3bp-KLF1", [ESRRB, KLF1], [(3, 3)])
ALONE = Grammar("KLF1", [KLF1])
FLEXIBLE = Grammar("FOXA2-2to6bp-FOXA2", [FOXA2, FOXA2], [(2, 6)])


def _hard_pair_rule(pair_runs, pair_models, seed):
    out, _ = pair_runs(seed)
    rules = read_rules(out, planted_database(pair_models(seed)[1]))
    return rules, score_rules(rules, [HARD], top=5)


def test_hard_pair_is_the_top_rule_near_its_gap_and_nothing_false_above_it(pair_runs, pair_models):
    """Rule 1, its range holding the planted 3 bp within 1 bp at both ends and peaking at it, no false rule
    in the top 5; on at least 2 of the 3 seeds (``helpers.seeds.HOST_NOTE``)."""

    def check(seed: int) -> str | None:
        rules, found = _hard_pair_rule(pair_runs, pair_models, seed)
        rule = found.found[HARD.name]
        if rule is None or rule.rank != 1:
            return f"rules {[r.label for r in rules]}"
        if not (rule.gap and rule.gap[0] <= 3 <= rule.gap[1] and rule.gap[1] - rule.gap[0] <= 1):
            return f"rule {rule.label} reads {rule.gap} bp"
        if rule.peak != 3:
            return f"rule {rule.label} works best at {rule.peak} bp"
        return f"false rules {[r.label for r in found.false_top]}" if found.false_top else None

    holds_on_most_seeds(check, PAIR_SEEDS)


def test_hard_pair_reads_its_exact_gap_on_most_seeds(pair_runs, pair_models):
    """The exact, hard 3 bp on at least 2 of the 3 seeds: measured 3/3 with 2 torch threads and 2/3 with 1
    (seed 2 on one thread keeps 75% of the peak at 4 bp and reads 3-4)."""
    exact = [seed for seed in PAIR_SEEDS if _hard_pair_rule(pair_runs, pair_models, seed)[1].spacing_ok[HARD.name]]
    assert len(exact) >= 2, f"exact 3 bp on seeds {exact} only"


@pytest.mark.parametrize("seed", SINGLE_SEEDS)
def test_a_motif_planted_alone_is_rule_1_by_itself(single_motif_models, tmp_path, seed):
    """KLF1 planted alone (one copy per positive): rule 1 is KLF1 as a single-motif rule, not a pair of its
    copies (KLF1 is a G run that repeats well), and nothing else is in the top 5."""
    model, data = single_motif_models(seed)
    run(DNAModel(model), tmp_path / "run", config=fast_config(), progress=False)
    rules = read_rules(tmp_path / "run", planted_database(data))
    found = score_rules(rules, [ALONE], top=5)
    rule = found.found[ALONE.name]
    assert rule is not None and rule.rank == 1, [r.label for r in rules]
    assert not found.false_top, [r.label for r in found.false_top]


@pytest.mark.parametrize("seed", FLEXIBLE_SEEDS)
def test_flexible_tandem_pair_is_a_top_rule_with_its_range(flexible_runs, flexible_pair_models, seed):
    """FOXA2 -2..6 bp- FOXA2 (tandem): the model's own range, both ends within 1 bp, with no neuron voting.
    Measured on training seeds 0-8 (session 26, BENCHMARKS.md): 9/9 with 2 torch threads, 8/9 with 1 (seed 0
    reads the pair through a 12-bp FOX variant one neuron holds, answered 1.35x as strongly: hard 2 bp)."""
    out = flexible_runs(seed)
    rules = read_rules(out, planted_database(flexible_pair_models(seed)[1]))
    found = score_rules(rules, [FLEXIBLE], top=5)
    rule = found.found[FLEXIBLE.name]
    assert rule is not None and rule.rank <= 2, [r.label for r in rules]
    assert found.spacing_ok[FLEXIBLE.name], f"planted 2-6 bp, rule {rule.label} reads {rule.gap} bp"
    assert not found.false_top, [r.label for r in found.false_top]


@pytest.mark.parametrize("seed", DEMO2_SEEDS)
def test_ctcf_pair_of_the_published_demo2_design_is_a_top_rule_with_its_range(demo2_runs, seed):
    """The published demo2 design (82 bp, convs 5/5/6/6/1, the last seeing the whole input): two CTCF, same
    orientation, at starts 0-15 and 44-59, so 14-44 bp apart. Default settings, the positions the neurons
    accept: among the top 3 rules (the issue: "among the top-ranked rules"), both ends of its range within
    3 bp (the issue's tolerance), on every seed. Measured 15-43, 13-45, 14-44 on one host and 17-42, 16-43,
    14-44 on another (BENCHMARKS.md); since a plateau's range runs to half its peak, 13-44, 14-44, 14-46 on
    the second. On a third (session 24) seed 0 read 13-45 as rule 2, after the same pair read through a
    blurred 27-bp CTCF-like motif (0.796 against 0.789 on a saturated sigmoid)."""
    found = demo2_runs(seed)
    assert found["rank"] is not None and found["rank"] <= 3, found
    assert found["within_3bp"], \
        f"planted {found['planted']} bp, rule {found['label']} reads {found['planted_frame_gap']}"


def test_ctcf_pair_of_the_published_demo2_design_is_rule_1_on_most_seeds(demo2_runs):
    """Rule 1 on at least 2 of the 3 seeds (``helpers.seeds.HOST_NOTE``)."""
    holds_on_most_seeds(lambda seed: None if (found := demo2_runs(seed))["rank"] == 1 else f"rank {found['rank']}",
                        DEMO2_SEEDS)


def test_the_demo2_designs_top_5_rules_hold_no_rule_unrelated_to_the_planted_pair(demo2_runs):
    """Every rule in the top 5 is the planted CTCF pair or shares a network motif with its rule, on every seed.
    Session 24's host read the pair a second time through a CTCF fragment on 2 of 3 seeds (seed 0: an unnamed
    27-bp motif that TOMTOM places CTCF inside on the other strand; seed 1: `GACAGGAG` beside R1's
    `GAGGGGGCG`): false by the scorer, since those motifs match no planted matrix, but no rule of another
    grammar. Earlier hosts had no false rule in the top 5 on 2 of 3 seeds (BENCHMARKS.md, session 24)."""
    for seed in DEMO2_SEEDS:
        found = demo2_runs(seed)
        assert not found["unrelated_top5"], f"seed {seed}: {found['unrelated_top5']}"


def test_rule_files_name_motifs_of_motifs_meme_and_every_column(pair_runs):
    out, _ = pair_runs(PAIR_SEEDS[0])
    rows = read_tsv(out / "rules.tsv")
    assert rows and list(rows[0]) == RULE_COLUMNS
    written = read_meme(out / "motifs.meme")
    listed = {r["motif"] for r in read_tsv(out / "motifs.tsv")}
    for row in rows:
        for motif in row["motifs"].split(";"):
            assert motif in written and motif in listed, f"{row['rule']} names {motif}, not a verified motif"
        assert 0 <= float(row["q_value"]) < 0.05 and float(row["effect"]) > 0
        if row["gap_min"] != "":
            assert int(row["gap_min"]) <= int(row["peak_gap"]) <= int(row["gap_max"]), row
        if row["known_gap_min"] != "":
            assert int(row["known_gap_min"]) <= int(row["known_peak_gap"]) <= int(row["known_gap_max"]), row
    doc = json.loads((out / "rules.json").read_text())
    assert doc["seed"] == 0 and "versions" in doc and doc["parameters"]["n_backgrounds"] > 0
    assert doc["output_spread"] and all(doc["output_spread"][row["readout"]] > 0 for row in rows)
    pair = next(r for r in doc["rules"] if len(r["motifs"]) == 2)
    curve = pair["curve"]["readouts"][pair["readout"]]
    assert len(curve["interaction"]) == len(pair["curve"]["gaps"]) > 5
    peak = pair["curve"]["gaps"][int(np.argmax(curve["interaction"]))]
    assert pair["gap"][0] <= peak <= pair["gap"][1]
    unverified = {r["motif"]: r["status"] for r in read_tsv(out / "motifs_unverified.tsv")}
    assert not listed & set(unverified) and all(s != "verified" for s in unverified.values())


def test_rules_are_deterministic_for_a_run_directory_and_seed(pair_runs, pair_models):
    out, _ = pair_runs(PAIR_SEEDS[0])
    annotation = annotate(out, write=False)
    model = DNAModel(pair_models(PAIR_SEEDS[0])[0])
    first, second = (find_rules(annotation, model, RulesConfig()) for _ in range(2))
    assert [rule_row(r) for r in first.rules] == [rule_row(r) for r in second.rules]
    assert first.motif_status == second.motif_status


def test_a_floor_above_every_outputs_spread_leaves_no_rule_and_no_motif_in_the_default_view(pair_runs, pair_models):
    """find_rules measures each output's spread and holds every rule, and every motif of the default view,
    to its floor: with the floor at 1000 sd nothing the model does clears it, and the reasons say so."""
    out, _ = pair_runs(PAIR_SEEDS[0])
    model = DNAModel(pair_models(PAIR_SEEDS[0])[0])
    found = find_rules(annotate(out, write=False), model, RulesConfig(min_effect_sd=1000.0))
    assert found.rules == []
    assert any(r.reason.startswith("too weak: moves output") for r in found.unverified)
    assert "verified" not in found.motif_status.values()


def test_the_motifs_that_move_an_output_most_alone_are_paired_in_turn_with_every_outputs():
    """basset-D (BENCHMARKS.md session 19): its NFYA-SP1 and MEF2C-MYOD1 tasks' motifs each moved their
    output alone, but the trees never placed them side by side among the 12 best supported pairs, so the
    two planted pairs were never put to the model. The motifs that move each output most are now paired,
    the strongest pair of every output first, never a pair already proposed, at most ``cap``."""
    from neuronmotif.annotation import NetworkMotif
    from neuronmotif.dictionary import DictionaryMotif
    from neuronmotif.rules.scanning import pairs_of_drivers
    from neuronmotif.rules.verdicts import Verdict
    from neuronmotif.segment import Segment

    def network(name, neuron):
        motif = DictionaryMotif(3, neuron, 0, Segment(3, neuron, 0, 0, 6, np.full((4, 6), 0.25), 1.0))
        return NetworkMotif(name, motif, [motif], 3)

    def alone(name, output, effect, p=1e-6, driven=None):
        return Verdict((name,), ("+",), f"output {output}", effect, p, driven=driven or {})

    verdicts = {"G1": alone("G1", 0, 9.0), "G2": alone("G2", 0, 5.0), "G3": alone("G3", 0, 4.0),
                "G4": alone("G4", 1, 2.0), "G5": alone("G5", 1, 1.5, driven={"output 0": 0.5}),
                "G6": alone("G6", 1, 3.0, p=0.2), "G7": alone("G7", 1, -1.0)}
    by_id = {name: network(name, k) for k, name in enumerate(verdicts)}
    found = pairs_of_drivers(verdicts, by_id, 3, {("G1", "G2")}, 3)
    # output 0: G1, G2, G3 (G5 moves it least); output 1: G4, G5 (G6 not significant, G7 lowers it)
    assert [h.motifs for h in found] == [("G1", "G3"), ("G4", "G5"), ("G2", "G3")]
    assert found[1].neurons == {(3, 3), (3, 4)}
    assert pairs_of_drivers(verdicts, by_id, 0, set(), 6) == []


class _AndModel:
    """Two exact 8-bp detectors (conv 1); output 0 needs both, A then B 3 bp apart (conv 2, channel 0);
    output 1 is A alone (channel 1). Neither motif of the AND moves output 0 by itself."""

    A, B, C = "GATTACAG", "CCGTTGCC", "TTTTGGGG"

    @classmethod
    def build(cls):
        torch = pytest.importorskip("torch")

        def head(found):
            return torch.cat([found[:, :1] * 10, found[:, 1:]], dim=1)

        return site_arrangement_model([cls.A, cls.B], [{0: 0, 1: 11}, {0: 0}], [-1.5, -0.5], head)

    @classmethod
    def second_look_case(cls):
        """The model, its network motifs A (G1), B (G2) and C (G3) by id, a pair that moves nothing (A, C),
        the AND pair (A, B), one verdict measured (A alone on output 1) and the outputs' floors."""
        from helpers.toy_annotation import annotation_with_network
        from neuronmotif.rules.hypotheses import PairHypothesis
        from neuronmotif.rules.verdicts import Verdict

        annotation = annotation_with_network({"G1": consensus_ppm(cls.A), "G2": consensus_ppm(cls.B),
                                              "G3": consensus_ppm(cls.C)})
        useless, wanted = PairHypothesis(("G1", "G3"), {(2, 0)}), PairHypothesis(("G1", "G2"), {(2, 0)})
        return (DNAModel(cls.build()), {g.name: g for g in annotation.network}, useless, wanted,
                [Verdict(("G1",), ("+",), "output 1", 1.0, 1e-9)], {"output 0": 0.25, "output 1": 0.25})


def test_a_pair_beyond_the_trees_budget_whose_quick_screen_moves_an_output_gets_measured():
    """bd10-E and basset-E (BENCHMARKS.md session 21): a pure AND task (SRF then ETS1) whose pair the CRMs
    held 13th and 16th by support, beyond the 12 measured, and whose motifs move nothing alone, so no
    driver pair proposed it: its output was read only through a weak homotypic stand-in. The next
    hypotheses get a quick screen; one that moves an output at least half as much as anything measured
    (and by the output's floor) is measured in full, a pair that moves nothing is not."""
    from neuronmotif.rules.scanning import second_look
    from neuronmotif.rules.verdicts import Benches, Verdict

    model, by_id, useless, wanted, measured, floors = _AndModel.second_look_case()
    config = RulesConfig(seed=0)
    benches = Benches(model, config)
    assert second_look(benches, by_id, [useless, wanted], measured, floors, config) == [wanted]
    # a stronger rule already measured on that output leaves nothing to look for; nor does a zero budget
    strong = measured + [Verdict(("G9", "G8"), ("+", "+"), "output 0", 1000.0, 1e-9)]
    assert second_look(benches, by_id, [useless, wanted], strong, floors, config) == []
    assert second_look(benches, by_id, [useless, wanted], measured, floors, replace(config, second_look=0)) == []
    assert second_look(benches, by_id, [useless, wanted], measured, {}, config) == []


def test_a_pair_far_down_the_support_ranking_is_tested_where_its_crms_place_it():
    """basset-C (BENCHMARKS.md session 22): NFKB1 then IRF1, a pure AND the model learned strongly (+11.8
    logits), was the 68th of 88 hypotheses by support, beyond the quick screen's 12. Further hypotheses get a
    placed test at the arrangement and gap their CRMs hold most: the AND pair held at its gap is measured in
    full; held at a gap the model does not read, or with no placed tests, it is not."""
    from collections import Counter

    from neuronmotif.rules.scanning import held_arrangements, second_look
    from neuronmotif.rules.verdicts import Benches

    model, by_id, useless, wanted, measured, floors = _AndModel.second_look_case()
    config = RulesConfig(seed=0, second_look=0)
    # the AND reads B 3 bp after A; the CRMs hold the pair more often at 10 bp (another neuron), then at 3,
    # and as B before A: not only the most held placement is tested
    held = {("G1", "+", "G2", "+"): Counter({10: 900, 3: 400}), ("G1", "-", "G2", "-"): Counter({5: 50}),
            ("G1", "+", "G3", "+"): Counter({3: 800})}
    assert held_arrangements(wanted, held) == [(("G1", "+", "G2", "+"), 10), (("G1", "+", "G2", "+"), 3),
                                               (("G1", "-", "G2", "-"), 5)]
    benches = Benches(model, config)
    assert second_look(benches, by_id, [useless, wanted], measured, floors, config, held) == [wanted]
    elsewhere = {**held, ("G1", "+", "G2", "+"): Counter({10: 900, 7: 100})}
    assert second_look(benches, by_id, [useless, wanted], measured, floors, config, elsewhere) == []
    assert second_look(benches, by_id, [useless, wanted], measured, floors, config, None) == []
    assert second_look(benches, by_id, [useless, wanted], measured, floors, replace(config, placed_look=0),
                       held) == []


def test_a_hard_peak_is_one_gap_and_a_plateau_is_a_range():
    rng = np.random.default_rng(0)
    gaps = np.arange(-2, 12)
    noise = rng.normal(0, 0.3, (len(gaps), 64))
    hard = np.where(gaps == 4, 6.0, np.where(abs(gaps - 4) == 1, 4.0, 0.2))[:, None] + noise
    assert gap_span(gaps, hard, 0.5)[:2] == (4, 4), "neighbours keeping 2/3 of a sharp peak joined its range"
    plateau = np.where((gaps >= 2) & (gaps <= 6), 5.0, 0.1)[:, None] + noise
    assert gap_span(gaps, plateau, 0.5)[:2] == (2, 6)
    # a window of spacings the model answers less strongly towards its ends (the demo2 design's ramps):
    # its range runs to half the peak, although 2.8 of 5 (56%) is significantly lower than the peak
    ramped = np.interp(gaps, [-2, 0, 1, 3, 7, 9, 10, 11], [0.1, 0.1, 2.8, 5.0, 5.0, 2.8, 0.1, 0.1])[:, None] + noise
    assert gap_span(gaps, ramped, 0.5)[:2] == (1, 9), "a plateau's ramps were cut at 3/4 of its peak"
    # a hard peak with one bp of play keeps its two gaps; one that passes two bp away, over a dip, is no plateau
    two = np.where(gaps == 4, 6.0, np.where(gaps == 5, 5.4, np.where(np.isin(gaps, (3, 6)), 3.6, 0.2)))
    assert gap_span(gaps, two[:, None] + noise, 0.5)[:2] == (4, 5)
    dip = np.where(gaps == 4, 6.0, np.where(gaps == 6, 4.6, np.where(np.isin(gaps, (3, 5, 7)), 3.2, 0.2)))
    assert gap_span(gaps, dip[:, None] + noise, 0.5)[:2] == (4, 6)
    # a plateau's range ends where the response falls under half the peak, even for one gap (basset-A's
    # smeared ESRRB-KLF1 curve: 0.43 of the peak at 0, then 0.64-0.8 further on, read -4..4 for a hard 3)
    fallen = np.where(np.isin(gaps, (1, 2, 3)), 5.0, np.where(gaps == 0, 2.0, np.where(gaps < 0, 3.5, 0.2)))
    assert gap_span(gaps, fallen[:, None] + noise, 0.5)[:2] == (1, 3)


def test_of_a_core_of_two_gaps_fresh_backgrounds_keep_one_unless_they_answer_both_alike():
    """A hard pair's neighbour that keeps 80% of its interaction through pooling is not where the pair works;
    two gaps the model answers alike are both the range; the stronger on fresh backgrounds is the peak."""
    rng = np.random.default_rng(1)
    base = rng.normal(5.0, 1.0, (128, 1))  # per-background level shared by both gaps (the same backgrounds)

    def reading(mean: float) -> tuple:
        interaction = base * mean / 5.0 + rng.normal(0, 0.5, (128, 1))
        return interaction + 1.0, interaction, 30

    gap, _, alike = settle_two_gaps((5, reading(5.0)), (6, reading(4.0)), 0)
    assert (gap, alike) == (5, False), "a neighbour at 80% of the peak joined a hard pair's range"
    gap, _, alike = settle_two_gaps((5, reading(5.0)), (6, reading(5.0)), 0)
    assert alike, "two gaps answered alike were cut to one"
    gap, _, alike = settle_two_gaps((5, reading(4.0)), (6, reading(5.0)), 0)
    assert (gap, alike) == (6, False), "the scan's peak stayed the gap although fresh backgrounds favour its neighbour"


@pytest.mark.parametrize(("neighbour", "expected"), [(0.8, (3, 3)), (1.0, (3, 4))])
def test_a_pair_read_at_its_gap_and_one_bp_off_is_hard_unless_the_model_answers_both_alike(neighbour, expected):
    """An AND of two exact sites answered fully with B 3 bp after A and at ``neighbour`` of that 4 bp after:
    at 80% the neighbour is in the scan's core (over 3/4 of the peak), and the fresh backgrounds settle the
    pair as hard at 3 bp; answered alike, the range is both gaps."""
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.verdicts import Benches, measure_pair

    pytest.importorskip("torch")
    a, b = "GATTACAG", "CCGTTGCC"

    def head(found):
        return 10 * (found[:, :1] + neighbour * found[:, 1:])

    model = site_arrangement_model([a, b], [{0: 0, 1: 11}, {0: 0, 1: 12}], [-1.5, -1.5], head)
    verdict = measure_pair(Benches(DNAModel(model), RulesConfig(seed=0)), ("G1", consensus_ppm(a), "+"),
                           ("G2", consensus_ppm(b), "+"), [(2, 0)])
    assert verdict.ranges[0] == expected and verdict.peak_gap in expected, (verdict.ranges, verdict.peak_gap)


def test_grammar_command_verifies_rules_with_the_model_and_drops_stale_ones(pair_runs, pair_models, tmp_path):
    import shutil

    import torch

    out, _ = pair_runs(PAIR_SEEDS[0])
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    weights = tmp_path / "w.pt"
    torch.save(pair_models(PAIR_SEEDS[0])[0].state_dict(), weights)
    (tmp_path / "cnn.py").write_text("from neuronmotif.datasets.models import BassetLike\n")
    model = f"{tmp_path / 'cnn.py'}:BassetLike"
    kwargs = '{"n_tasks": 1, "channels": [8, 8, 8]}'
    result = invoke("grammar", copy, model, "--weights", weights, "--model-kwargs", kwargs, "--quiet")
    assert result.exit_code == 0, result.output
    assert read_tsv(copy / "rules.tsv") == read_tsv(out / "rules.tsv")
    top = read_tsv(copy / "rules.tsv")[0]  # the KLF-like motif's best match is KLF1, or SP2 on one thread
    assert "R1" in result.output and top["label"] in " ".join(result.output.split()), result.output
    result = invoke("grammar", copy, "--quiet")
    assert result.exit_code == 0 and "pass the run's MODEL" in result.output
    assert not (copy / "rules.tsv").exists()
    other = tmp_path / "other.pt"
    torch.save({k: v * 2 if v.is_floating_point() else v
                for k, v in pair_models(PAIR_SEEDS[0])[0].state_dict().items()}, other)
    result = invoke("grammar", copy, model, "--weights", other, "--model-kwargs", kwargs, "--quiet")
    assert result.exit_code != 0 and "not the model that made" in result.output


def test_a_composite_network_motif_is_split_into_its_units():
    from helpers.toy_annotation import annotation_with_network

    klf1, esrrb = jaspar_motif(KLF1)[1], jaspar_motif(ESRRB)[1]
    composite = np.concatenate([esrrb, np.full((4, 3), 0.25), klf1], axis=1)
    annotation = annotation_with_network({"G1": esrrb, "G2": klf1, "G3": composite})
    from neuronmotif.rules.hypotheses import decompose

    units = decompose(annotation)
    assert [s.motif for s in units.composites["G3"]] == ["G1", "G2"]
    assert units.composites["G3"][1].start - (units.composites["G3"][0].start + esrrb.shape[1]) == 3


def test_a_long_motif_named_for_one_half_is_cut_into_its_two_sites_with_their_gap():
    """ESRRB -3 bp- KLF1 read as one 21-bp motif: the rule stage cuts it into an ESRR-like and a KLF-like
    site 3 bp apart and reads the long motif as their composite, so the pair is put to the model."""
    from helpers.toy_annotation import annotation_with_network
    from neuronmotif.motifs import load_motif_db
    from neuronmotif.rules.hypotheses import decompose
    from neuronmotif.rules.sites import cut_known_sites

    esrrb, klf1 = jaspar_motif(ESRRB)[1], jaspar_motif(KLF1)[1]
    annotation = annotation_with_network({"G1": np.concatenate([esrrb, np.full((4, 3), 0.25), klf1], axis=1)})
    extended, pieces, cuts = cut_known_sites(annotation, load_motif_db("JASPAR2024"), 0.05)
    names = [p.match.target_name.upper() if p.match else "" for p in pieces]
    assert len(pieces) == 2 and names[0].startswith("ESRR") and ("KLF" in names[1] or "SP" in names[1]), names
    first, second = cuts["G1"]
    first_width = next(g for g in extended.network if g.name == first.motif).representative.width
    assert abs(second.start - (first.start + first_width) - 3) <= 1, (first, second, first_width)
    assert decompose(extended, cuts).parts("G1") == [first.motif, second.motif]


def _hybrid(first: str, second: str, gap: int):
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.verdicts import Verdict

    verdict = Verdict((first, second), ("+", "+"), "output 0", 5.0, 1e-12, (gap, gap), gap, 0.6, {"output 0": 5.0})
    return Rule(verdict, ("", ""), None, 1e-10, [(3, 0)], f"{first} {second}", core_gap=gap)


def test_two_overlapping_pieces_of_ctcf_the_model_wants_together_are_one_ctcf_rule():
    """CTCF cut in two pieces overlapping by 3 bp, cooperative at the peak: one single-motif rule
    of the assembled site, named CTCF and written as a new network motif; two unrelated motifs
    overlapping the same way (ESRRB over KLF1) stay a rejected hybrid."""
    from neuronmotif.motifs import load_motif_db
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.assemble import assemble_hybrids

    ctcf = jaspar_motif("MA0139.2")[1]
    ppms = {"G1": ctcf[:, :11], "G2": ctcf[:, 8:], "G3": jaspar_motif(ESRRB)[1], "G4": jaspar_motif(KLF1)[1]}
    pieces, unrelated = _hybrid("G1", "G2", -3), _hybrid("G3", "G4", -3)
    rules, assembled = assemble_hybrids([pieces, unrelated], ppms, dict.fromkeys(ppms, 2),
                                        load_motif_db("JASPAR2024"), RulesConfig(), 0.05)
    assert [a.name for a in assembled] == ["G5"] and assembled[0].match.target_name == "CTCF"
    assert assembled[0].ppm.shape[1] == ctcf.shape[1] and rules[0].verdict.motifs == ("G5",)
    assert rules[0].label.startswith("CTCF(") and rules[0].verdict.gap_range is None
    assert rules[1] is unrelated


def test_two_whole_fox_sites_overlapping_by_a_base_are_a_pair_not_one_assembled_site():
    """An 11-bp FOX site (FOXD3's columns 3-13) twice, overlapping by 1-3 bp: FOXD3's matrix spans the
    junction, but each piece already holds 79% of it, so this is a tight homotypic pair (a rejected
    hybrid), not one site cut in two (a one-thread model of the flexible FOXA2 pair had reported such an
    assembly, 'FOXD3', as a false rule)."""
    from neuronmotif.motifs import load_motif_db
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.assemble import assemble_hybrids

    ppms = {"G1": jaspar_motif("MA0041.3")[1][:, 3:]}
    db = load_motif_db("JASPAR2024")
    for gap in (-1, -2, -3):
        tandem = _hybrid("G1", "G1", gap)
        rules, assembled = assemble_hybrids([tandem], ppms, {"G1": 2}, db, RulesConfig(), 0.05)
        assert not assembled and rules == [tandem], (gap, [a.match.target_name for a in assembled])


def test_the_two_halves_of_a_palindromic_site_facing_each_other_are_one_site():
    """CEBPB's site ATTGC|GCAAT held as its half ATTGC on both strands: the half facing itself side by side
    (as bd10-A's CRMs held it, a false 'G82(+) -[0 bp]- G82(-)' rule that hid the planted CEBPB) is one
    CEBPB site; the half in tandem, the halves 2 bp apart, and the whole site facing itself stay pairs."""
    from neuronmotif.motifs import load_motif_db
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.assemble import assemble_hybrids

    cebpb = jaspar_motif("MA0466.4")[1]
    ppms = {"G1": cebpb[:, :5], "G2": cebpb}
    db = load_motif_db("JASPAR2024")

    def pair(motif, strands, gap):
        rule = _hybrid(motif, motif, gap)
        rule.verdict.strands = strands
        return rule

    facing = pair("G1", ("+", "-"), 0)
    rules, assembled = assemble_hybrids([facing], ppms, dict.fromkeys(ppms, 3), db, RulesConfig(), 0.05)
    assert [a.match.target_name for a in assembled] == ["CEBPB"] and rules[0].verdict.motifs == ("G3",)
    for kept in (pair("G1", ("+", "+"), 0), pair("G1", ("+", "-"), 2), pair("G2", ("+", "-"), 0)):
        rules, assembled = assemble_hybrids([kept], ppms, dict.fromkeys(ppms, 3), db, RulesConfig(), 0.05)
        assert not assembled and rules == [kept], kept.verdict


def test_of_two_arrangements_the_model_answers_alike_the_one_the_crms_hold_is_the_rule():
    """Head to head answered at 7.0 and the tandem at 6.0 (86%): the CRMs hold the tandem 9 times in 10,
    so the tandem is the rule and the head-to-head is set aside with the reason; with no CRM pairs both
    are shown."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.orientation import canonical
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def pair(strands, effect):
        verdict = Verdict(("G1", "G1"), strands, "output 0", effect, 1e-12, (3, 5), 4, 0.6, {"output 0": effect})
        return Rule(verdict, ("FOXA2", "FOXA2"), None, 1e-10, [(3, 0)], f"G1{strands}", core_gap=4)

    ppms = {"G1": jaspar_motif(FOXA2)[1]}
    held = Counter({canonical(("G1", "+", "G1", "+")): 900, canonical(("G1", "-", "G1", "+")): 100})
    rules, rejected = select_rules([pair(("-", "+"), 7.0), pair(("+", "+"), 6.0)], RulesConfig(), Units(), ppms, held)
    assert [r.verdict.strands for r in rules] == [("+", "+")]
    assert "CRMs hold it in 10%" in rejected[0].reason
    rules, _ = select_rules([pair(("-", "+"), 7.0), pair(("+", "+"), 6.0)], RulesConfig(), Units(), ppms, Counter())
    assert [r.verdict.strands for r in rules] == [("-", "+"), ("+", "+")]


def test_a_site_held_beside_its_shorter_copy_counts_as_a_pair_of_the_unit_and_one_place_twice_does_not():
    """FOXA2 as a unit (G1) and a shorter copy folded into it (G2). A CRM holding G1 then, 10 bp on, G2 holds
    the tandem FOXA2 pair (basset-B's CRMs hold its planted tandem so, and reading G2 as a motif of its own
    hid it); a CRM holding G2 inside G1's columns holds one site, not a pair."""
    from neuronmotif.annotation import Annotation, LayerMotifs, NetworkMotif
    from neuronmotif.dictionary import DictionaryMotif, NeuronDictionary, Occurrence
    from neuronmotif.ppm import CRM
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.orientation import arrangement_gaps, arrangement_support, canonical, crm_sites
    from neuronmotif.segment import Segment
    from neuronmotif.store import NeuronResult

    foxa2 = jaspar_motif(FOXA2)[1]
    width = foxa2.shape[1]
    copy = foxa2[:, 2:-2]
    length = 2 * width + 10
    crms = [CRM(0, i, np.full((4, length), 0.25), n, 1.0, 1.0) for i, n in enumerate((700, 300))]

    def motif(index, ppm, places):
        motif = DictionaryMotif(1, 0, index, Segment(1, 0, 0, 0, ppm.shape[1], ppm, 1.0))
        motif.occurrences = [Occurrence(Segment(1, 0, crm, start, start + ppm.shape[1], ppm, 1.0), index, start,
                                        ppm.shape[1], "+") for crm, start in places]
        return motif

    whole = motif(0, foxa2, [(0, 0), (1, 0)])
    short = motif(1, copy, [(0, width + 10 + 2), (1, 2)])
    layer = LayerMotifs(1, length, [NeuronResult(0, "ok", crms=crms)],
                        dictionaries={0: NeuronDictionary(1, 0, [whole, short])})
    network = [NetworkMotif("G1", whole, [whole], 1), NetworkMotif("G2", short, [short], 1)]
    annotation = Annotation({1: layer}, {}, {}, network, {"motif_db": "JASPAR2024"})
    gaps = arrangement_gaps(annotation, crm_sites(annotation, Units(folded={"G2": "shorter copy of G1"})))
    support = arrangement_support(gaps)
    assert support == {canonical(("G1", "+", "G1", "+")): 700}, support
    # the copy, 2 columns into the whole site, starts at width + 12: the whole site it stands for at width + 10
    assert gaps == {canonical(("G1", "+", "G1", "+")): {10: 700}}, gaps


def test_positives_give_their_dinucleotide_background_and_bad_files_one_line(tmp_path):
    from neuronmotif.datasets.simulate import CPG_DEPLETED
    from neuronmotif.errors import NeuronMotifError
    from neuronmotif.rules.backgrounds import dinucleotide_background
    from neuronmotif.sequences import decode, random_background

    tokens = random_background(200, 300, 0.5, np.random.default_rng(0), CPG_DEPLETED)
    fasta = tmp_path / "pos.fa"
    fasta.write_text("".join(f">s{i}\n{decode(t[:150])}\n{decode(t[150:])}N\n" for i, t in enumerate(tokens)))
    estimated = np.array(dinucleotide_background(fasta))
    assert np.abs(estimated - CPG_DEPLETED).max() < 0.02, "the background lost the file's dinucleotide statistics"
    assert estimated[1, 2] < 0.08, "CpG depletion not kept"
    for text, message in (("", "holds no sequence"), ("ACGT\n", "no '>' header"), (">a\nNNNN\n", "adjacent")):
        bad = tmp_path / "bad.fa"
        bad.write_text(text)
        with pytest.raises(NeuronMotifError, match=message):
            dinucleotide_background(bad)
    result = invoke("grammar", tmp_path, "x.py:Y", "--positives", tmp_path / "missing.fa")
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_a_positional_pair_scan_reads_each_motif_alone_where_the_pair_put_it():
    """The scan reads each distinct placement of a motif alone once; every configuration's interaction must
    still be its pair's response minus each motif's response alone at the same starts, read directly."""
    from neuronmotif.datasets.positional import Demo2Like, WithSigmoid
    from neuronmotif.rules.insertion import Bench, insert, oriented, scan_pair
    from neuronmotif.sequences import ppm_instances

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = DNAModel(WithSigmoid(Demo2Like()).eval())
    bench = Bench(model, [(4, 0), (4, 1)], 8, np.random.default_rng(1))
    assert bench.positional()
    a, b = jaspar_motif(ESRRB)[1], jaspar_motif(KLF1)[1]
    scan = scan_pair(bench, (a, "+"), (b, "-"), range(-2, 30), np.random.default_rng(2), budget=20_000)
    assert len(set(zip(scan.gaps.tolist(), scan.starts.tolist(), strict=True))) == len(scan.gaps) > 2 * 32
    rng = np.random.default_rng(2)  # the scan's draws, in its order
    ia, ib = ppm_instances(oriented(a, "+"), bench.n, rng), ppm_instances(oriented(b, "-"), bench.n, rng)
    background = np.arange(bench.n)
    for k in np.random.default_rng(3).choice(len(scan.gaps), 6, replace=False):
        first = np.full(bench.n, scan.starts[k])
        second = first + a.shape[1] + scan.gaps[k]
        both = bench.read(insert(bench.backgrounds, [(ia, first), (ib, second)]), background)
        alone = (bench.read(insert(bench.backgrounds, [(ia, first)]), background)
                 + bench.read(insert(bench.backgrounds, [(ib, second)]), background))
        np.testing.assert_allclose(scan.together[k], both.mean(axis=0), atol=1e-5)
        np.testing.assert_allclose(scan.interaction_each[k], both - alone, atol=1e-5)


def test_motifs_that_hardly_move_the_outputs_leave_the_default_view():
    """With outputs read, motifs.tsv keeps a rule's motifs and a motif that alone moves an output by half
    the strongest rule's effect on it; a motif that moves only its own neurons (a fragment of CTCF in a
    zoo model moved output 0 by 1.0 where CTCF moved it by 11.8) is minor. Without outputs nothing changes."""
    from neuronmotif.rules.build import output_status
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.verdicts import Verdict

    def motif(name, driven, readout="output 0"):
        return Verdict((name,), ("+",), readout, max(driven.values(), default=0.1), 1e-9, driven=driven)

    verdicts = {"G1": motif("G1", {"output 0": 11.8, "L3_N1": 2.0}), "G2": motif("G2", {"output 0": 1.0, "L3_N2": 1.5}),
                "G3": motif("G3", {"output 1": 0.4, "L3_N3": 0.9}), "G4": motif("G4", {"L3_N4": 3.0}),
                "G5": motif("G5", {"output 1": 3.5})}
    pair = Verdict(("G3", "G3"), ("+", "+"), "output 1", 6.0, 1e-9, (2, 4), 3, 0.6, {"output 1": 6.0})
    rules = [Rule(verdicts["G1"], ("CTCF",), None, 1e-8, [(3, 1)], "CTCF(+)"),
             Rule(pair, ("FOXA2", "FOXA2"), None, 1e-8, [(3, 3)], "FOXA2(+) -[2-4 bp]- FOXA2(+)")]
    status = dict.fromkeys(verdicts, "verified")
    changed = output_status(status, verdicts, rules, 0.5)
    assert set(changed) == {"G2", "G4"} and all(s.startswith("minor") for s in changed.values())
    assert "output 0 by 1 of 11.8" in changed["G2"]
    floored = output_status(status, verdicts, rules, 0.5, floors={"output 1": 4.0})
    assert set(floored) == {"G2", "G4", "G5"}  # G5's 3.5 clears half the FOX pair's 6.0, not the floor
    neurons_only = {k: replace(v, readout="L3_N1", driven={n: e for n, e in v.driven.items() if n.startswith("L")})
                    for k, v in verdicts.items()}
    assert output_status(status, neurons_only, [], 0.5) == {}


def test_a_motif_whose_own_rule_is_a_variant_of_a_reported_rule_is_shown_by_that_rule():
    """basset-B's FOX-like G29 moved the FOX output by 4.5 (over half the FOX pair's 6.8), so it stayed in
    motifs.tsv as a false motif, although its own rule was set aside as a weaker variant of the FOX pair:
    the pair's motif stands for it. A motif whose rule a reported rule shows through a chain of repeats
    goes too; one whose rule was set aside for another reason (not significant) stays."""
    from neuronmotif.rules.build import output_status
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.verdicts import Verdict

    def single(name, effect):
        return Verdict((name,), ("+",), "output 1", effect, 1e-9, driven={"output 1": effect})

    verdicts = {"G6": single("G6", 5.0), "G29": single("G29", 4.5), "G30": single("G30", 4.0),
                "G31": single("G31", 4.2)}
    pair = Rule(Verdict(("G6", "G6"), ("+", "+"), "output 1", 6.8, 1e-9, (3, 6), 4, 0.5, {"output 1": 6.8}),
                ("FOXS1", "FOXS1"), (3, 6), 1e-8, [(3, 10)], "FOXS1(+) -[3-6 bp]- FOXS1(+)", rank=1)
    variant = Rule(verdicts["G29"], ("",), None, 1e-6, [(3, 11)], "G29(+)", shown_by=pair)
    demoted = Rule(Verdict(("G6",), ("-",), "output 1", 5.0, 1e-9), ("FOXS1",), None, 1e-6, [], "FOXS1(-)",
                   shown_by=pair)
    repeat = Rule(verdicts["G30"], ("",), None, 1e-6, [(3, 12)], "G30(+)", shown_by=demoted)
    weak = Rule(verdicts["G31"], ("",), None, 0.2, [(3, 13)], "G31(+)")
    status = dict.fromkeys(verdicts, "verified")
    changed = output_status(status, verdicts, [pair], 0.5, [variant, demoted, repeat, weak])
    assert set(changed) == {"G29", "G30"}
    assert all(s.startswith("shown by R1 (FOXS1(+) -[3-6 bp]- FOXS1(+))") for s in changed.values())
    assert output_status(status, verdicts, [pair], 0.5) == {}


def test_the_summary_says_where_a_flexible_pair_works_best_in_the_labels_frame():
    """A flexible FOXA2 pair reads 2-6 bp between the known motifs; the terminal says where in that range
    the model answers best, in the label's frame (known motifs when both are named, else network motifs)."""
    from neuronmotif.rules.rule import Rule, RuleSet
    from neuronmotif.rules.verdicts import Verdict
    from neuronmotif.summary import rule_lines

    pair = Verdict(("G6", "G6"), ("+", "+"), "output 1", 6.8, 1e-9, (-1, 3), 1, 0.5, {"output 1": 6.8})
    named = Rule(pair, ("FOXA2", "FOXA2"), (2, 6), 1e-8, [(3, 10)], "FOXA2(+) -[2-6 bp]- FOXA2(+)", rank=1)
    unnamed = Rule(replace(pair, effect=5.0), ("", ""), None, 1e-8, [(3, 10)], "G6(+) -[-1-3 bp]- G6(+)", rank=2)
    lines = rule_lines(RuleSet([named, unnamed], [], {}))
    assert [line[2] for line in lines] == ["flexible, peak 4 bp", "flexible, peak 1 bp"]


def test_two_whole_named_sites_whose_known_flanks_overlap_are_a_pair_not_one_site():
    """On seed 1 of basset-A the planted ESRRB -> KLF1 pair was read as NR6A1 -[0 bp]- ZNF740 and rejected
    as "one hybrid site": the two known matrices' weak flanks reach past the network motifs into the gap.
    A network motif that holds its known match's informative span is a whole site; two whole sites that
    do not overlap are judged as a pair. A piece holding half of its match's span is no whole site."""
    from types import SimpleNamespace

    from neuronmotif.motifs import Match, MotifDatabase
    from neuronmotif.rules.build import _holds_whole_site

    weak, strong = np.full((4, 1), 0.25), np.eye(4)[:, [0, 1, 2, 3, 0, 1, 2, 3]]  # 8 columns of 2 bits
    known = np.concatenate([weak, weak, strong, weak, weak, weak], axis=1)  # 12 columns, span 2-10
    db = MotifDatabase("db", ["MA1"], ["TF1"], [known])

    def holds(width: int, offset: int) -> bool:
        motif = SimpleNamespace(representative=SimpleNamespace(width=width))
        match = Match("G1", 1, "MA1", "TF1", 1e-6, 1e-4, offset, "+", min(width, 12), 12)
        return _holds_whole_site(SimpleNamespace(best_match=lambda _: match), motif, db)

    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    verdict = Verdict(("G1", "G3"), ("+", "-"), "output 1", 2.5, 1e-12, (-3, 3), 0, 1.6, {"output 1": 4.0})
    for whole, kept in ((True, True), (False, False)):  # known flanks 'overlap' by 5 bp at the peak
        rule = Rule(verdict, ("NR6A1", "ZNF740"), None, 1e-10, [(3, 2)], "NR6A1(+) -[-8--2 bp]- ZNF740(-)",
                    core_gap=-5, whole_sites=whole)
        ppms = {"G1": np.eye(4)[:, [1, 0, 0, 2, 2, 3, 1, 0, 0, 2]], "G3": np.eye(4)[:, [2] * 8]}
        rules, rejected = select_rules([rule], RulesConfig(), Units(), ppms, Counter())
        assert bool(rules) is kept, [r.reason for r in rejected]
        assert kept or "one hybrid site" in rejected[0].reason

    assert holds(8, 2)  # the motif is the informative span exactly; the flanks lie outside it
    assert holds(7, 2)  # 7 of its 8 columns
    assert not holds(4, 2)  # half a site (a piece of CTCF)
    assert not holds(8, -2)  # the motif's columns cover the flank and half the span


def test_sites_of_two_different_factors_side_by_side_are_a_pair_though_their_known_matrices_overlap():
    """basset-D (session 24): the planted MEF2C -> MYOD1 pair was measured as ZNF354A(+) -[-8-0 bp]- MSC(+)
    (effect 5.0, cooperativity 0.60) and rejected as "one hybrid site": the two long known matrices reach 7 bp
    past the network motifs, which sit 5 bp apart at the peak. Two differently named motifs whose own columns
    do not overlap are two sites; one factor's name on both, or network motifs that overlap, stay one site."""
    from collections import Counter
    from types import SimpleNamespace

    from neuronmotif.motifs import Match, MotifDatabase
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.build import _make_rule
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    ppms = {"G1": np.eye(4)[:, [0, 3, 0, 3, 0, 3, 0, 0]], "G2": np.eye(4)[:, [1, 0, 1, 2, 3, 2, 1, 2]]}
    long = np.full((4, 16), 0.25)  # a 16-bp known matrix aligned from 4 bp before to 4 bp after each motif
    motifs = {m: SimpleNamespace(representative=SimpleNamespace(width=8, ppm=ppm)) for m, ppm in ppms.items()}

    def judged(names: tuple[str, str], peak: int) -> list:
        db = MotifDatabase("db", ["MA1", "MA2"], list(names), [long, long])
        matches = {id(motifs[m].representative): Match(m, 1, f"MA{k + 1}", names[k], 1e-6, 1e-4, 4, "+", 8, 16)
                   for k, m in enumerate(ppms)}
        annotation = SimpleNamespace(best_match=lambda rep: matches[id(rep)])
        verdict = Verdict(("G1", "G2"), ("+", "+"), "output 1", 5.0, 1e-12, (peak - 2, peak + 2), peak, 0.6,
                          {"output 1": 3.0})
        rule = _make_rule(verdict, annotation, motifs, {(3, 3)}, db)
        rule.q_value = 1e-10
        assert rule.core_gap < 0  # the known matrices overlap at the peak in every case
        return select_rules([rule], RulesConfig(), Units(), ppms, Counter())[0]

    assert judged(("MEF2C", "MSC"), 5), "two factors' sites 5 bp apart were read as one hybrid site"
    assert not judged(("CTCF", "CTCF"), 5), "two pieces named by one factor were read as a pair"
    assert not judged(("MEF2C", "MSC"), -1), "two motifs overlapping by 1 bp were read as a pair"


def test_two_pieces_of_one_long_motif_at_their_place_in_it_are_one_site_not_a_pair():
    """Demo2 seed 7 on an AMD EPYC host: a 31-bp CTCF-like motif was cut into an unnamed piece (columns 0-10)
    and a piece named Zfp961 (10-18); the model, asked about the two at every gap, answered them side by side
    at 0 bp, their own place in it, and the run reported that as a hard pair in its top 5. Pieces at their
    place rebuild the long motif: one site, on either strand. The same pieces at another gap, sites of two
    named factors at their place (SOX2 a base before POU5F1, cut from one CRM segment), or two units found in a
    long motif rather than cut out of it (a segment spanning a pair the model learned), stay pairs."""
    from collections import Counter
    from types import SimpleNamespace

    from neuronmotif.motifs import Match, MotifDatabase
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.build import _make_rule
    from neuronmotif.rules.hypotheses import Site, Units
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    rng = np.random.default_rng(0)
    ppms = {m: np.eye(4)[:, rng.integers(0, 4, size=w)] for m, w in (("G1", 10), ("G2", 8))}
    motifs = {m: SimpleNamespace(representative=SimpleNamespace(width=p.shape[1], ppm=p)) for m, p in ppms.items()}
    units = Units(composites={"G9": [Site("G1", "+", 0), Site("G2", "+", 10)]}, cut={"G9"})

    def reported(names: tuple[str, str], order: tuple[str, str], strands: tuple[str, str], peak: int) -> bool:
        db = MotifDatabase("db", ["MA1", "MA2"], list(names), [ppms["G1"], ppms["G2"]])
        matches = {id(motifs[m].representative): Match(m, 1, f"MA{k + 1}", names[k], 1e-6, 1e-4, 0, "+",
                                                       ppms[m].shape[1], ppms[m].shape[1])
                   for k, m in enumerate(ppms) if names[k]}
        annotation = SimpleNamespace(best_match=lambda rep: matches.get(id(rep)))
        verdict = Verdict(order, strands, "output 0", 0.2, 1e-12, (peak, peak), peak, 0.9, {"output 0": 0.2})
        rule = _make_rule(verdict, annotation, motifs, {(5, 0)}, db)
        rule.q_value = 1e-10
        return bool(select_rules([rule], RulesConfig(), units, ppms, Counter())[0])

    unnamed = ("", "Zfp961")
    assert not reported(unnamed, ("G1", "G2"), ("+", "+"), 0), "the long motif's pieces at their place were a pair"
    assert not reported(unnamed, ("G2", "G1"), ("-", "-"), 0), "its reverse complement was a pair"
    assert reported(unnamed, ("G1", "G2"), ("+", "+"), 12), "the pieces 12 bp apart were read as the long motif"
    assert reported(unnamed, ("G1", "G2"), ("+", "-"), 0), "the pieces on other strands were read as it"
    assert reported(("SOX2", "POU5F1"), ("G1", "G2"), ("+", "+"), 0), "two factors' sites were read as one"
    units.cut.clear()  # G9 found to hold G1 and G2 (a CRM segment spanning a pair), not cut into them
    assert reported(unnamed, ("G1", "G2"), ("+", "+"), 0), "a pair a CRM segment spans was read as one site"


def test_a_motif_or_its_own_homotypic_pair_is_the_rule_as_the_pair_needs_both_copies_or_not():
    """Two sites of one motif that merely add up answer twice one site. On seed 1 of basset-A the planted
    lone CEBPB (5.7 alone) was hidden behind its own head-to-head pair (12.2, of which 3.3 needs both
    copies) and then called minor against that pair; later both were reported, the pair as rule 1 (a
    false rule: it is CEBPB twice). A FOX pair whose copies need each other (4.9, of which 2.7 needs
    both, against 1.5 alone) still stands for its motif. Exactly one of the two is reported."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def case(name: str, alone: float, together: float, cooperativity: float) -> tuple[list[str], list[Rule]]:
        single = Rule(Verdict(("G2",), ("-",), "output 0", alone, 1e-20, driven={"output 0": alone}), (name,),
                      None, 1e-20, [(3, 8)], f"{name}(-)")
        verdict = Verdict(("G2", "G2"), ("-", "+"), "output 0", together, 1e-17, (-2, -2), -2, cooperativity,
                          {"output 0": together})
        pair = Rule(verdict, (name, name), None, 1e-17, [(3, 8)], f"{name}(-) -[-2 bp]- {name}(+)", core_gap=1)
        ppms = {"G2": jaspar_motif(FOXA2 if name == "FOXA2" else CEBPB)[1]}
        rules, rejected = select_rules([single, pair], RulesConfig(), Units(), ppms, Counter())
        return [r.label for r in rules], rejected

    labels, rejected = case("CEBPB", 5.7, 12.2, 0.27)
    assert labels == ["CEBPB(-)"]
    assert rejected[0].reason.startswith("two copies of CEBPB that mostly add up: what needs both (3.29) is "
                                         "under CEBPB(-) alone (5.70)")
    labels, rejected = case("FOXA2", 1.5, 4.9, 0.56)
    assert labels == ["FOXA2(-) -[-2 bp]- FOXA2(+)"]
    assert rejected[0].reason.startswith("acts through the pair")

    # seed 0 of bd10-A: a CEBP site (5.8 alone) beside a similar half site (AATTGC, 0.8 alone, named Dlx2):
    # 9.3 together, 4.0 of it needing both, was rule 1; planted was CEBPB alone
    site = Rule(Verdict(("G2",), ("+",), "output 0", 5.84, 1e-30, driven={"output 0": 5.84}), ("CEBPE",), None,
                1e-30, [(5, 1)], "CEBPE(+)")
    half = Rule(Verdict(("G19",), ("+",), "output 0", 0.80, 1e-6, driven={"output 0": 0.80}), ("Dlx2",), None,
                1e-6, [(6, 8)], "Dlx2(+)")
    verdict = Verdict(("G2", "G19"), ("+", "+"), "output 0", 9.25, 1e-20, (-1, -1), -1, 0.435, {"output 0": 4.0})
    pair = Rule(verdict, ("CEBPE", "Dlx2"), (3, 3), 1e-20, [(6, 8)], "CEBPE(+) -[3 bp]- Dlx2(+)", core_gap=2)
    ppms = {"G2": jaspar_motif(CEBPB)[1], "G19": jaspar_motif(CEBPB)[1][:, 4:]}
    for similar, expected in ((False, ["CEBPE(+) -[3 bp]- Dlx2(+)"]), (True, ["CEBPE(+)"])):
        units = Units(similar={"G2": {"G19"}, "G19": {"G2"}} if similar else {})
        for r in (site, half, pair):
            r.reason, r.rank, r.shown_by = "", 0, None
        rules, rejected = select_rules([site, half, pair], RulesConfig(), units, ppms, Counter())
        assert [r.label for r in rules] == expected
    assert pair.reason.startswith("two similar motifs (CEBPE(+), Dlx2(+)) that mostly add up: what needs both "
                                  "(4.02) is under CEBPE(+) alone (5.84)")


def test_a_named_site_stands_for_an_unnamed_stronger_pair_of_its_pieces():
    """On seed 1 of basset-B the planted CTCF (named, 6.7 alone) was set aside as a weaker part of an
    unnamed pair of CTCF pieces (7.6), so no rule named CTCF. A part that names more of its motifs, with
    at least 80% of the stronger rule's effect, stands for both in its place; a clearly weaker one stays
    a part."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    ctcf = jaspar_motif("MA0139.2")[1]
    ppms = {"G2": ctcf, "G10": ctcf[:, :10], "G11": ctcf[:, 10:]}
    for alone, named_first in ((6.7, True), (5.0, False)):
        single = Rule(Verdict(("G2",), ("+",), "output 0", alone, 1e-30, driven={"output 0": alone}), ("CTCF",),
                      None, 1e-30, [(3, 13)], "CTCF(+)")
        verdict = Verdict(("G10", "G11"), ("+", "+"), "output 0", 7.6, 1e-30, (0, 0), 0, 0.76, {"output 0": 7.6})
        pair = Rule(verdict, ("", ""), None, 1e-30, [(3, 1)], "G10(+) -[0 bp]- G11(+)", core_gap=0)
        rules, rejected = select_rules([single, pair], RulesConfig(), Units(), ppms, Counter())
        assert [r.label for r in rules] == (["CTCF(+)"] if named_first else ["G10(+) -[0 bp]- G11(+)"])
        assert rejected[0].shown_by is rules[0] and rules[0].rank == 1
        assert rejected[0].reason.startswith("shown by R1 (CTCF(+))" if named_first else "a weaker part or variant")
    single = Rule(Verdict(("G2",), ("+",), "output 0", 6.7, 1e-30, driven={"output 0": 6.7}), ("CTCF",), None,
                  1e-30, [(3, 13)], "CTCF(+)")
    pair = Rule(verdict, ("", ""), None, 1e-30, [(3, 1)], "G10(+) -[0 bp]- G11(+)", core_gap=0)
    _, rejected = select_rules([single, pair], RulesConfig(), Units(), ppms, Counter())
    assert rejected[0].reason.endswith("with 88% of this rule's effect")  # 6.7 / 7.6

    # one named partner does not stand for a two-motif spacing rule: it spans half of it
    cebpb = jaspar_motif(CEBPB)[1]
    ppms = {"G2": cebpb, "G5": cebpb, "G6": jaspar_motif(FOXA2)[1]}
    partner = Rule(Verdict(("G2",), ("+",), "output 0", 8.5, 1e-30, driven={"output 0": 8.5}), ("CEBPB",), None,
                   1e-30, [(3, 2)], "CEBPB(+)")
    verdict = Verdict(("G5", "G6"), ("+", "+"), "output 0", 10.0, 1e-30, (3, 3), 3, 0.5, {"output 0": 10.0})
    spaced = Rule(verdict, ("", ""), None, 1e-30, [(3, 1)], "G5(+) -[3 bp]- G6(+)", core_gap=3)
    rules, rejected = select_rules([partner, spaced], RulesConfig(), Units(), ppms, Counter())
    assert [r.label for r in rules] == ["G5(+) -[3 bp]- G6(+)"]
    assert rejected[0].reason.startswith("a weaker part or variant of R1 (G5(+) -[3 bp]- G6(+))")


def test_two_copies_of_a_named_half_site_do_not_stand_for_the_whole_palindromic_site():
    """basset-E at run seed 1 (BENCHMARKS.md session 21): the planted TP53 site, assembled and named TP53
    (11.1 alone), was shown by the weaker pair of its two half sites facing each other, each named TP63
    (9.5): the pair 'named more motifs' (two against one). Two copies of one named motif name no more than
    the whole site does: the whole site stays the rule, the pair a part of it."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    tp53 = jaspar_motif("MA0106.3")[1]
    ppms = {"G70": tp53, "G3": tp53[:, 9:]}
    whole = Rule(Verdict(("G70",), ("+",), "output 0", 11.06, 1e-30, driven={"output 0": 11.06}), ("TP53",),
                 None, 1e-30, [(3, 1)], "TP53(+)")
    verdict = Verdict(("G3", "G3"), ("-", "+"), "output 0", 9.455, 1e-30, (0, 0), 0, 0.6, {"output 0": 6.0})
    halves = Rule(verdict, ("TP63", "TP63"), None, 1e-30, [(3, 2)], "TP63(-) -[0 bp]- TP63(+)", core_gap=0)
    rules, rejected = select_rules([whole, halves], RulesConfig(), Units(), ppms, Counter())
    assert [r.label for r in rules] == ["TP53(+)"]
    assert rejected[0] is halves and halves.shown_by is whole
    assert halves.reason.startswith("a weaker part or variant of R1 (TP53(+))")


def test_every_competitive_orientation_of_a_pair_gets_the_full_scan():
    """A FOX read as the near-palindrome GTGTATACA: the quick screen puts two head-to-head readings
    first, and the planted tandem third. Every orientation whose screened peak is at least half the best
    is measured (one arrangement per orientation: the tandem and its reverse complement are one); a
    clearly weaker one and a non-positive one are not."""
    from neuronmotif.rules.scanning import to_scan

    def arrangement(s1, s2, peak):
        return peak, ("G1", None, s1), ("G1", None, s2)

    screened = [arrangement("+", "-", 5.0), arrangement("-", "+", 4.9), arrangement("+", "+", 4.6),
                arrangement("-", "-", 4.5)]
    scanned = [(a[2], b[2]) for a, b in to_scan(screened, 4)]
    assert scanned == [("+", "-"), ("-", "+"), ("+", "+")]
    assert [(a[2], b[2]) for a, b in to_scan(screened, 2)] == [("+", "-"), ("-", "+")]
    weak = [arrangement("+", "-", 5.0), arrangement("+", "+", 2.0), arrangement("-", "+", -1.0)]
    assert [(a[2], b[2]) for a, b in to_scan(weak, 4)] == [("+", "-")]


def test_two_motifs_the_model_wants_overlapping_as_much_as_side_by_side_are_one_site_not_a_pair():
    """basset-A: an unnamed CEBP-like half (G63) beside CEBPE at 0 bp answered 6.1, and the same two
    motifs overlapping by 3 bp (one hybrid site) 6.5: a site with a flank read two ways, not a spacing
    rule. Where the overlapping reading is clearly weaker the pair stays, and two copies of one motif
    (FOX sites overlapping by a base) are left to the homotypic rules."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def pair(motifs, strands, effect, gap, core_gap):
        verdict = Verdict(motifs, strands, "output 0", effect, 1e-16, (gap, gap), gap, 0.6, {"output 0": effect})
        return Rule(verdict, ("", "CEBPE"), None, 1e-16, [(3, 9)], f"{motifs}{strands}", core_gap=core_gap)

    ppms = {"G63": jaspar_motif(CEBPB)[1][:, :5], "G2": jaspar_motif(CEBPB)[1], "G1": jaspar_motif(FOXA2)[1]}
    for hybrid_effect, kept in ((6.5, False), (3.0, True)):
        side = pair(("G63", "G2"), ("-", "+"), 6.1, 0, 0)
        rules, rejected = select_rules([side, pair(("G63", "G2"), ("+", "-"), hybrid_effect, 0, -3)],
                                       RulesConfig(), Units(), ppms, Counter())
        assert (side in rules) is kept
        assert kept or side.reason.startswith("the model answers the same motifs overlapping as one site")
    tandem = pair(("G1", "G1"), ("+", "+"), 6.1, 3, 3)
    rules, _ = select_rules([tandem, pair(("G1", "G1"), ("-", "+"), 6.5, -1, -1)], RulesConfig(), Units(), ppms,
                            Counter())
    assert tandem in rules


def test_a_pair_that_answers_less_than_one_of_its_motifs_alone_is_no_rule():
    """On seed 0 of basset-B an unnamed Sox-Oct piece answered 6.5 alone; a FOX site overlapping it by 3 bp
    'interacted' with it (4.4 of a 5.9 response together) only because the piece, placed for the pair,
    lost its flank. Reported, it was a false rule above the planted FOX tandem. A pair that answers more
    than each motif alone stays a rule."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    ppms = {"G3": jaspar_motif("MA0142.1")[1], "G6": jaspar_motif(FOXA2)[1]}
    for alone, kept in ((6.5, False), (2.0, True)):
        single = Rule(Verdict(("G3",), ("-",), "output 2", alone, 1e-30, driven={"output 2": alone}), ("",), None,
                      1e-30, [(3, 9)], "G3(-)")
        verdict = Verdict(("G6", "G3"), ("+", "-"), "output 2", 5.9, 1e-20, (-3, -3), -3, 0.75, {"output 2": 4.4})
        pair = Rule(verdict, ("FOXA2", ""), None, 1e-20, [(3, 4)], "FOXA2(+) -[-3 bp]- G3(-)", core_gap=1)
        rules, rejected = select_rules([single, pair], RulesConfig(), Units(), ppms, Counter())
        labels = [r.label for r in rules]
        assert ("FOXA2(+) -[-3 bp]- G3(-)" in labels) is kept
        if not kept:
            assert labels == ["G3(-)"]
            assert rejected[0].reason.startswith("answers less than G3(-) alone (5.90 against 6.50)")


def test_pairs_of_a_palindromic_motif_are_one_rule_written_as_a_tandem():
    """On seed 1 of basset-B the network's FOX motif is the near-palindrome GTGTATACA: the planted FOX tandem
    (4.7) was read three ways, head to head (4.9) and tail to tail (4.7) too, three rules where there is one
    (its strands carry no information). A motif that does have a strand (JASPAR's FOXA2) keeps its
    head-to-head pair apart when the model answers it nearly alike and nothing else decides."""
    from collections import Counter

    from neuronmotif.motifs.similarity import palindromic
    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    cebpb, foxa2 = jaspar_motif(CEBPB)[1], jaspar_motif(FOXA2)[1]
    fox_read_as_palindrome = np.eye(4)[:, [2, 3, 2, 3, 0, 3, 0, 1, 0]] * 0.85 + 0.0375  # GTGTATACA
    assert palindromic([cebpb, fox_read_as_palindrome, foxa2, jaspar_motif("MA0139.2")[1]]).tolist() == \
        [True, True, False, False]

    def rules_for(ppm: np.ndarray, readouts: tuple[str, ...] = ("output 1",) * 3) -> tuple[list[str], list[Rule]]:
        units = Units(palindromic={"G1"} if palindromic([ppm])[0] else set())
        pairs = []
        readings = ((("+", "+"), 4.74, (3, 5)), (("-", "+"), 4.86, (3, 5)), (("+", "-"), 4.67, (4, 7)))
        for (strands, effect, gap), readout in zip(readings, readouts, strict=True):
            verdict = Verdict(("G1", "G1"), strands, readout, effect, 1e-28, gap, gap[0], 0.6, {readout: 2.8})
            label = f"FOXA2({strands[0]}) -[{gap[0]}-{gap[1]} bp]- FOXA2({strands[1]})"
            pairs.append(Rule(verdict, ("FOXA2", "FOXA2"), None, 1e-28, [(3, 4)], label, core_gap=gap[0]))
        rules, rejected = select_rules(pairs, RulesConfig(), units, {"G1": ppm}, Counter())
        return [r.label for r in rules], rejected

    labels, rejected = rules_for(fox_read_as_palindrome)
    assert labels == ["FOXA2(+) -[3-5 bp]- FOXA2(+)"]
    assert all(r.reason.startswith("another orientation of R1 (FOXA2(+) -[3-5 bp]- FOXA2(+)): FOXA2 (G1) reads "
                                   "alike") for r in rejected)
    labels, _ = rules_for(foxa2)
    assert len(labels) == 3
    labels, _ = rules_for(fox_read_as_palindrome, readouts=("output 1", "output 2", "output 1"))
    assert labels == ["FOXA2(-) -[3-5 bp]- FOXA2(+)", "FOXA2(+) -[3-5 bp]- FOXA2(+)"]  # one per output


def test_a_site_beside_a_flank_it_likes_is_the_site_not_a_spacing_rule():
    """On seed 1 of bd10-A the planted lone CEBPB was reported only inside `G56(+) -[0 bp]- CEBPE(-)`: an
    unnamed half site (0.3 alone) abutting CEBPE (5.7 alone) answered 7.8, 2.6 of it needing both. What
    the pair adds by its arrangement is under half of what CEBPE does alone: CEBPE is the rule. The
    planted SOX2-POU5F1 pair of seed 0 bd10-B (8.1 together, 5.4 needing both, SOX2 3.1 alone) stays a
    rule and SOX2 acts through it."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def single(motif: str, name: str, effect: float) -> Rule:
        return Rule(Verdict((motif,), ("-",), "output 0", effect, 1e-20, driven={"output 0": effect}), (name,), None,
                    1e-20, [(6, 1)], f"{name or motif}(-)")

    def pair(motifs: tuple[str, str], names: tuple[str, str], effect: float, cooperativity: float) -> Rule:
        verdict = Verdict(motifs, ("+", "-"), "output 0", effect, 1e-18, (0, 0), 0, cooperativity, {"output 0": 2.6})
        label = f"{names[0] or motifs[0]}(+) -[0 bp]- {names[1] or motifs[1]}(-)"
        return Rule(verdict, names, None, 1e-18, [(7, 9)], label, core_gap=1)

    ppms = {"G2": jaspar_motif(CEBPB)[1], "G56": jaspar_motif(CEBPB)[1][:, :6], "G4": jaspar_motif("MA0143.5")[1],
            "G7": jaspar_motif("MA1115.2")[1]}
    flank = pair(("G56", "G2"), ("", "CEBPE"), 7.80, 0.336)
    rules, rejected = select_rules([single("G56", "", 0.31), single("G2", "CEBPE", 5.74), flank], RulesConfig(),
                                   Units(), ppms, Counter())
    assert [r.label for r in rules] == ["CEBPE(-)"]
    assert flank.reason == ("mostly CEBPE(-) with a modifier: what needs both (2.62) is under half of CEBPE(-) "
                            "alone (5.74)")
    sox_oct = pair(("G4", "G7"), ("SOX2", "POU5F1"), 8.12, 0.67)
    rules, rejected = select_rules([single("G4", "SOX2", 3.13), sox_oct], RulesConfig(), Units(), ppms, Counter())
    assert [r.label for r in rules] == ["SOX2(+) -[0 bp]- POU5F1(-)"]
    assert rejected[0].reason.startswith("acts through the pair")


def test_two_assembled_readings_of_one_site_are_one_rule():
    """On seed 0 of bd10-A two CEBP half sites were each assembled into a whole CEBP site after the units
    were compared (AATTGCGCAATT named CEBPE, TTTTGTTGCGCAACAAAA named CEBPG): two rules for one planted
    CEBPB. Assembled motifs join the units' similarity, so the weaker repeats the stronger."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units, include_assembled
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def site(consensus: str) -> np.ndarray:
        return np.eye(4)[:, ["ACGT".index(b) for b in consensus]] * 0.88 + 0.03

    ppms = {"G1": site("GGTCAAGGTCA"), "G85": site("AATTGCGCAATT"), "G86": site("TTTTGTTGCGCAACAAAA")}
    units = Units()
    include_assembled(units, ppms, ["G85", "G86"])
    assert units.alike("G85", "G86") and not units.alike("G1", "G85")

    def single(motif: str, name: str, effect: float) -> Rule:
        return Rule(Verdict((motif,), ("-",), "output 0", effect, 1e-20, driven={"output 0": effect}), (name,), None,
                    1e-20, [(8, 3)], f"{name}(-)")

    rules, rejected = select_rules([single("G86", "CEBPG", 6.5), single("G85", "CEBPE", 5.8)], RulesConfig(), units,
                                   ppms, Counter())
    assert [r.label for r in rules] == ["CEBPG(-)"]
    assert rejected[0].reason.startswith("repeats R1 (CEBPG(-))")


def test_an_unnamed_long_motif_of_two_known_halves_is_cut_into_them():
    """A deep CRM segment can span a whole pair and match no known motif over its length (the two halves
    dilute each other). When its best match, however weak, and the informative stretch beside it each
    match a known motif on their own, the motif is cut there. A half that matches nothing keeps the
    motif whole."""
    from neuronmotif.motifs import load_motif_db
    from neuronmotif.rules.sites import _known_halves

    db = load_motif_db("JASPAR2024")
    sox2, cebpb = jaspar_motif("MA0143.5")[1], jaspar_motif(CEBPB)[1]
    pair = np.concatenate([sox2, np.full((4, 1), 0.25), cebpb], axis=1)  # 7 + 1 + 10 columns
    noise = np.eye(4)[:, [0, 3, 3, 0, 1, 1, 0, 3, 0, 3]] * 0.7 + 0.075  # ATTACCATAT, no known motif
    lone = np.concatenate([sox2, np.full((4, 1), 0.25), noise], axis=1)
    cut = _known_halves({"G3": pair, "G4": lone}, db, 0.05)
    assert set(cut) == {"G3"}
    assert [m.target_name for _, _, m in cut["G3"]] == ["SOX2", "CEBPB"]
    assert cut["G3"][0][0] == 0 and cut["G3"][0][1] in (6, 7)  # SOX2's informative columns
    assert cut["G3"][1][:2] == (8, 18)


def test_a_pair_with_a_motif_like_neither_of_a_stronger_pairs_is_no_variant_of_it():
    """On an AMD EPYC host pair seed 4's network held ESRRB as its half site AAGGTC: the planted pair, read as
    AAGGTC -3 bp- G run (3.2), was dropped as 'a weaker part or variant' of two G runs (3.7), because the two
    arrangements' matrices align on their G runs. A motif like neither of the other pair's makes another
    grammar the model answers nearly alike: both are rules. A clearly weaker one (under 80%) still goes."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    g_run = np.full((4, 10), 0.02)
    g_run[2] = 0.94
    half = np.full((4, 6), 0.02)
    for column, base in enumerate("AAGGTC"):
        half[:, column] = 0.02
        half["ACGT".index(base), column] = 0.94
    ppms = {"G1": g_run, "G2": half}
    runs = Rule(Verdict(("G1", "G1"), ("+", "+"), "output 0", 3.72, 1e-14, (3, 6), 5, 0.9, {"output 0": 3.72}),
                ("ZNF740", "ZNF740"), None, 1e-14, [(3, 2)], "ZNF740(-) -[3-6 bp]- ZNF740(-)", core_gap=5)
    for effect, kept in ((3.2, True), (2.0, False)):
        verdict = Verdict(("G2", "G1"), ("+", "+"), "output 0", effect, 1e-14, (3, 5), 3, 0.85, {"output 0": effect})
        pair = Rule(verdict, ("NR2F2", "ZNF740"), None, 1e-14, [(3, 7)], "NR2F2(+) -[2-4 bp]- ZNF740(-)", core_gap=3)
        rules, rejected = select_rules([runs, pair], RulesConfig(min_share=0.1), Units(), ppms, Counter())
        assert ("NR2F2(+) -[2-4 bp]- ZNF740(-)" in [r.label for r in rules]) is kept, [r.reason for r in rejected]


def test_an_unnamed_long_motif_around_a_stronger_rules_motif_is_a_longer_reading_of_it():
    """On an AMD EPYC host demo2 seed 0's R2 was G32(+), an unnamed 59-bp motif of the last layer around one
    CTCF core, beside R1, the CTCF pair. It is shown by R1 now. A long motif with a known name stays a rule."""
    from collections import Counter

    from nmbench.positional import CTCF

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    ctcf = jaspar_motif(CTCF)[1]
    around = np.random.default_rng(0).dirichlet(np.full(4, 2.0), size=59).T  # a 59-bp CRM stretch
    around[:, 20:20 + ctcf.shape[1]] = ctcf
    verdict = Verdict(("G4", "G4"), ("+", "+"), "output 0", 0.76, 1e-10, (18, 44), 29, 0.57, {"output 0": 0.76})
    pair = Rule(verdict, ("", ""), None, 1e-10, [(5, 0)], "G4(+) -[18-44 bp]- G4(+)", core_gap=29)
    for long, name, kept in ((around, "", False), (around, "ZNF", True)):
        single = Rule(Verdict(("G32",), ("+",), "output 0", 0.68, 1e-9, driven={"output 0": 0.68}), (name,), None,
                      1e-9, [(5, 0)], f"{name or 'G32'}(+)")
        rules, rejected = select_rules([pair, single], RulesConfig(), Units(), {"G4": ctcf, "G32": long}, Counter())
        assert (single.label in [r.label for r in rules]) is kept, (name, kept, [r.reason for r in rejected])
        if not kept:
            assert rejected[0].reason.startswith("an unnamed 59-bp stretch around the motif of R1")


def test_an_outputs_spread_over_random_backgrounds_is_measured_in_its_own_units():
    """A model whose output counts the A's of 100 uniform random bases varies by the binomial sd,
    sqrt(100 * 0.25 * 0.75) = 4.33, and its second output, the same count in units 10 times smaller,
    by a tenth of it: the floor under a rule's effect follows each output's own scale."""
    import torch
    from torch import nn

    from neuronmotif.rules.verdicts import Benches

    class CountA(nn.Module):
        input_length = 100

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 1, 1, bias=False)
            self.conv.weight.data[:] = torch.tensor([1.0, 0, 0, 0]).view(1, 4, 1)

        def forward(self, x):
            count = self.conv(x).sum(dim=-1)
            return torch.cat([count, count / 10], dim=1)

    spread = Benches(DNAModel(CountA()), RulesConfig()).output_spread()
    assert set(spread) == {"output 0", "output 1"}
    assert spread["output 0"] == pytest.approx(np.sqrt(100 * 0.25 * 0.75), rel=0.1)
    assert spread["output 1"] == pytest.approx(spread["output 0"] / 10)


def test_the_strongest_rule_of_an_output_the_model_hardly_learned_is_too_weak_to_report():
    """basset-C reported `TEAD2(+) -[4-5 bp]- FEZF2(-)` as a rule of its GATA1 output because it was that
    output's strongest, at an effect of 0.08 logits where the output varies by 0.98 over random
    backgrounds (its other outputs' rules: 5-7). Under a quarter of that spread a rule is too weak; the
    same effect on an output 10 times narrower is a rule."""
    from collections import Counter

    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    ppms = {"G1": jaspar_motif(CEBPB)[1], "G2": jaspar_motif(FOXA2)[1]}

    def single(motif, readout, effect):
        return Rule(Verdict((motif,), ("+",), readout, effect, 1e-12, driven={readout: effect}), ("",), None,
                    1e-12, [(3, 1)], f"{motif}(+)")

    for spread_0, reported in ((0.98, ["G2(+)"]), (0.098, ["G2(+)", "G1(+)"])):
        candidates = [single("G1", "output 0", 0.085), single("G2", "output 1", 7.2)]
        rules, rejected = select_rules(candidates, RulesConfig(), Units(), ppms, Counter(),
                                       {"output 0": spread_0, "output 1": 1.1})
        assert [r.label for r in rules] == reported
        if len(reported) == 1:
            assert rejected[0].reason.startswith("too weak: moves output 0 by 0.085, under 0.25 of the 0.98")


def test_an_inverted_pair_of_one_motif_joining_a_pairs_two_strands_is_that_pair_not_a_rule():
    """bd10-D's model learned NFYA -[10 bp]- SP1 on both strands and answered the SP1 site's two strands,
    C box then G box (the start of the pair's reverse complement, then the end of the pair), at 7.3, more
    than the pair itself read through the network's motifs (5.2): reported, the chimera was rule 2 and the
    planted pair was dropped as its 'variant'. An inverted pair of one motif beside a heterotypic pair
    of it on the same output is that pair's two strands; on another output, or beside a pair with under
    half its effect, it stays a rule."""
    from collections import Counter

    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    sp1, nfya = "MA0079.5", "MA0060.4"
    ppms = {"G1": jaspar_motif(sp1)[1], "G2": jaspar_motif(nfya)[1]}

    def rules_of(chimera_readout: str, pair_effect: float, motifs=("G1", "G1"), strands=("-", "+"),
                 units: Units | None = None) -> tuple[list[str], list]:
        boxes = Verdict(motifs, strands, chimera_readout, 7.25, 1e-20, (10, 14), 12, 0.8, {chimera_readout: 7.25})
        chimera = Rule(boxes, ("SP1", "SP1"), None, 1e-20, [(8, 9)], "SP1(-) -[10-14 bp]- SP1(+)", core_gap=12)
        planted = Verdict(("G1", "G2"), ("-", "-"), "output 2", pair_effect, 1e-18, (9, 13), 10, 0.9,
                          {"output 2": pair_effect})
        pair = Rule(planted, ("SP1", "NFYA"), None, 1e-18, [(8, 8)], "SP1(-) -[9-13 bp]- NFYA(-)", core_gap=10)
        rules, rejected = select_rules([chimera, pair], RulesConfig(min_share=0.1), units or Units(), ppms,
                                       Counter())
        return [r.label for r in rules], rejected

    labels, rejected = rules_of("output 2", 5.24)
    assert labels == ["SP1(-) -[9-13 bp]- NFYA(-)"]
    assert rejected[0].reason.startswith("two strands of R1 (SP1(-) -[9-13 bp]- NFYA(-)): its first copy "
                                         "starts that pair and its second ends the pair's reverse complement")
    assert rejected[0].shown_by.label == "SP1(-) -[9-13 bp]- NFYA(-)"
    assert rules_of("output 0", 5.24)[0] == ["SP1(-) -[10-14 bp]- SP1(+)", "SP1(-) -[9-13 bp]- NFYA(-)"]
    assert "SP1(-) -[10-14 bp]- SP1(+)" in rules_of("output 2", 3.0)[0]
    # the pair's other motif, NFYA(+) then NFYA(-): the start of the reverse complement, the end of the pair
    labels, rejected = rules_of("output 2", 5.24, ("G2", "G2"), ("+", "-"))
    assert labels == ["SP1(-) -[9-13 bp]- NFYA(-)"] and "second ends that pair" in rejected[0].reason
    # the SP1 site's strands the other way round are no half of either strand of the pair: a rule
    assert len(rules_of("output 2", 5.24, ("G1", "G1"), ("+", "-"))[0]) == 2
    # a C run G3 like the G run's reverse complement, then the G run: the same two strands (bd10-D seed 2's
    # `Wt1(+) -[8-13 bp]- SP1(+)`); were G3 like the G run itself, the two would be a tandem, a rule
    ppms["G3"] = ppms["G1"][::-1, ::-1].copy()
    like = {"G1": {"G3"}, "G3": {"G1"}}
    flipped = Units(similar=like, flipped={frozenset(("G1", "G3"))})
    assert rules_of("output 2", 5.24, ("G3", "G1"), ("+", "+"), flipped)[0] == ["SP1(-) -[9-13 bp]- NFYA(-)"]
    assert "SP1(-) -[10-14 bp]- SP1(+)" in rules_of("output 2", 5.24, ("G3", "G1"), ("+", "+"), Units(similar=like))[0]


def test_of_two_readings_of_one_fox_pair_the_one_the_network_holds_stands_for_both():
    """A flexible FOX tandem read two ways (one-thread models of the flexible pair): through the FOX motif
    fifteen neurons hold, twice (2-6 bp), and through a 12-bp variant one neuron holds, then that motif
    (FOXE1-named, read hard at 2 bp, its flanks adding response at that gap). Answered at 82% of the variant's
    effect, the network's own reading is the rule; the variant's reading is its repeat. At 75% the stronger
    reading stays, and so it does when the FOX motif is held as narrowly as the variant, or is a piece of the
    site rather than a whole one (a widely held 9-bp piece of CTCF on demo2 seed 8, one thread). Names of two similar
    motifs (FOXE1 beside FOXA1) count as one factor: they do not make the variant's reading the better named
    one, to stand for a stronger reading of two FOXA1."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    def reading(first, names, effect, gaps, whole=True):
        verdict = Verdict((first, "G1"), ("+", "+"), "output 0", effect, 1e-12, gaps, gaps[0], 0.6,
                          {"output 0": effect})
        return Rule(verdict, names, gaps, 1e-10, [(3, 6)], f"{names[0]}(+) -[{gaps[0]}-{gaps[1]} bp]- {names[1]}(+)",
                    core_gap=gaps[0], whole_sites=whole)

    def ranked(*candidates, held_by):
        units = Units(similar={"G1": {"G14"}, "G14": {"G1"}}, held_by=held_by)
        return select_rules(list(candidates), RulesConfig(), units, ppms, Counter())

    fox = jaspar_motif(FOXA2)[1]
    ppms = {"G1": fox[:, 2:10], "G14": fox}
    network_held = {"G1": 15, "G14": 1}
    variant = reading("G14", ("FOXE1", "FOXA1"), 10.0, (2, 2))
    network = reading("G1", ("FOXA1", "FOXA1"), 8.2, (2, 6))
    rules, rejected = ranked(variant, network, held_by=network_held)
    assert [r.label for r in rules] == [network.label]
    assert rejected[0].reason.startswith(f"repeats R1 ({network.label})")
    rules, _ = ranked(reading("G14", ("FOXE1", "FOXA1"), 10.0, (2, 2)), reading("G1", ("FOXA1", "FOXA1"), 7.5, (2, 6)),
                      held_by=network_held)
    assert [r.label for r in rules] == [variant.label]
    rules, _ = ranked(reading("G14", ("FOXE1", "FOXA1"), 10.0, (2, 2)), reading("G1", ("FOXA1", "FOXA1"), 8.2, (2, 6)),
                      held_by={"G1": 1, "G14": 1})
    assert [r.label for r in rules] == [variant.label]
    rules, _ = ranked(reading("G14", ("FOXE1", "FOXA1"), 10.0, (2, 2)),
                      reading("G1", ("FOXA1", "FOXA1"), 8.2, (2, 6), whole=False), held_by=network_held)
    assert [r.label for r in rules] == [variant.label]
    rules, _ = ranked(reading("G14", ("FOXE1", "FOXA1"), 9.0, (2, 2)), reading("G1", ("FOXA1", "FOXA1"), 10.0, (2, 6)),
                      held_by={"G1": 1, "G14": 1})
    assert [r.label for r in rules] == [network.label]


def test_a_pair_more_neurons_hold_does_not_stand_for_the_whole_site_it_lies_in():
    """basset-E (session 26): the planted TP53 site alone (8.1, five neurons hold it) and a pair of its two
    half sites facing each other (7.2; whole sites of TP63, which eight neurons hold) whose arrangement is the
    site. Both name one factor, and the pair's motifs are held more widely, but neurons holding a pair's motif
    and neurons holding a site are not counts of one reading: the site stays the rule, the pair a part of it."""
    from collections import Counter

    from neuronmotif.rules import RulesConfig
    from neuronmotif.rules.hypotheses import Units
    from neuronmotif.rules.rule import Rule
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    tp53 = jaspar_motif("MA0106.3")[1]
    ppms = {"G84": tp53, "G3": tp53[:, 9:]}
    site = Rule(Verdict(("G84",), ("+",), "output 0", 8.13, 1e-30, driven={"output 0": 8.13}), ("TP53",),
                None, 1e-30, [(3, n) for n in range(5)], "TP53(+)")
    verdict = Verdict(("G3", "G3"), ("-", "+"), "output 0", 7.23, 1e-30, (0, 0), 0, 0.6, {"output 0": 7.23})
    pair = Rule(verdict, ("TP63", "TP63"), None, 1e-30, [(3, n) for n in range(8)], "TP63(-) -[0 bp]- TP63(+)",
                core_gap=0, whole_sites=True)
    units = Units(held_by={"G84": 5, "G3": 8})
    rules, rejected = select_rules([site, pair], RulesConfig(), units, ppms, Counter())
    assert [r.label for r in rules] == ["TP53(+)"]
    assert rejected[0] is pair and pair.reason.startswith("a weaker part or variant of R1 (TP53(+))")
