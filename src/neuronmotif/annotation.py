"""What the motif, name and grammar stage finds: its settings and results, and the labels of its pairs.

:class:`Annotation` holds, per layer (:class:`LayerMotifs`), every neuron's segments, dictionary and
combinations, plus the known-motif matches of the whole run and the network's distinct motifs
(:class:`NetworkMotif`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cached_property

from .dictionary import DictionaryConfig, DictionaryMotif, NeuronDictionary
from .grammar import Combination, GapRange, GrammarConfig, gap_range, known_gaps, orient
from .motifs import Match, MotifDatabase
from .segment import Segment, SegmentConfig
from .store import NeuronResult


@dataclass(frozen=True)
class AnnotateConfig:
    """Every parameter of the motif, name and grammar stage (recorded in run.json and grammar.json).

    Attributes
    ----------
    segment, dictionary, grammar : stage configs
    motif_db : str
        'JASPAR2022', 'JASPAR2024', 'JASPAR2026' (CORE vertebrates) or a MEME file.
    match_q : float
        q-value below which a known-motif match is reported.
    top_matches : int
        Matches kept per query.
    occurrence_q : float
        q-value below which a segment counts as an occurrence of a dictionary motif in another neuron.
    """

    segment: SegmentConfig = field(default_factory=SegmentConfig)
    dictionary: DictionaryConfig = field(default_factory=DictionaryConfig)
    grammar: GrammarConfig = field(default_factory=GrammarConfig)
    motif_db: str = "JASPAR2024"
    match_q: float = 0.05
    top_matches: int = 5
    occurrence_q: float = 0.01

    def parameters(self) -> dict:
        return {**{f"segment.{k}": v for k, v in asdict(self.segment).items()},
                **{f"dictionary.{k}": v for k, v in asdict(self.dictionary).items()},
                **{f"grammar.{k}": v for k, v in asdict(self.grammar).items()},
                "motif_db": self.motif_db, "match_q": self.match_q, "top_matches": self.top_matches,
                "occurrence_q": self.occurrence_q}


@dataclass
class LayerMotifs:
    """One layer's segments, dictionaries and combinations, by neuron."""

    layer: int
    crm_length: int
    neurons: list[NeuronResult]
    segments: dict[int, list[Segment]] = field(default_factory=dict)
    dictionaries: dict[int, NeuronDictionary] = field(default_factory=dict)
    combinations: dict[int, list[Combination]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def all_segments(self) -> list[Segment]:
        return [s for n in sorted(self.segments) for s in self.segments[n]]

    def all_motifs(self) -> list[DictionaryMotif]:
        return [m for n in sorted(self.dictionaries) for m in self.dictionaries[n].motifs]


@dataclass
class NetworkMotif:
    """A distinct motif of the whole network: dictionary motifs merged across neurons and layers.

    Attributes
    ----------
    name : str
        'G<k>', numbered by the number of neurons using it (most first).
    representative : DictionaryMotif
    members : list of DictionaryMotif
    first_layer : int
        Earliest layer where a member occurs (in a dictionary or as a matching segment).
    """

    name: str
    representative: DictionaryMotif
    members: list[DictionaryMotif]
    first_layer: int

    @cached_property
    def neurons_per_layer(self) -> dict[int, int]:
        """Layer -> number of neurons whose dictionary holds a member."""
        return dict(sorted(Counter(layer for layer, _ in {(m.layer, m.neuron) for m in self.members}).items()))


@dataclass
class Annotation:
    """Everything :func:`annotate` found in a run directory."""

    layers: dict[int, LayerMotifs]
    matches: dict[str, list[Match]]
    occurs_in: dict[str, dict[int, list[int]]]
    network: list[NetworkMotif]
    parameters: dict
    config: AnnotateConfig = field(default_factory=AnnotateConfig)
    #: the known motifs that named them (None: load ``config.motif_db``)
    db: MotifDatabase | None = field(default=None, repr=False)

    @property
    def db_source(self) -> str:
        """Which known-motif database named the motifs."""
        return self.parameters["motif_db"]

    def best_match(self, motif: DictionaryMotif) -> Match | None:
        found = self.matches.get(motif.name)
        return found[0] if found else None

    def combination_label(self, layer: int, neuron: int, index: int) -> str:
        layer_motifs = self.layers[layer]
        return combination_label(layer_motifs.combinations[neuron][index], layer_motifs.dictionaries[neuron],
                                 self, self.config.grammar)


def motif_label(motif: DictionaryMotif, strand: str, annotation: Annotation) -> str:
    best = annotation.best_match(motif)
    if best is None:
        return f"{motif.name}({strand})"
    return f"{best.target_name}({orient(strand, best.strand)})"


def gap_label(plain: GapRange | None, known: GapRange | None) -> str:
    """'-[3 bp]-': the known motifs' gap when both are named, else the dictionary motifs' gap."""
    shown = known or plain
    return f"-[{shown.label() if shown else '?'}]-"


def combination_gaps(combination: Combination, dictionary: NeuronDictionary, annotation: Annotation,
                     config: GrammarConfig) -> list[tuple[GapRange | None, GapRange | None]]:
    """(gap between dictionary motifs, gap between their known matches) for each adjacent slot pair."""
    best = {m.index: b for m in dictionary.motifs if (b := annotation.best_match(m)) is not None}
    out = []
    for j in range(len(combination.keys) - 1):
        weights = combination.gap_weights(j)
        known = known_gaps(combination, j, best)
        out.append((gap_range(combination.gaps(j), config, weights),
                    gap_range(known, config, weights if known else None)))
    return out


def combination_label(combination: Combination, dictionary: NeuronDictionary, annotation: Annotation,
                       config: GrammarConfig) -> str:
    parts = []
    gaps = combination_gaps(combination, dictionary, annotation, config)
    for j, (motif, strand) in enumerate(combination.keys):
        parts.append(motif_label(dictionary.motifs[motif], strand, annotation))
        if j < len(gaps):
            parts.append(gap_label(*gaps[j]))
    return " ".join(parts)


