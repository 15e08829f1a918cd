"""Stage 5: from a run directory's CRMs to motifs, names, grammar and where each first appears.

:func:`annotate` reads every finished layer of a run directory and, in order:

1. cuts each CRM into segments (:mod:`~neuronmotif.segment`);
2. builds each neuron's motif dictionary (:mod:`~neuronmotif.dictionary`);
3. names dictionary motifs and segments against a known-motif database in one call, so q-values are over
   all comparisons of the run (:mod:`~neuronmotif.match`);
4. builds each neuron's combinations and syntax trees (:mod:`~neuronmotif.grammar`);
5. finds, for every dictionary motif and combination, the layers and neurons where it occurs: one
   TOMTOM per layer of all dictionary motifs of that layer and above against all the layer's segments;
6. merges the dictionary motifs of the whole network into distinct motifs around leaders (``motifs.tsv``);

and writes ``layer_<l>/dictionary.meme``, ``layer_<l>/matches.tsv``, ``layer_<l>/grammar.json``,
``motifs.tsv`` and ``motifs.meme``. It never touches the CRM files, so it can be re-run with other
settings (``neuronmotif grammar OUT``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .dictionary import DictionaryConfig, DictionaryMotif, NeuronDictionary, build_dictionary
from .errors import RunDirectoryError
from .grammar import (
    Combination,
    GapRange,
    GrammarConfig,
    build_combinations,
    combination_id,
    gap_range,
    known_gaps,
    orient,
    syntax_tree,
)
from .match import MATCH_COLUMNS, Match, MotifDatabase, load_motif_db, match_known
from .segment import Segment, SegmentConfig, segment_crm, smoothed_information
from .sequences import decode
from .similarity import compare_sparse, similar_pairs
from .store import NeuronResult, RunDirectory, atomic_write_text, crm_name, meme_text, tsv_text


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

    @property
    def db_source(self) -> str:
        """Which known-motif database named the motifs."""
        return self.parameters["motif_db"]

    def best_match(self, motif: DictionaryMotif) -> Match | None:
        found = self.matches.get(motif.name)
        return found[0] if found else None

    def combination_label(self, layer: int, neuron: int, index: int) -> str:
        layer_motifs = self.layers[layer]
        return _combination_label(layer_motifs.combinations[neuron][index], layer_motifs.dictionaries[neuron],
                                  self, self.config.grammar)


# -- stages ---------------------------------------------------------------------------------------------
def _layer_motifs(store: RunDirectory, layer: int, config: AnnotateConfig) -> LayerMotifs:
    results = store.load_layer(layer)
    lengths = {c.ppm.shape[1] for r in results for c in r.crms}
    out = LayerMotifs(layer, max(lengths) if lengths else 0, results)
    start = time.perf_counter()
    for r in results:
        out.segments[r.neuron] = [s for c in r.crms for s in segment_crm(c, layer, config.segment)]
    out.seconds["segment"] = time.perf_counter() - start
    start = time.perf_counter()
    for r in results:
        out.dictionaries[r.neuron] = build_dictionary(out.segments[r.neuron], layer, r.neuron, config.dictionary)
    out.seconds["dictionary"] = time.perf_counter() - start
    start = time.perf_counter()
    for r in results:
        out.combinations[r.neuron] = build_combinations(out.dictionaries[r.neuron], out.crm_length)
    out.seconds["grammar"] = time.perf_counter() - start
    return out


def _all_motifs(layers: dict[int, LayerMotifs]) -> list[DictionaryMotif]:
    return [m for lm in layers.values() for m in lm.all_motifs()]


def _combination_needs(layers: dict[int, LayerMotifs]) -> list[tuple[str, int, int, Counter]]:
    """(id, layer, neuron, dictionary-motif name -> how many times it holds it) for every combination."""
    out = []
    for layer, lm in layers.items():
        for neuron, combos in lm.combinations.items():
            names = [m.name for m in lm.dictionaries[neuron].motifs]
            out.extend((combination_id(layer, neuron, k), layer, neuron,
                        Counter(names[motif] for motif, _ in combo.keys)) for k, combo in enumerate(combos))
    return out


def _cross_layer(layers: dict[int, LayerMotifs], q_threshold: float,
                 min_overlap: float) -> dict[str, dict[int, list[int]]]:
    """For every dictionary motif and combination: layer -> neurons where it occurs (layers up to its own).

    One TOMTOM per layer: every dictionary motif of that layer and the layers above (queries) against
    every segment of the layer (targets). A motif occurs in a neuron when one of its segments matches at
    q < ``q_threshold``, aligned over at least ``min_overlap`` of the shorter of the two (a motif may sit
    inside a longer segment); a combination occurs when one CRM holds all its motifs, repeats counted.
    """
    motifs = _all_motifs(layers)
    needs = _combination_needs(layers)
    occurs: dict[str, dict[int, set[int]]] = {m.name: {m.layer: {m.neuron}} for m in motifs}
    occurs.update({cid: {layer: {neuron}} for cid, layer, neuron, _ in needs})
    for layer, lm in sorted(layers.items()):
        queries = [m for m in motifs if m.layer >= layer]
        targets = lm.all_segments()
        if not queries or not targets:
            continue
        hits = compare_sparse([m.ppm for m in queries], [s.ppm for s in targets], p_max=q_threshold)
        shorter = np.minimum(np.array([m.width for m in queries])[hits.query],
                             np.array([s.width for s in targets])[hits.target])
        ok = (hits.q_values() < q_threshold) & (hits.overlap >= min_overlap * shorter)
        for qi, ti in zip(hits.query[ok], hits.target[ok], strict=True):
            occurs[queries[qi].name].setdefault(layer, set()).add(targets[ti].neuron)
        # CRM x query count matrix: how many segments of each CRM match each dictionary motif
        crm_keys = sorted({(s.neuron, s.crm_index) for s in targets})
        crm_row = {key: i for i, key in enumerate(crm_keys)}
        target_crm = np.array([crm_row[(s.neuron, s.crm_index)] for s in targets])
        counts = np.zeros((len(crm_keys), len(queries)), dtype=np.int32)
        np.add.at(counts, (target_crm[hits.target[ok]], hits.query[ok]), 1)
        crm_neuron = np.array([n for n, _ in crm_keys])
        column = {m.name: i for i, m in enumerate(queries)}
        for cid, own_layer, _, need in needs:
            if own_layer < layer:
                continue
            holds = (counts[:, [column[n] for n in need]] >= np.array(list(need.values()))).all(axis=1)
            occurs[cid].setdefault(layer, set()).update(crm_neuron[holds].tolist())
    return {name: {layer: sorted(ns) for layer, ns in sorted(by_layer.items()) if ns}
            for name, by_layer in occurs.items()}


def _network_motifs(layers: dict[int, LayerMotifs], occurs: dict[str, dict[int, list[int]]],
                    config: DictionaryConfig) -> list[NetworkMotif]:
    """Merge every dictionary motif of the network into distinct motifs around leaders.

    Motifs are taken from the best supported (similar to most others, then most occurrences); each joins
    the leader it is most similar to (TOMTOM q < ``group_q``, overlap as in the dictionary), or becomes a
    leader. Unlike single linkage (union-find), a partial hybrid motif cannot chain two different
    network-wide motifs into one: across a whole network such hybrids are common.
    """
    motifs = _all_motifs(layers)
    if not motifs:
        return []
    pairs, comparison = similar_pairs([m.ppm for m in motifs], config.group_q, config.min_overlap)
    similar: dict[int, set[int]] = {i: set() for i in range(len(motifs))}
    for i, j in pairs:
        similar[i].add(j)
        similar[j].add(i)
    order = sorted(range(len(motifs)), key=lambda i: (-len(similar[i]), -len(motifs[i].occurrences), i))
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for i in order:
        candidates = [lead for lead in leaders if lead in similar[i]]
        if candidates:
            lead = min(candidates, key=lambda c: max(comparison.p[i, c], comparison.p[c, i]))
            members[lead].append(i)
        else:
            leaders.append(i)
            members[i] = [i]
    groups = []
    for lead in leaders:
        group = [motifs[i] for i in members[lead]]
        groups.append((motifs[lead], group, min(min(occurs[m.name]) for m in group)))
    groups.sort(key=lambda g: (-len({(m.layer, m.neuron) for m in g[1]}), g[2], g[0].name))
    return [NetworkMotif(f"G{k + 1}", rep, group, first) for k, (rep, group, first) in enumerate(groups)]


def annotate(path: str | Path, config: AnnotateConfig | None = None, db: MotifDatabase | None = None,
             layers: list[int] | None = None, write: bool = True,
             log: Callable[[str], None] | None = None) -> Annotation:
    """Motifs, names, grammar and first occurrences for every finished layer of a run directory.

    Parameters
    ----------
    path : str or Path
        A run directory written by :func:`neuronmotif.run`.
    config : AnnotateConfig or None
    db : MotifDatabase or None
        Known motifs (default: loaded from ``config.motif_db``).
    layers : list of int or None
        Layers to use (default: every finished layer).
    write : bool
        Write the files (False: only return the result, e.g. to check against other known motifs). The
        run directory is locked while they are written.
    log : callable or None
        Called with a line of progress at each stage (None: silent).

    Returns
    -------
    Annotation (also written to the run directory).
    """
    store = RunDirectory(path)
    with store.lock() if write else contextlib.nullcontext():
        return _annotate(store, config or AnnotateConfig(), db, layers, write, log or (lambda message: None))


def _annotate(store: RunDirectory, config: AnnotateConfig, db: MotifDatabase | None, layers: list[int] | None,
              write: bool, log: Callable[[str], None]) -> Annotation:
    manifest = store.manifest()
    db = db or load_motif_db(config.motif_db)
    chosen = layers or [layer for layer in sorted(manifest.get("layers", [])) if store.layer_done(layer)]
    if not chosen:
        raise RunDirectoryError(f"'{store.path}' has no finished layer to annotate; run `neuronmotif run` first.")
    by_layer = {}
    for layer in chosen:
        log(f"layer {layer}: segments, dictionaries and syntax trees")
        by_layer[layer] = _layer_motifs(store, layer, config)
    start = time.perf_counter()
    queries = {m.name: m.ppm for m in _all_motifs(by_layer)}
    queries.update({s.name: s.ppm for lm in by_layer.values() for s in lm.all_segments()})
    log(f"naming {len(queries):,} motifs and segments against {db.source}")
    matches = match_known(queries, db, config.match_q, config.top_matches)
    match_seconds = time.perf_counter() - start
    start = time.perf_counter()
    log("tracing motifs across layers and merging them into network motifs")
    occurs = _cross_layer(by_layer, config.occurrence_q, config.dictionary.min_overlap)
    network = _network_motifs(by_layer, occurs, config.dictionary)
    network_seconds = time.perf_counter() - start
    n_neurons = max(1, sum(len(lm.neurons) for lm in by_layer.values()))
    for lm in by_layer.values():
        share = len(lm.neurons) / n_neurons
        lm.seconds["match"] = match_seconds * share
        lm.seconds["across_layers"] = network_seconds * share
    from .pipeline import versions  # the pipeline imports this module

    parameters = {"versions": versions(), "seed": manifest.get("seed"), "parameters": config.parameters(),
                  "motif_db": db.source}
    annotation = Annotation(by_layer, matches, occurs, network, parameters, config)
    if write:
        write_annotation(store, annotation)
    return annotation


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
            first, second = _motif_label(a, sa, annotation), _motif_label(b, sb, annotation)
            labels.add(f"{first} {_gap_label(plain, known)} {second}")
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


# -- output ---------------------------------------------------------------------------------------------
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


def _motif_label(motif: DictionaryMotif, strand: str, annotation: Annotation) -> str:
    best = annotation.best_match(motif)
    if best is None:
        return f"{motif.name}({strand})"
    return f"{best.target_name}({orient(strand, best.strand)})"


def _gap_label(plain: GapRange | None, known: GapRange | None) -> str:
    """'-[3 bp]-': the known motifs' gap when both are named, else the dictionary motifs' gap."""
    shown = known or plain
    return f"-[{shown.label() if shown else '?'}]-"


def combination_gaps(combination: Combination, dictionary: NeuronDictionary, annotation: Annotation,
                     config: GrammarConfig) -> list[tuple[GapRange | None, GapRange | None]]:
    """(gap between dictionary motifs, gap between their known matches) for each adjacent slot pair."""
    best = {m.index: b for m in dictionary.motifs if (b := annotation.best_match(m)) is not None}
    return [(gap_range(combination.gaps(j), config), gap_range(known_gaps(combination, j, best), config))
            for j in range(len(combination.keys) - 1)]


def _combination_label(combination: Combination, dictionary: NeuronDictionary, annotation: Annotation,
                       config: GrammarConfig) -> str:
    parts = []
    gaps = combination_gaps(combination, dictionary, annotation, config)
    for j, (motif, strand) in enumerate(combination.keys):
        parts.append(_motif_label(dictionary.motifs[motif], strand, annotation))
        if j < len(gaps):
            parts.append(_gap_label(*gaps[j]))
    return " ".join(parts)


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
            "combination": cid, "label": _combination_label(combo, dictionary, annotation, config),
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


def _motifs_tsv(annotation: Annotation) -> str:
    rows = []
    for g in annotation.network:
        best = annotation.best_match(g.representative)
        per_layer = ",".join(f"L{k}:{v}" for k, v in g.neurons_per_layer.items())
        rows.append([g.name, g.representative.name, g.representative.width,
                     decode(g.representative.ppm.argmax(axis=0)),
                     best.target_id if best else "", best.target_name if best else "",
                     f"{best.q_value:.3g}" if best else "", g.first_layer, sum(g.neurons_per_layer.values()),
                     per_layer, len(g.members)])
    return tsv_text(NETWORK_COLUMNS, rows)


def write_annotation(store: RunDirectory, annotation: Annotation) -> None:
    """Write the per-layer and whole-network files, and record the parameters in run.json."""
    for layer, lm in annotation.layers.items():
        d = store.layer_dir(layer)
        atomic_write_text(d / "dictionary.meme", meme_text([(m.name, m.ppm, len(m.occurrences))
                                                             for m in lm.all_motifs()]))
        atomic_write_text(d / "matches.tsv", _matches_tsv(lm, annotation))
        atomic_write_text(d / "grammar.json", json.dumps(grammar_json(lm, annotation), indent=1) + "\n")
    atomic_write_text(store.path / "motifs.tsv", _motifs_tsv(annotation))
    atomic_write_text(store.path / "motifs.meme", meme_text([(g.name, g.representative.ppm, len(g.members))
                                                             for g in annotation.network]))
    store.record("annotation", {**annotation.parameters, "layers": sorted(annotation.layers)})
