"""Hand-made annotations: network motifs from given PPMs, without a model or a run."""

from __future__ import annotations

import numpy as np

from neuronmotif.annotation import Annotation, NetworkMotif
from neuronmotif.dictionary import DictionaryMotif
from neuronmotif.motifs import load_motif_db, match_known
from neuronmotif.segment import Segment


def annotation_with_network(ppms: dict[str, np.ndarray], layer: int = 1) -> Annotation:
    """An Annotation whose network motifs are ``ppms`` (id -> (4, w)), each held by one neuron of
    ``layer``, named against JASPAR2024."""
    network, queries = [], {}
    for k, (name, ppm) in enumerate(ppms.items()):
        segment = Segment(layer, k, 0, 0, ppm.shape[1], ppm, 1.0)
        motif = DictionaryMotif(layer, k, 0, segment)
        network.append(NetworkMotif(name, motif, [motif], layer))
        queries[motif.name] = ppm
    matches = match_known(queries, load_motif_db("JASPAR2024"), 0.05, 5)
    return Annotation({}, matches, {}, network, {"motif_db": "JASPAR2024"})
