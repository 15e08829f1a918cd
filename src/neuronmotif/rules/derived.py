"""Network motifs the rule stage adds: sites assembled from pieces, and known sites cut out of composites."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..annotation import NetworkMotif
from ..dictionary import DictionaryMotif
from ..motifs import Match
from ..sequences import decode


@dataclass
class DerivedMotif:
    """A network motif made by the rule stage (:mod:`~neuronmotif.rules.assemble`, :mod:`~neuronmotif.rules.sites`).

    Attributes
    ----------
    name : str
        Network motif id ('G<k>', after the annotation's own).
    ppm : np.ndarray
        (4, w)
    origin : str
        Where it comes from, e.g. 'assembled from G2(-) -[-3 bp]- G2(+)' or 'cut from G5 columns 3-10'.
    match : Match or None
        Best known match.
    holders : list of (layer, neuron)
        Neurons whose dictionaries hold the motifs it comes from.
    first_layer : int
    pieces : tuple of str
        Assembled motifs: the network motifs it was assembled from (empty for a cut piece).
    """

    name: str
    ppm: np.ndarray
    origin: str
    match: Match | None
    holders: list[tuple[int, int]]
    first_layer: int
    pieces: tuple[str, ...] = ()

    def row(self) -> list:
        """Its ``motifs.tsv`` row (columns of :data:`~neuronmotif.outputs.NETWORK_COLUMNS`): the
        representative column tells its origin; it has no dictionary members of its own."""
        best = self.match
        per_layer = ",".join(f"L{k}:{v}" for k, v in sorted(Counter(layer for layer, _ in self.holders).items()))
        return [self.name, self.origin, self.ppm.shape[1], decode(self.ppm.argmax(axis=0)),
                best.target_id if best else "", best.target_name if best else "",
                f"{best.q_value:.3g}" if best else "", self.first_layer, len(self.holders), per_layer, 0]


def held_network_motif(name: str, representative: DictionaryMotif, holders: list[tuple[int, int]],
                       first_layer: int) -> NetworkMotif:
    """A network motif the rule stage makes (a cut piece, an assembled site), held where the motifs it comes
    from are: its representative, and one stand-in with the same segment per other neuron in ``holders``."""
    here = (representative.layer, representative.neuron)
    members = [representative] + [DictionaryMotif(layer, neuron, representative.index, representative.representative)
                                  for layer, neuron in sorted(set(holders) - {here})]
    return NetworkMotif(name, representative, members, first_layer)


__all__ = ["DerivedMotif", "held_network_motif"]
