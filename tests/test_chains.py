"""Chains of three motifs (``neuronmotif.rules.chains``): a model that needs all three is reported as one rule
with the spacing of each adjacent pair; two pairs that share a motif and merely add up are not a chain.

The models are hand-built (exact 8-bp detectors, no training): what they need is known by construction.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from helpers.exact_sites import consensus_ppm, site_arrangement_model
from neuronmotif.model import DNAModel
from neuronmotif.rules.config import RulesConfig
from neuronmotif.rules.hypotheses import Units
from neuronmotif.rules.rule import Rule
from neuronmotif.rules.verdicts import Benches

A, B, C = "GATTACAG", "CCGTTGCC", "TTTTGGGG"
GAP_AB, GAP_BC = 3, 5


def _chain_model(mode: str):
    """Three exact detectors (conv 1); conv 2 reads A, then B 3 bp after A, then C 5 bp after B.
    ``mode`` 'and': the one output needs all three; 'pairs': it adds an A-B detector and a B-C detector
    (two pair rules that share B)."""
    pytest.importorskip("torch")
    b_at, c_at = 8 + GAP_AB, 8 + GAP_AB + 8 + GAP_BC
    taps = [{0: 0, 1: b_at, 2: c_at}, {0: 0, 1: b_at}, {1: b_at, 2: c_at}]

    def head(found):
        return found[:, :1] * 10 if mode == "and" else (found[:, 1:2] + found[:, 2:3]) * 10

    return DNAModel(site_arrangement_model([A, B, C], taps, [-2.5, -1.5, -1.5], head))


def _network():
    from helpers.toy_annotation import annotation_with_network

    annotation = annotation_with_network({"G1": consensus_ppm(A), "G2": consensus_ppm(B), "G3": consensus_ppm(C)})
    return {g.name: g for g in annotation.network}


def _measure(mode: str, held=(GAP_AB, GAP_BC), seed: int = 0):
    from neuronmotif.rules.chains import ChainHypothesis, measure_chain

    hypothesis = ChainHypothesis(("G1", "+", "G2", "+", "G3", "+"), held, 1000, frozenset({(2, 0)}))
    return measure_chain(Benches(_chain_model(mode), RulesConfig(seed=seed)), _network(), hypothesis, [(2, 0)])


@pytest.mark.parametrize("seed", [0, 1])
def test_a_model_that_needs_three_motifs_gives_a_chain_with_each_pairs_hard_gap(seed):
    """Held 2 bp off at both gaps, the chain is scanned around them and found at its own: 3 bp, then 5 bp, hard."""
    verdict = _measure("and", held=(GAP_AB + 2, GAP_BC - 2), seed=seed)
    assert verdict is not None
    assert verdict.motifs == ("G1", "G2", "G3") and verdict.readout == "output 0"
    assert verdict.chain_peaks == (GAP_AB, GAP_BC)
    assert verdict.chain_gaps == ((GAP_AB, GAP_AB), (GAP_BC, GAP_BC))
    assert verdict.cooperativity > 0.9 and verdict.p_value < 1e-6
    assert len(verdict.curve["pairs"]) == 2


@pytest.mark.parametrize(("neighbour", "expected"), [(0.8, (GAP_BC, GAP_BC)), (1.0, (GAP_BC, GAP_BC + 1))])
def test_a_chain_pair_read_at_its_gap_and_one_bp_off_is_hard_unless_the_model_answers_both_alike(
        neighbour, expected):
    """An AND of three answered fully with C 5 bp after B and at ``neighbour`` of that 6 bp after: at 80% the
    neighbour is in the scan's core (over 3/4 of the peak), and the fresh backgrounds settle the second pair as
    hard at 5 bp, as for a pair; answered alike, its range is both gaps. The first pair stays hard at 3 bp."""
    from neuronmotif.rules.chains import ChainHypothesis, measure_chain

    pytest.importorskip("torch")
    b_at, c_at = 8 + GAP_AB, 8 + GAP_AB + 8 + GAP_BC
    taps = [{0: 0, 1: b_at, 2: c_at}, {0: 0, 1: b_at, 2: c_at + 1}]

    def head(found):
        return 10 * (found[:, :1] + neighbour * found[:, 1:])

    model = DNAModel(site_arrangement_model([A, B, C], taps, [-2.5, -2.5], head))
    hypothesis = ChainHypothesis(("G1", "+", "G2", "+", "G3", "+"), (GAP_AB, GAP_BC), 1000, frozenset({(2, 0)}))
    verdict = measure_chain(Benches(model, RulesConfig(seed=0)), _network(), hypothesis, [(2, 0)])
    assert verdict.chain_gaps == ((GAP_AB, GAP_AB), expected), verdict.chain_gaps
    assert verdict.chain_peaks[1] in expected and verdict.cooperativity > 0.9


def test_two_pairs_that_share_a_motif_and_add_up_are_not_a_chain():
    """ABC - AB - BC - AC + A + B + C is 0 when the output sums an A-B detector and a B-C detector: selection keeps
    the chain out with its reason, although all three together answer most."""
    from neuronmotif.rules.select import select_rules

    verdict = _measure("pairs")
    assert verdict is not None and verdict.effect > 5  # both pair detectors fire (5 each on exact sites)
    assert abs(verdict.cooperativity) < 0.1
    chain = Rule(verdict, ("", "", ""), None, 1e-9, [(2, 0)], "G1(+) -[3 bp]- G2(+) -[5 bp]- G3(+)")
    ppms = {name: g.representative.ppm for name, g in _network().items()}
    rules, rejected = select_rules([chain], RulesConfig(), Units(), ppms, Counter())
    assert rules == [] and rejected[0].reason.startswith("its pairs add up")


def test_a_chain_stands_for_the_pairs_inside_it_and_its_row_has_each_pairs_spacing():
    """A pair of the chain's first two motifs at the chain's gap, weaker than the chain, is a part of it; the
    chain's rules.tsv row gives both pairs' gaps in order, ';'-separated."""
    from neuronmotif.rules.files import rule_row
    from neuronmotif.rules.select import select_rules
    from neuronmotif.rules.verdicts import Verdict

    verdict = _measure("and")
    chain = Rule(verdict, ("", "", ""), None, 1e-9, [(2, 0)], "G1(+) -[3 bp]- G2(+) -[5 bp]- G3(+)")
    pair = Rule(Verdict(("G1", "G2"), ("+", "+"), "output 0", 0.5 * verdict.effect, 1e-9, (GAP_AB, GAP_AB), GAP_AB,
                        0.9, {"output 0": 4.0}), ("", ""), None, 1e-9, [(2, 0)], "G1(+) -[3 bp]- G2(+)")
    ppms = {name: g.representative.ppm for name, g in _network().items()}
    rules, rejected = select_rules([pair, chain], RulesConfig(), Units(), ppms, Counter())
    assert rules == [chain] and chain.rank == 1
    assert rejected == [pair] and "part or variant of R1" in pair.reason
    row = rule_row(chain)
    assert (row["motifs"], row["strands"]) == ("G1;G2;G3", "+;+;+")
    assert (row["gap_min"], row["gap_max"], row["peak_gap"], row["spacing"]) == ("3;5", "3;5", "3;5", "hard;hard")


def test_chains_are_read_from_three_sites_side_by_side_in_one_crm_and_extend_reported_pairs_first():
    from neuronmotif.rules.chains import chain_hypotheses
    from neuronmotif.rules.orientation import canonical_chain
    from neuronmotif.rules.verdicts import Verdict

    # a chain and its reverse complement are one, with the gaps reversed
    assert canonical_chain(("G3", "-", "G2", "-", "G1", "-"), (5, 3)) == (("G1", "+", "G2", "+", "G3", "+"), (3, 5))
    held = {("G1", "+", "G2", "+", "G3", "+"): Counter({(3, 5): 100, (4, 5): 20}),
            ("G4", "+", "G5", "+", "G6", "+"): Counter({(0, 0): 900}),
            ("G1", "+", "G7", "+", "G8", "+"): Counter({(1, 1): 5000}),
            ("G4", "+", "G5", "-", "G4", "-"): Counter({(1, 2): 3000}),
            ("G5", "+", "G6", "+", "G9", "+"): Counter({(1, 2): 2000})}
    neurons = {key: {(2, 0)} for key in held}
    tested = {f"G{k}" for k in range(1, 10)} - {"G8"}
    units = Units(similar={"G6": {"G9"}, "G9": {"G6"}})
    pair = Rule(Verdict(("G3", "G2"), ("-", "-"), "output 0", 1.0, 1e-9, (5, 5), 5), ("", ""), None, 1e-9, [], "")
    found = chain_hypotheses(held, neurons, [pair], tested, units, 3)
    # G2-G3 is a reported pair (read on the other strand): its chain first, at its most held gaps; then by support.
    # G8 was never inserted alone; G4 twice, and two similar units (G6, G9), are left to the pairs
    assert [(h.chain, h.gaps, h.support) for h in found] == [
        (("G1", "+", "G2", "+", "G3", "+"), (3, 5), 120), (("G4", "+", "G5", "+", "G6", "+"), (0, 0), 900)]
    assert chain_hypotheses(held, neurons, [pair], tested, units, 0) == []


def test_a_chain_whose_adjacent_motifs_overlap_is_pieces_of_one_site():
    """bd10-D (session 23): a MEF2C site beside two overlapping pieces of the MYOD1 E-box answered beyond its
    pairs, as a chain; two of its motifs overlapping at the peak are one site cut in pieces, not two sites."""
    from neuronmotif.rules.select import select_rules

    verdict = _measure("and")
    ppms = {name: g.representative.ppm for name, g in _network().items()}
    whole = Rule(verdict, ("", "", ""), None, 1e-9, [(2, 0)], "chain", core_gap=3)
    pieces = Rule(verdict, ("", "", ""), None, 1e-9, [(2, 0)], "chain", core_gap=-3)
    assert select_rules([whole], RulesConfig(), Units(), ppms, Counter())[0] == [whole]
    rules, rejected = select_rules([pieces], RulesConfig(), Units(), ppms, Counter())
    assert rules == [] and "overlap by 3 bp at the peak: pieces of one site" in rejected[0].reason


def test_the_screen_keeps_a_chain_the_model_needs_and_drops_one_it_ignores():
    """Read at their held gaps, the AND of three is kept; the same motifs held at gaps the model does not read, and
    a chain on a model whose pair detectors merely add up, score nothing and are not measured."""
    from neuronmotif.rules.chains import ChainHypothesis, screen_chains

    def hypothesis(gaps):
        return ChainHypothesis(("G1", "+", "G2", "+", "G3", "+"), gaps, 1000, frozenset({(2, 0)}))

    wanted, elsewhere = hypothesis((GAP_AB, GAP_BC)), hypothesis((GAP_AB + 4, GAP_BC + 4))
    benches = Benches(_chain_model("and"), RulesConfig(seed=0))
    assert screen_chains(benches, _network(), [elsewhere, wanted], 4) == [wanted]
    assert screen_chains(benches, _network(), [elsewhere, wanted], 0) == []
    assert screen_chains(Benches(_chain_model("pairs"), RulesConfig(seed=0)), _network(), [wanted], 4) == []


def test_chains_are_three_adjacent_unit_sites_of_one_crm_with_their_gaps_and_neurons():
    """A CRM holding A, B, C side by side (gaps 3 and 5) and its reverse complement in another neuron's CRM
    are one chain, weighted by the sequences each CRM holds; two sites overlapping by more than half a motif
    are no chain."""
    from neuronmotif.annotation import Annotation, LayerMotifs, NetworkMotif
    from neuronmotif.dictionary import DictionaryMotif, NeuronDictionary, Occurrence
    from neuronmotif.ppm import CRM
    from neuronmotif.rules.orientation import chain_gaps, crm_sites
    from neuronmotif.segment import Segment
    from neuronmotif.store import NeuronResult

    length = 40
    ppms = {site: consensus_ppm(site) for site in (A, B, C)}

    def neuron(index, places):
        """places: site -> [(crm, start, strand)]."""
        motifs = []
        for k, (site, found) in enumerate(places.items()):
            motif = DictionaryMotif(1, index, k, Segment(1, index, 0, 0, 8, ppms[site], 1.0))
            motif.occurrences = [Occurrence(Segment(1, index, crm, start, start + 8, ppms[site], 1.0), k, start, 8,
                                            strand) for crm, start, strand in found]
            motifs.append(motif)
        return motifs

    forward = neuron(0, {A: [(0, 2, "+"), (1, 2, "+")], B: [(0, 13, "+"), (1, 6, "+")],
                         C: [(0, 26, "+"), (1, 26, "+")]})
    # neuron 1 holds the chain's reverse complement: C(-) at 2, B(-) at 15 (gap 5), A(-) at 26 (gap 3)
    backward = neuron(1, {A: [(0, 26, "-")], B: [(0, 15, "-")], C: [(0, 2, "-")]})
    crms = {0: [CRM(0, i, np.full((4, length), 0.25), n, 1.0, 1.0) for i, n in enumerate((600, 300))],
            1: [CRM(1, 0, np.full((4, length), 0.25), 100, 1.0, 1.0)]}
    layer = LayerMotifs(1, length, [NeuronResult(k, "ok", crms=crms[k]) for k in (0, 1)],
                        dictionaries={0: NeuronDictionary(1, 0, forward), 1: NeuronDictionary(1, 1, backward)})
    network = [NetworkMotif(name, motif, [motif, other], 1)
               for name, motif, other in zip(("G1", "G2", "G3"), forward, backward, strict=True)]
    annotation = Annotation({1: layer}, {}, {}, network, {"motif_db": "JASPAR2024"})
    held, neurons = chain_gaps(annotation, crm_sites(annotation, Units()))
    # CRM 1 of neuron 0 has B 4 bp into A (overlapping by half of it): no chain
    assert held == {("G1", "+", "G2", "+", "G3", "+"): Counter({(3, 5): 700})}, held
    assert neurons == {("G1", "+", "G2", "+", "G3", "+"): {(1, 0), (1, 1)}}
