"""Motifs, names and grammar: segments, dictionaries, known-motif matches and syntax (issue #4)."""

import json
import shutil

import numpy as np
import pytest

from conftest import ESRRB, FLEXIBLE_SEEDS, FOXA2, KLF1, PAIR_SEEDS
from helpers.compare import align
from helpers.seeds import holds_on_most_seeds
from neuronmotif.annotate import AnnotateConfig, annotate
from neuronmotif.datasets.demo import planted_database, truth_table, voters_by_task
from neuronmotif.dictionary import build_dictionary
from neuronmotif.errors import NeuronMotifError
from neuronmotif.grammar import Combination, Item, build_combinations, gap_range, syntax_tree
from neuronmotif.model import DNAModel
from neuronmotif.motifs import jaspar_motif, load_motif_db, match_known
from neuronmotif.pairs import find_pair, pair_spacing, task_voters
from neuronmotif.ppm import CRM
from neuronmotif.segment import segment_bounds, segment_crm
from neuronmotif.sequences import reverse_complement
from neuronmotif.store import RunDirectory, meme_text


def _uniform(width: int) -> np.ndarray:
    return np.full((4, width), 0.25)


def _column_of_bits(bits: float, width: int) -> np.ndarray:
    """Columns (p, q, q, q) whose information content is ``bits``."""
    from scipy.optimize import brentq

    def ic(p):
        q = (1 - p) / 3
        return 2 + p * np.log2(p) + 3 * q * np.log2(q)

    p = brentq(lambda x: ic(x) - bits, 0.2501, 0.9999)
    return np.tile(np.array([[p], [(1 - p) / 3], [(1 - p) / 3], [(1 - p) / 3]]), (1, width))


def test_segments_use_bits_and_keep_the_last_column():
    klf1, esrrb = jaspar_motif(KLF1)[1], jaspar_motif(ESRRB)[1]
    ppm = np.concatenate([_uniform(5), klf1, _uniform(4), esrrb], axis=1)
    bounds = segment_bounds(ppm, n_sequences=5000)
    assert len(bounds) == 2
    assert bounds[1][1] == ppm.shape[1], "a motif at the CRM's end lost its last column"
    assert bounds[0][0] <= 5 and bounds[0][1] >= 5 + klf1.shape[1] - 1
    # 0.8 bits per column: above the published nats threshold (about 0.56 bits), below 1 bit
    assert segment_bounds(_column_of_bits(0.8, 20), n_sequences=5000) == []
    assert segment_bounds(_column_of_bits(1.5, 20), n_sequences=5000) == [(0, 20)]


def test_uniform_ppm_gets_no_match_but_a_jaspar_motif_does():
    rng = np.random.default_rng(0)
    near_uniform = rng.dirichlet(np.full(4, 50.0), size=20).T
    found = match_known({"uniform": _uniform(20), "near_uniform": near_uniform,
                         "klf1": jaspar_motif(KLF1)[1]}, load_motif_db())
    assert found["uniform"] == [] and found["near_uniform"] == []
    assert found["klf1"][0].target_id == KLF1 and found["klf1"][0].q_value < 1e-6


def test_bad_motif_database_is_refused_with_the_fix(tmp_path):
    with pytest.raises(NeuronMotifError, match="no such file"):
        load_motif_db(str(tmp_path / "missing.meme"))
    bad = tmp_path / "bad.meme"
    bad.write_text("this is not MEME\n")
    with pytest.raises(NeuronMotifError, match="MEME"):
        load_motif_db(str(bad))


@pytest.fixture(scope="module")
def pair_annotations(pair_run, pair_model, tmp_path_factory):
    """The pair model's run, named with JASPAR (as a user would) and with the planted matrices."""
    out, _ = pair_run
    copy = tmp_path_factory.mktemp("annotated") / "run"
    shutil.copytree(out, copy)
    jaspar = annotate(copy)
    planted = annotate(copy, db=planted_database(pair_model[1]), write=False)
    return copy, jaspar, planted


def _jaspar_ranks(annotation, planted: str) -> list[tuple[int, float]]:
    """(rank, q) of the planted TF among the JASPAR matches of every dictionary motif."""
    return [(m.rank, m.q_value) for lm in annotation.layers.values() for motif in lm.all_motifs()
            for m in annotation.matches[motif.name] if m.target_id == planted]


@pytest.fixture(scope="module")
def jaspar_annotations(pair_runs):
    """Each pair model's run named against JASPAR2024, with every significant match kept (not only 5)."""
    return {seed: annotate(pair_runs(seed)[0], AnnotateConfig(top_matches=len(load_motif_db())), write=False)
            for seed in PAIR_SEEDS}


