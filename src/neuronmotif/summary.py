"""The terminal summary of a run's motifs and grammar: per layer, the distinct motifs, the most used named
motifs and named pairs (ties in a stable order), and why a layer has no motif."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .annotation import Annotation, LayerMotifs, combination_gaps, gap_label, motif_label
from .dictionary import NeuronDictionary
from .grammar import Combination
from .segment import SegmentConfig, smoothed_information


@dataclass(frozen=True)
class LayerSummary:
    """One row of the terminal summary."""

    layer: int
    n_motifs: int
    named: list[tuple[str, int]]
    pairs: list[tuple[str, int]]
    note: str = ""


def _named_pairs(combination: Combination, dictionary: NeuronDictionary, annotation: Annotation) -> set[str]:
    """'A -[gap]- B' for each adjacent slot pair of a combination whose two motifs are both named."""
    labels = set()
    gaps = combination_gaps(combination, dictionary, annotation, annotation.config.grammar)
    for j, (plain, known) in enumerate(gaps):
        (ma, sa), (mb, sb) = combination.keys[j], combination.keys[j + 1]
        a, b = dictionary.motifs[ma], dictionary.motifs[mb]
        if annotation.best_match(a) and annotation.best_match(b):
            first, second = motif_label(a, sa, annotation), motif_label(b, sb, annotation)
            labels.add(f"{first} {gap_label(plain, known)} {second}")
    return labels


def summarize(annotation: Annotation, top: int = 3) -> list[LayerSummary]:
    """Per layer: distinct motifs, the most used named motifs and named adjacent pairs (counted in neurons)."""
    rows = []
    for layer, lm in sorted(annotation.layers.items()):
        named: Counter[str] = Counter()
        for g in annotation.network:
            best = annotation.best_match(g.representative)
            if best is not None and g.neurons_per_layer.get(layer):
                named[best.target_name] += g.neurons_per_layer[layer]
        pairs: Counter[str] = Counter()
        for neuron, found in lm.combinations.items():
            pairs.update(set().union(*[_named_pairs(c, lm.dictionaries[neuron], annotation) for c in found]))
        n_motifs = sum(1 for g in annotation.network if g.neurons_per_layer.get(layer))
        rows.append(LayerSummary(layer, n_motifs, _most_common(named, top), _most_common(pairs, top),
                                 "" if n_motifs else _why_no_motifs(lm, annotation.config.segment)))
    return rows


def _most_common(counts: Counter[str], top: int) -> list[tuple[str, int]]:
    """The ``top`` most frequent labels, ties in alphabetical order (stable across runs)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def _why_no_motifs(lm: LayerMotifs, config: SegmentConfig) -> str:
    """Why a layer has no motif: no CRM, or no CRM with a run of informative columns."""
    crms = [c for r in lm.neurons for c in r.crms]
    if not crms:
        return "no CRMs: every neuron is dead (see neurons.tsv)"
    best = max(float(smoothed_information(c.ppm, c.n_sequences, config).max()) for c in crms)
    return (f"no CRM has {config.min_length} bp above {config.ic_min:g} bit (best smoothed column: {best:.2f} bit); "
            f"its neurons fire on weak, spread-out patterns, or lower --ic-min")


