"""Stage 5: from a run directory's CRMs to motifs, names, grammar and where each first appears.

:func:`annotate` reads every finished layer of a run directory and, in order:

1. cuts each CRM into segments (:mod:`~neuronmotif.segment`);
2. builds each neuron's motif dictionary (:mod:`~neuronmotif.dictionary`);
3. names dictionary motifs and segments against a known-motif database in one call, so q-values are over
   all comparisons of the run (:mod:`~neuronmotif.motifs.match`);
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
import time
from collections.abc import Callable
from pathlib import Path

from .annotation import AnnotateConfig, Annotation, LayerMotifs, NetworkMotif
from .dictionary import build_dictionary
from .errors import RunDirectoryError
from .grammar import build_combinations
from .motifs import MotifDatabase, load_motif_db, match_known
from .network import all_motifs, network_motifs, trace_across_layers
from .outputs import write_annotation
from .segment import segment_crm
from .store import RunDirectory
from .versions import versions

__all__ = ["AnnotateConfig", "Annotation", "LayerMotifs", "NetworkMotif", "annotate"]


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
        out.dictionaries[r.neuron] = build_dictionary(out.segments[r.neuron], layer, r.neuron, config.dictionary,
                                                      crm_length=out.crm_length)
    out.seconds["dictionary"] = time.perf_counter() - start
    start = time.perf_counter()
    for r in results:
        out.combinations[r.neuron] = build_combinations(out.dictionaries[r.neuron], out.crm_length,
                                                        {c.index: c.n_sequences for c in r.crms})
    out.seconds["grammar"] = time.perf_counter() - start
    return out


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
    queries = {m.name: m.ppm for m in all_motifs(by_layer)}
    queries.update({s.name: s.ppm for lm in by_layer.values() for s in lm.all_segments()})
    log(f"naming {len(queries):,} motifs and segments against {db.source}")
    matches = match_known(queries, db, config.match_q, config.top_matches)
    match_seconds = time.perf_counter() - start
    start = time.perf_counter()
    log("tracing motifs across layers and merging them into network motifs")
    occurs = trace_across_layers(by_layer, config.occurrence_q, config.dictionary.min_overlap)
    network = network_motifs(by_layer, occurs, config.dictionary)
    network_seconds = time.perf_counter() - start
    n_neurons = max(1, sum(len(lm.neurons) for lm in by_layer.values()))
    for lm in by_layer.values():
        share = len(lm.neurons) / n_neurons
        lm.seconds["match"] = match_seconds * share
        lm.seconds["across_layers"] = network_seconds * share
    parameters = {"versions": versions(), "seed": manifest.get("seed"), "parameters": config.parameters(),
                  "motif_db": db.source}
    annotation = Annotation(by_layer, matches, occurs, network, parameters, config, db)
    if write:
        write_annotation(store, annotation)
    return annotation


