"""The files of the motif, name and grammar stage: ``layer_<l>/dictionary.meme``, ``matches.tsv``,
``grammar.json`` (schema in the README), and the network's ``motifs.tsv`` and ``motifs.meme``."""

from __future__ import annotations

import json

from .annotation import Annotation, LayerMotifs, combination_gaps, combination_label
from .grammar import GapRange, GrammarConfig, syntax_tree
from .motifs import MATCH_COLUMNS, Match
from .names import combination_id, crm_name
from .sequences import decode
from .store import NeuronResult, RunDirectory, atomic_write_text, meme_text, tsv_text


def _match_json(match: Match | None) -> dict | None:
    if match is None:
        return None
    return {"id": match.target_id, "name": match.target_name, "q_value": match.q_value, "p_value": match.p_value,
            "offset": match.offset, "strand": match.strand, "overlap": match.overlap}


def _gap_json(g: GapRange | None) -> dict | None:
    if g is None:
        return None
    return {"range": [g.low, g.high], "kind": g.kind, "median": g.median,
            "counts": {str(k): v for k, v in sorted(g.counts.items())}}


def _neuron_json(lm: LayerMotifs, result: NeuronResult, annotation: Annotation, config: GrammarConfig) -> dict:
    dictionary = lm.dictionaries[result.neuron]
    motifs = []
    for m in dictionary.motifs:
        motifs.append({
            "motif": m.name, "width": m.width, "consensus": decode(m.ppm.argmax(axis=0)),
            "n_crms": m.n_crms, "strands": m.strand_counts(),
            "occurrences": [{"crm": o.segment.crm, "segment": [o.segment.start, o.segment.end], "start": o.start,
                             "strand": o.strand} for o in m.occurrences],
            "matches": [_match_json(x) for x in annotation.matches.get(m.name, [])],
            "first_layer": min(annotation.occurs_in[m.name]),
            "occurs_in": {str(k): v for k, v in annotation.occurs_in[m.name].items()}})
    combinations = []
    for k, combo in enumerate(lm.combinations[result.neuron]):
        cid = combination_id(lm.layer, result.neuron, k)
        gaps = combination_gaps(combo, dictionary, annotation, config)
        leaves = [{"slot": j, "motif": dictionary.motifs[motif].name, "strand": strand,
                   "known": _match_json(annotation.best_match(dictionary.motifs[motif]))}
                  for j, (motif, strand) in enumerate(combo.keys)]
        combinations.append({
            "combination": cid, "label": combination_label(combo, dictionary, annotation, config),
            "slots": leaves,
            "gaps": [{"after_slot": j, "gap": _gap_json(plain), "known_gap": _gap_json(known)}
                     for j, (plain, known) in enumerate(gaps)],
            "tree": syntax_tree(leaves, [known or plain for plain, known in gaps]),
            "crms": [{"crm": crm_name(lm.layer, result.neuron, m.crm_index), "orientation": m.orientation,
                      "slots": m.slots, "starts": [i.start for i in m.items]} for m in combo.members],
            "first_layer": min(annotation.occurs_in[cid]),
            "occurs_in": {str(k): v for k, v in annotation.occurs_in[cid].items()}})
    return {"neuron": result.neuron, "status": result.status, "n_crms": len(result.crms), "motifs": motifs,
            "combinations": combinations}


def grammar_json(lm: LayerMotifs, annotation: Annotation) -> dict:
    """The layer's grammar.json document (schema in the README)."""
    config = annotation.config.grammar
    return {"layer": lm.layer, "crm_length": lm.crm_length, "motif_db": annotation.db_source,
            **annotation.parameters,
            "neurons": [_neuron_json(lm, r, annotation, config) for r in lm.neurons]}


def _matches_tsv(lm: LayerMotifs, annotation: Annotation) -> str:
    rows = []
    for kind, names in (("dictionary", [m.name for m in lm.all_motifs()]),
                        ("segment", [s.name for s in lm.all_segments()])):
        for name in names:
            for x in annotation.matches.get(name, []):
                rows.append([name, kind, x.rank, x.target_id, x.target_name, f"{x.p_value:.3g}", f"{x.q_value:.3g}",
                             x.offset, x.strand, x.overlap])
    return tsv_text(["query", "kind", *MATCH_COLUMNS[1:]], rows)


NETWORK_COLUMNS = ["motif", "representative", "width", "consensus", "best_match_id", "best_match_name", "q_value",
                   "first_layer", "n_neurons", "neurons_per_layer", "n_members"]


def motif_rows(annotation: Annotation) -> dict[str, list]:
    """One ``motifs.tsv`` row (:data:`NETWORK_COLUMNS`) per network motif, by id."""
    rows = {}
    for g in annotation.network:
        best = annotation.best_match(g.representative)
        per_layer = ",".join(f"L{k}:{v}" for k, v in g.neurons_per_layer.items())
        rows[g.name] = [g.name, g.representative.name, g.representative.width,
                        decode(g.representative.ppm.argmax(axis=0)),
                        best.target_id if best else "", best.target_name if best else "",
                        f"{best.q_value:.3g}" if best else "", g.first_layer, sum(g.neurons_per_layer.values()),
                        per_layer, len(g.members)]
    return rows


def write_annotation(store: RunDirectory, annotation: Annotation) -> None:
    """Write the per-layer and whole-network files, and record the parameters in run.json."""
    for layer, lm in annotation.layers.items():
        d = store.layer_dir(layer)
        atomic_write_text(d / "dictionary.meme", meme_text([(m.name, m.ppm, len(m.occurrences))
                                                             for m in lm.all_motifs()]))
        atomic_write_text(d / "matches.tsv", _matches_tsv(lm, annotation))
        atomic_write_text(d / "grammar.json", json.dumps(grammar_json(lm, annotation), indent=1) + "\n")
    atomic_write_text(store.path / "motifs.tsv", tsv_text(NETWORK_COLUMNS, list(motif_rows(annotation).values())))
    atomic_write_text(store.path / "motifs.meme", meme_text([(g.name, g.representative.ppm, len(g.members))
                                                             for g in annotation.network]))
    store.record("annotation", {**annotation.parameters, "layers": sorted(annotation.layers)})


