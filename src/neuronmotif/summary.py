"""The terminal summary of a run's motifs and grammar: per layer, the distinct motifs, the most used named
motifs (ties in a stable order) and why a layer has no motif; and the network's top rules."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .annotation import Annotation, LayerMotifs
from .rules import RuleSet
from .segment import SegmentConfig, smoothed_information


@dataclass(frozen=True)
class LayerSummary:
    """One row of the terminal summary."""

    layer: int
    n_motifs: int
    named: list[tuple[str, int]]
    note: str = ""


def summarize(annotation: Annotation, top: int = 3) -> list[LayerSummary]:
    """Per layer: distinct motifs and the most used named motifs (counted in neurons). The grammar is in the
    rules (:func:`rule_lines`), which the model verified."""
    rows = []
    for layer, lm in sorted(annotation.layers.items()):
        named: Counter[str] = Counter()
        for g in annotation.network:
            best = annotation.best_match(g.representative)
            if best is not None and g.neurons_per_layer.get(layer):
                named[best.target_name] += g.neurons_per_layer[layer]
        n_motifs = sum(1 for g in annotation.network if g.neurons_per_layer.get(layer))
        rows.append(LayerSummary(layer, n_motifs, _most_common(named, top),
                                 "" if n_motifs else _why_no_motifs(lm, annotation.config.segment)))
    return rows


def rule_lines(found: RuleSet, top: int = 10) -> list[list[str]]:
    """The top rules as text cells: rule id, label, spacing, what it drives, effect and q-value."""
    lines = []
    for rule in found.rules[:top]:
        v = rule.verdict
        drives = ", ".join(k for k in rule.outputs) or v.readout
        if rule.neurons:
            drives += f"; {len(rule.neurons)} neuron{'s' * (len(rule.neurons) > 1)}"
        spacing = rule.spacing or "single motif"
        if rule.spacing == "flexible":  # where in its range the pair works best
            spacing += f", {rule.peak_label}"
        lines.append([rule.rule_id, rule.label, spacing, drives, f"{v.effect:.3g}", f"{rule.q_value:.2g}"])
    return lines


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


