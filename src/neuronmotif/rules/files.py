"""The rule stage's files: ``rules.tsv``, ``rules.json``, ``rules_unverified.tsv``, and the verified view
of the network motifs (``motifs.tsv``, with the rest in ``motifs_unverified.tsv``), and ``motifs.meme`` again
with the motifs the rule stage added. Columns in the README."""

from __future__ import annotations

import json

from ..annotation import Annotation
from ..outputs import NETWORK_COLUMNS, motif_rows
from ..store import RunDirectory, atomic_write_text, meme_text, tsv_text
from .rule import Rule, RuleSet

RULE_COLUMNS = ["rank", "rule", "label", "motifs", "names", "strands", "gap_min", "gap_max", "known_gap_min",
                "known_gap_max", "peak_gap", "known_peak_gap", "spacing", "neurons", "layers", "outputs", "effect",
                "readout", "cooperativity", "p_value", "q_value"]
UNVERIFIED_COLUMNS = [c for c in RULE_COLUMNS if c not in ("rank", "rule")] + ["reason"]


def _join(values) -> str:
    return ";".join(str(v) for v in values)


def _known(values) -> str:
    """Per adjacent pair, ';'-separated; '' when any is unknown (a motif without a known match)."""
    values = list(values)
    return "" if any(v is None for v in values) else _join(values)


def rule_row(rule: Rule) -> dict:
    """The columns of one rule, by name (:data:`RULE_COLUMNS` plus 'reason')."""
    v = rule.verdict
    known = rule.known_gaps
    return {"rank": rule.rank, "rule": rule.rule_id, "label": rule.label, "motifs": _join(v.motifs),
            "names": _join(rule.names), "strands": _join(v.strands),
            "gap_min": _join(r[0] for r in v.ranges), "gap_max": _join(r[1] for r in v.ranges),
            "known_gap_min": _known(k[0] if k else None for k in known),
            "known_gap_max": _known(k[1] if k else None for k in known),
            "peak_gap": _join(v.peaks), "known_peak_gap": _known(rule.known_peaks),
            "spacing": rule.spacing, "neurons": _join(rule.neurons),
            "layers": _join(sorted({int(n[1:].split("_")[0]) for n in rule.neurons})),
            "outputs": _join(f"{k.split()[-1]}:{val:.3g}" for k, val in rule.outputs.items()),
            "effect": f"{v.effect:.4g}", "readout": v.readout,
            "cooperativity": "" if v.cooperativity is None else f"{v.cooperativity:.3g}",
            "p_value": f"{v.p_value:.3g}", "q_value": f"{rule.q_value:.3g}", "reason": rule.reason}


def _rule_json(rule: Rule) -> dict:
    row = rule_row(rule)
    v = rule.verdict
    return {**{k: row[k] for k in ("rank", "rule", "label", "spacing", "readout", "reason")},
            "motifs": list(v.motifs), "names": list(rule.names), "strands": list(v.strands),
            "gap": None if v.gap_range is None else list(v.gap_range), "peak_gap": v.peak_gap,
            "known_gap": None if rule.known_gap is None else list(rule.known_gap),
            "known_peak_gap": rule.known_peak, "core_gap": rule.core_gap,
            "gaps": [list(r) for r in v.ranges], "peak_gaps": v.peaks,
            "known_gaps": [None if k is None else list(k) for k in rule.known_gaps],
            "neurons": rule.neurons, "holders": [f"L{layer}_N{n}" for layer, n in rule.holders],
            "outputs": rule.outputs, "driven": v.driven, "effect": v.effect, "cooperativity": v.cooperativity,
            "p_value": v.p_value, "q_value": rule.q_value, "start": v.start, "curve": v.curve}


def rules_json(found: RuleSet) -> dict:
    """The ``rules.json`` document: parameters, the ranked rules with their curves, the unverified ones."""
    return {**found.parameters, "seconds": round(found.seconds, 2), "sequences_evaluated": found.evaluated,
            "rules": [_rule_json(r) for r in found.rules],
            "unverified": [_rule_json(r) for r in found.unverified],
            "motif_status": found.motif_status}


def write_rules(store: RunDirectory, annotation: Annotation, found: RuleSet) -> None:
    """Write the rule files and the verified and unverified views of the network motifs."""
    atomic_write_text(store.path / "rules.tsv",
                      tsv_text(RULE_COLUMNS, [[rule_row(r)[c] for c in RULE_COLUMNS] for r in found.rules]))
    atomic_write_text(store.path / "rules_unverified.tsv",
                      tsv_text(UNVERIFIED_COLUMNS, [[rule_row(r)[c] for c in UNVERIFIED_COLUMNS]
                                                    for r in found.unverified]))
    atomic_write_text(store.path / "rules.json", json.dumps(rules_json(found), indent=1) + "\n")
    rows = motif_rows(annotation)
    rows.update({a.name: a.row() for a in found.derived})
    verified = [rows[name] for name, status in found.motif_status.items() if status == "verified"]
    others = [rows[name] + [status] for name, status in found.motif_status.items() if status != "verified"]
    atomic_write_text(store.path / "motifs.tsv", tsv_text(NETWORK_COLUMNS, verified))
    atomic_write_text(store.path / "motifs_unverified.tsv", tsv_text(NETWORK_COLUMNS + ["status"], others))
    atomic_write_text(store.path / "motifs.meme", meme_text([(g.name, g.representative.ppm, len(g.members))
                                                             for g in annotation.network]
                                                            + [(a.name, a.ppm, len(a.holders)) for a in found.derived]))
    store.record("rules", {**found.parameters, "n_rules": len(found.rules)})