@pytest.mark.parametrize("seed", PAIR_SEEDS)
def test_planted_jaspar_motifs_match_their_tf_significantly(jaspar_annotations, seed):
    for planted in (ESRRB, KLF1):
        q = [q for _, q in _jaspar_ranks(jaspar_annotations[seed], planted)]
        assert q and min(q) < 0.05, f"no dictionary motif matches {planted} at q < 0.05"


def test_planted_jaspar_motifs_are_named_among_the_top_five_on_most_models(jaspar_annotations):
    """What a user reads: the planted TF among a motif's five reported names.

    A small CNN learns a blurred motif whose nearest JASPAR entries can be relatives: ESRRB's AGGTCA
    half-site ranks behind PPARA, NR6A1 and ESRRA (q < 0.02 for all) on one of the three seeds here, so the
    measured rate is 2 of 3 models for both TFs at once; the test holds it at that rate.
    """
    named = [seed for seed, annotation in jaspar_annotations.items()
             if all(any(rank <= 5 for rank, _ in _jaspar_ranks(annotation, tf)) for tf in (ESRRB, KLF1))]
    assert len(named) >= 2, f"both planted TFs are among the top five names on seeds {named} only"


@pytest.mark.parametrize("seed", PAIR_SEEDS)
def test_hard_pair_is_reported_with_its_exact_gap_and_order(pair_runs, pair_models, seed):
    """ESRRB then KLF1, 3 bp apart: a hard 3-bp forward pair, and the reverse order rarer than it.

    The model is trained with reverse-order negatives (KLF1 then ESRRB), so it has no reason to hold the
    reverse order; a reverse report is a misreading (a blurred motif read as either TF, a site paired
    with a shifted copy of itself).
    """
    planted = annotate(pair_runs(seed)[0], db=planted_database(pair_models(seed)[1]), write=False)
    reports = [r for r in find_pair(planted, ESRRB, KLF1) if r.gap is not None]
    assert reports, "no neuron combines ESRRB and KLF1"
    exact = [r for r in reports if r.gap.kind == "hard" and r.gap.low == 3 and r.order == "forward"]
    assert exact, f"no hard 3-bp forward pair; reported: {[(r.order, r.gap.label()) for r in reports]}"
    forward = sum(r.n_crms for r in reports if r.order == "forward")
    reverse = sum(r.n_crms for r in reports if r.order == "reverse")
    assert reverse < forward / 4, f"the reverse order is seen in {reverse} CRMs, the planted one in {forward}"


@pytest.mark.parametrize("seed", FLEXIBLE_SEEDS)
def test_flexible_homotypic_pair_is_reported_with_its_gap_range(flexible_pair_models, flexible_runs, seed):
    """FOXA2 -2..6 bp- FOXA2 (tandem): a flexible range over the planted gaps, from the last-layer neurons that
    vote for the task.

    The CNN spreads the range over neurons (one holds 2-4 bp, another 4-6 bp) and learns others that
    fire on the pair at the hard negatives' wrong spacings to vote against the task; the votes are the
    model's own gradients on the positives.

    The CRMs are hypotheses: a CRM that still mixes two pooling offsets holds three FOXA2 sites, and its
    two adjacent pairs both count (seed 3 on one host read 3-8 bp: one CRM of 3 and 8 bp among 15
    observations). So this checks that the pooled range is flexible, spans the planted range's middle and
    starts within 1 bp of it; the measured range, both ends within 1 bp, is the model-verified rule's claim
    (``test_rules.test_flexible_tandem_pair_is_a_top_rule_with_its_range``).
    """
    model, data = flexible_pair_models(seed)
    dna = DNAModel(model)
    last = len(dna.layers)
    annotation = annotate(flexible_runs(seed), db=planted_database(data), write=False)
    reports = [r for r in find_pair(annotation, FOXA2, FOXA2) if r.layer == last and r.order == "tandem"]
    voters = task_voters(dna, last, data.tokens[data.labels[:, 0] > 0.5][:1000])
    assert 0 < len(voters) < dna.layer(last).out_channels, "every neuron votes the same way"
    spacing = pair_spacing(reports, voters)
    assert spacing is not None and spacing.kind == "flexible", spacing
    assert 1 <= spacing.low <= 3 and spacing.high >= 5 and 2 <= spacing.median <= 6, \
        f"planted 2-6 bp, reported {spacing.label()} (median {spacing.median})"
    row = truth_table(annotation, data, voters_by_task(dna, data, last))[-1]
    assert f"tandem {spacing.label()} pooled over the {len(voters)} neurons" in row.detail, row.detail


