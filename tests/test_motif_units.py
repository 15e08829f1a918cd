"""Which network motifs are one site: a motif is a copy of another only when their TFs are relatives (#14)."""

import numpy as np

from helpers.toy_annotation import annotation_with_network
from neuronmotif.motifs import load_motif_db
from neuronmotif.rules.hypotheses import decompose

# bd10-B (seed 2 run on an AMD EPYC host, BENCHMARKS.md session 18): the network's Sox motif with a FOX-like
# flank, TGTATACAATGG, and its Oct motif ATGCAAACAA, whose AAACAA aligns to that flank
SOX_WITH_FLANK = [[0.03, 0.03, 0.03, 0.91], [0.12, 0.01, 0.87, 0.01], [0.02, 0.16, 0.01, 0.82],
                  [0.92, 0.02, 0.01, 0.05], [0.13, 0.23, 0.02, 0.62], [0.98, 0.01, 0.01, 0.01],
                  [0.02, 0.96, 0.01, 0.01], [0.81, 0.13, 0.03, 0.03], [0.92, 0.02, 0.03, 0.04],
                  [0.06, 0.04, 0.01, 0.89], [0.06, 0.01, 0.84, 0.08], [0.02, 0.05, 0.9, 0.04]]
OCT = [[0.9, 0.02, 0.04, 0.04], [0.04, 0.03, 0.03, 0.9], [0.05, 0.03, 0.88, 0.04], [0.05, 0.83, 0.05, 0.08],
       [0.9, 0.04, 0.03, 0.03], [0.73, 0.06, 0.04, 0.18], [0.93, 0.04, 0.02, 0.01], [0.11, 0.83, 0.02, 0.03],
       [0.84, 0.09, 0.02, 0.05], [0.78, 0.12, 0.05, 0.05]]


def _ppm(columns: list[list[float]]) -> np.ndarray:
    ppm = np.array(columns).T
    return ppm / ppm.sum(axis=0)


def test_a_sox_motif_and_an_oct_motif_that_align_on_a_flank_are_two_units_not_copies():
    """On that model the Oct motif was folded as a copy of the Sox motif, so the planted SOX2 -1 bp- POU5F1
    pair was never put to the model (2 of 3 planted rules; with this check, 3 of 3 and the pair exact)."""
    annotation = annotation_with_network({"G1": _ppm(SOX_WITH_FLANK), "G2": _ppm(OCT)})
    names = [annotation.best_match(g.representative).target_name for g in annotation.network]
    assert names == ["SOX2", "POU5F1"]
    units = decompose(annotation, None, load_motif_db("JASPAR2024"))
    assert units.folded == {} and units.parts("G1") == ["G1"] and units.parts("G2") == ["G2"]


def test_a_motif_the_top_layers_crm_holds_once_is_no_pair_of_copies():
    """A top-layer CRM holding a motif twice proposes the pair of copies, weighted by its sequences; a motif
    each CRM holds once proposes none (it was proposed from every occurrence, and such pairs of one motif
    crowded the planted heterotypic pairs out of the hypotheses scanned: basset-D, BENCHMARKS.md session 19)."""
    from neuronmotif.annotation import Annotation, LayerMotifs, NetworkMotif
    from neuronmotif.dictionary import DictionaryMotif, NeuronDictionary, Occurrence
    from neuronmotif.ppm import CRM
    from neuronmotif.rules.hypotheses import Units, pair_hypotheses
    from neuronmotif.segment import Segment
    from neuronmotif.store import NeuronResult

    ppm = _ppm(OCT)
    crms = [CRM(0, i, np.full((4, 40), 0.25), n, 1.0, 1.0) for i, n in enumerate((700, 300))]

    def motif(index, places):
        motif = DictionaryMotif(1, 0, index, Segment(1, 0, 0, 0, ppm.shape[1], ppm, 1.0))
        motif.occurrences = [Occurrence(Segment(1, 0, crm, start, start + ppm.shape[1], ppm, 1.0), index, start,
                                        ppm.shape[1], "+") for crm, start in places]
        return motif

    twice, once = motif(0, [(0, 0), (0, 20)]), motif(1, [(0, 12), (1, 3)])
    dictionary = NeuronDictionary(1, 0, [twice, once])
    layer = LayerMotifs(1, 40, [NeuronResult(0, "ok", crms=crms)], dictionaries={0: dictionary})
    network = [NetworkMotif("G1", twice, [twice], 1), NetworkMotif("G2", once, [once], 1)]
    found = pair_hypotheses(Annotation({1: layer}, {}, {}, network, {"motif_db": "JASPAR2024"}), Units())
    assert [(h.motifs, h.support) for h in found] == [(("G1", "G1"), 700)]