def test_a_flexible_homotypic_spacing_is_one_report_per_combination():
    """In an A A A combination, A A CRMs at 3-4 bp align to slots 0-1 and those at 5-6 bp to slots 1-2;
    find_pair still reports A-A once, with the whole 3-6 bp range."""
    from neuronmotif.annotate import Annotation, LayerMotifs
    from neuronmotif.dictionary import DictionaryMotif, NeuronDictionary
    from neuronmotif.motifs import Match
    from neuronmotif.segment import Segment

    foxa2 = jaspar_motif(FOXA2)[1]
    w = foxa2.shape[1]
    motif = DictionaryMotif(3, 0, 0, Segment(3, 0, 0, 0, w, foxa2, 1.5))
    combo = Combination([(0, "+")] * 3)
    combo.add(0, "+", [Item(0, "+", s, w) for s in (0, w + 3, 2 * w + 9)], [0, 1, 2])  # gaps 3 and 6
    for crm, gap in enumerate((3, 4, 5, 6), start=1):
        items = [Item(0, "+", 0, w), Item(0, "+", w + gap, w)]
        combo.add(crm, "+", items, combo.embed(items))
    assert {tuple(m.slots) for m in combo.members[1:]} == {(0, 1), (1, 2)}, "the set-up no longer splits the pairs"
    layer = LayerMotifs(3, 40, [], dictionaries={0: NeuronDictionary(3, 0, [motif])}, combinations={0: [combo]})
    known = Match(motif.name, 1, FOXA2, "FOXA2", 1e-8, 1e-6, 0, "+", w, w)
    annotation = Annotation({3: layer}, {motif.name: [known]}, {}, [], {})
    reports = find_pair(annotation, FOXA2, FOXA2)
    assert [(r.order, r.gap.low, r.gap.high, r.n_crms) for r in reports] == [("tandem", 3, 6, 6)]


@pytest.mark.parametrize("seed", PAIR_SEEDS)
def test_demo_truth_table_names_the_planted_motifs_and_the_pair_spacing(pair_runs, pair_models, seed):
    data = pair_models(seed)[1]
    planted = annotate(pair_runs(seed)[0], db=planted_database(data), write=False)
    rows = {r.planted: r for r in truth_table(planted, data)}
    assert rows[ESRRB].tf == "ESRRB" and rows[ESRRB].found.startswith("G")
    assert rows[KLF1].tf == "KLF1" and rows[KLF1].found.startswith("G")
    pair = rows[f"{ESRRB} {KLF1}"]
    assert pair.found != "not found" and "forward 3 bp" in pair.detail, pair.detail


def test_outputs_are_written_and_consistent(pair_annotations):
    out, jaspar, _ = pair_annotations
    for layer in (2, 3):
        doc = json.loads((out / f"layer_{layer}" / "grammar.json").read_text())
        assert doc["motif_db"].startswith("JASPAR2024") and doc["seed"] == 0 and "memelite" in doc["versions"]
        names = {m["motif"] for n in doc["neurons"] for m in n["motifs"]}
        in_meme = {line.split()[1] for line in (out / f"layer_{layer}" / "dictionary.meme").read_text().splitlines()
                   if line.startswith("MOTIF")}
        assert names == in_meme and all(n.startswith(f"L{layer}_N") and "_M" in n for n in names)
        for neuron in doc["neurons"]:
            for motif in neuron["motifs"]:
                assert motif["first_layer"] <= layer
                assert str(layer) in motif["occurs_in"] and neuron["neuron"] in motif["occurs_in"][str(layer)]
    rows = (out / "motifs.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:2] == ["motif", "representative"] and len(rows) - 1 == len(jaspar.network)
    header = (out / "layer_3" / "matches.tsv").read_text().splitlines()[0].split("\t")
    assert header[:3] == ["query", "kind", "rank"] and "q_value" in header
    assert RunDirectory(out).manifest()["annotation"]["parameters"]["motif_db"] == "JASPAR2024"


def test_the_planted_esrrb_is_traced_to_layer_2_and_to_other_neurons(jaspar_annotations):
    """The across-layer pass: a layer-3 motif matching ESRRB also occurs in layer 2 and in other layer-3
    neurons; on at least 2 of the 3 seeds (``helpers.seeds.HOST_NOTE``)."""

    def check(seed: int) -> str | None:
        annotation = jaspar_annotations[seed]
        lm = annotation.layers[3]
        esrrb = [(neuron, m) for neuron, d in lm.dictionaries.items() for m in d.motifs
                 if any(x.target_id == ESRRB for x in annotation.matches[m.name])]
        if not esrrb:
            return "no layer-3 motif matches ESRRB"
        if not any(annotation.occurs_in[m.name].get(2) for _, m in esrrb):
            return "ESRRB not traced to layer 2"
        if not any(set(annotation.occurs_in[m.name].get(3, [])) - {n} for n, m in esrrb):
            return "ESRRB in no other neuron"
        return None

    holds_on_most_seeds(check, PAIR_SEEDS)


def _planted_crms(layouts: list[dict[str, int]], width: int = 36, seed: int = 0) -> list[CRM]:
    """CRMs built by hand: JASPAR PPMs (by matrix id) at the given starts in a near-uniform background."""
    rng = np.random.default_rng(seed)
    crms = []
    for index, layout in enumerate(layouts):
        ppm = rng.dirichlet(np.full(4, 50.0), size=width).T
        for matrix_id, start in layout.items():
            motif = jaspar_motif(matrix_id)[1]
            ppm[:, start:start + motif.shape[1]] = motif
        crms.append(CRM(0, index, ppm, 2000, 1.0, 1.0))
    return crms


def test_motif_and_its_reverse_complement_are_one_entry():
    """A neuron whose CRMs hold ESRRB on both strands gets one dictionary entry with both strands.

    The CRMs are built by hand (ESRRB alone or with KLF1 downstream, at several offsets), and a
    reverse-complement twin of each is added, as a neuron that fires on both strands would have.
    """
    esrrb = jaspar_motif(ESRRB)[1]
    crms = _planted_crms([{ESRRB: 2}, {ESRRB: 5, KLF1: 20}, {ESRRB: 9, KLF1: 23}, {ESRRB: 14}])
    n = len(crms)
    crms += [CRM(0, n + i, reverse_complement(c.ppm), c.n_sequences, c.max_activation, c.consensus_activation)
             for i, c in enumerate(crms)]
    segments = [s for c in crms for s in segment_crm(c, 3)]
    dictionary = build_dictionary(segments, 3, 0)
    holding = [m for m in dictionary.motifs if align(esrrb, m.ppm).correlation > 0.8]
    assert len(holding) == 1, f"ESRRB split over {len(holding)} dictionary entries"
    strands = holding[0].strand_counts()
    assert strands == {"+": 4, "-": 4}, strands
    # and each twin CRM joins its original's combinations, read on its reverse complement
    combos = build_combinations(dictionary, crms[0].ppm.shape[1])
    assert all(c.members[0].crm_index < n for c in combos), "a reverse-complement twin started its own combination"
    joined_reversed = {m.crm_index for c in combos for m in c.members if m.crm_index >= n and m.orientation == "-"}
    assert joined_reversed == set(range(n, 2 * n))


def test_grammar_command_rebuilds_names_from_a_meme_database(pair_annotations, pair_model, tmp_path):
    from click.testing import CliRunner

    from neuronmotif.cli import main

    out, _, _ = pair_annotations
    data = pair_model[1]
    db = tmp_path / "planted.meme"
    db.write_text(meme_text([(f"{m} {data.names[m]}", p, 1) for m, p in data.ppms.items()]))
    result = CliRunner().invoke(main, ["grammar", str(out), "--motif-db", str(db)])
    assert result.exit_code == 0, result.output
    assert "KLF1" in result.output and "ESRRB" in result.output
    named = {row.split("\t")[3] for row in (out / "layer_3" / "matches.tsv").read_text().splitlines()[1:]}
    assert named <= {ESRRB, KLF1} and named


def test_alignment_to_a_combination_keeps_its_spacing():
    """A A (20 bp apart) joins the A A A combination (starts 0, 10, 30) at its 2nd and 3rd slots."""
    combo = Combination([(0, "+")] * 3)
    combo.add(0, "+", [Item(0, "+", s, 6) for s in (0, 10, 30)], [0, 1, 2])
    items = [Item(0, "+", s, 6) for s in (100, 120)]
    assert combo.embed(items) == [1, 2]
    assert combo.embed([Item(0, "+", 5, 6), Item(1, "+", 20, 6)]) is None, "a motif the combination lacks"
    combo.add(1, "+", items, [1, 2])
    assert list(combo.slot_means()) == [0.0, 10.0, 30.0]  # the new member is shifted into the frame
    assert combo.gaps(1) == [14, 14]


def test_gap_ranges_and_tree_put_the_rigid_spacing_at_the_bottom():
    hard, flexible = gap_range([3, 3, 3]), gap_range([3, 5, 6, 7, 40])
    assert (hard.kind, hard.low, hard.high) == ("hard", 3, 3)
    assert (flexible.kind, flexible.low, flexible.high) == ("flexible", 3, 7), "the 40-bp outlier is kept"
    assert gap_range([2, 9, 20]).high == 20, "outliers dropped although fewer than 80% sit near the median"
    tree = syntax_tree([{"slot": 0}, {"slot": 1}, {"slot": 2}], [flexible, hard])
    assert tree["gap"]["range"] == [3, 7]
    assert tree["children"][1] == {"gap": {"range": [3, 3], "kind": "hard"}, "children": [{"slot": 1}, {"slot": 2}]}
