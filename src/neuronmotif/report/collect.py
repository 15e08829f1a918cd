"""Read a run directory, finished or not, into the plain data the report renders.

Everything is read from the run's own files (``run.json``, ``layer_<l>/*``, ``motifs.*``, ``rules.json``);
a layer that has not finished contributes the neurons saved so far. Matrices are kept at the precision of
their files (6 decimals), so every logo is drawn from, and downloads as, the matrix it stands for.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import NeuronMotifError, RunDirectoryError
from ..names import crm_name
from ..store import NeuronResult, RunDirectory, read_meme, read_tsv

#: matrices are written with 6 decimals (``store.formats.meme_text``)
DECIMALS = 6
_DICTIONARY_NAME = re.compile(r"^L(\d+)_N(\d+)_M(\d+)$")


def rows_of(ppm: np.ndarray) -> list[list[float]]:
    """A (4, L) PPM as L rows of [A, C, G, T] at the files' precision."""
    return [[round(float(v), DECIMALS) for v in column] for column in np.asarray(ppm, dtype=np.float64).T]


def _manifest(store: RunDirectory) -> dict:
    if not (store.path / "run.json").exists():
        raise RunDirectoryError(f"{store.path} is not a neuronmotif run directory (no run.json); "
                                "give the OUT directory of `neuronmotif run`.")
    return store.manifest()


def _layer_results(store: RunDirectory, layer: dict) -> tuple[str, list[NeuronResult]]:
    """('finished' | 'partial' | 'not started', the neurons done) of one conv layer."""
    index = layer["index"]
    if store.layer_done(index):
        return "finished", store.load_layer(index)
    try:
        done = [store.load_neuron(index, n) for n in range(layer["out_channels"]) if store.has_neuron(index, n)]
    except FileNotFoundError:  # a running run finished the layer (and removed its partial files) meanwhile
        return "finished", store.load_layer(index)
    return ("partial" if done else "not started"), done


def _grammar(store: RunDirectory, index: int) -> dict[int, dict]:
    """The layer's grammar.json neurons by neuron (empty before annotation)."""
    path = store.layer_dir(index) / "grammar.json"
    if not path.exists():
        return {}
    return {n["neuron"]: n for n in json.loads(path.read_text())["neurons"]}


def _significant(matches: list[dict], q_max: float) -> list[dict]:
    return [m for m in matches if m is not None and m["q_value"] < q_max]


def _neuron(index: int, result: NeuronResult, grammar: dict | None, q_max: float, matrices: dict) -> dict:
    nid = f"L{index}_N{result.neuron}"
    crms = []
    for c in result.crms:
        name = crm_name(index, result.neuron, c.index)
        matrices[name] = rows_of(c.ppm)
        crms.append({"crm": name, "n_sequences": c.n_sequences, "ratio": c.ratio, "consensus": c.consensus})
    dictionary, combinations, words = [], [], [nid.lower(), result.status]
    for m in (grammar or {}).get("motifs", []):
        significant = _significant(m["matches"], q_max)
        dictionary.append({"motif": m["motif"], "width": m["width"], "consensus": m["consensus"],
                           "match": significant[0] if significant else None,
                           "also": sorted({x["name"] for x in significant[1:]} - {x["name"] for x in significant[:1]})})
        words += [m["motif"].lower(), m["consensus"].lower()] + [x["name"].lower() for x in significant]
    for combo in (grammar or {}).get("combinations", []):
        combinations.append({k: combo[k] for k in ("combination", "label", "slots", "tree", "crms")})
        words.append(combo["label"].lower())
    return {"id": nid, "layer": index, "neuron": result.neuron, "status": result.status, "note": result.note,
            "n_sequences": result.n_sequences, "max_activation": result.max_activation,
            "consensus_activation": result.consensus_activation, "ratio": result.ratio,
            "motif_nb": result.motif_nb, "crms": crms, "dictionary": dictionary, "combinations": combinations,
            "search": " ".join(words)}


def _dictionary_matrices(store: RunDirectory, index: int, matrices: dict) -> None:
    path = store.layer_dir(index) / "dictionary.meme"
    if path.exists():
        matrices.update({name: rows_of(ppm) for name, ppm in read_meme(path).items()})


def _layers(store: RunDirectory, manifest: dict, grammars: dict[int, dict[int, dict]], q_max: float,
            matrices: dict) -> tuple[list[dict], list[dict]]:
    """The layer table with each layer's state and status counts, and every neuron done."""
    layers, neurons = [], []
    for layer in manifest.get("model_layers", []):
        if layer["index"] not in manifest.get("layers", []):
            continue
        state, results = _layer_results(store, layer)
        grammar = grammars.get(layer["index"], {})
        _dictionary_matrices(store, layer["index"], matrices)
        counts = Counter(r.status for r in results)
        reasons = Counter(r.note for r in results if r.status != "ok" and r.note)
        layers.append({**layer, "state": state, "n_done": len(results),
                       "counts": {s: counts.get(s, 0) for s in ("ok", "sick", "dead")},
                       "reasons": dict(sorted(reasons.items())), "n_crms": sum(len(r.crms) for r in results)})
        neurons += [_neuron(layer["index"], r, grammar.get(r.neuron), q_max, matrices) for r in results]
    for order, n in enumerate(neurons):
        n["order"] = order
    return layers, neurons


def _representative_match(grammars: dict[int, dict[int, dict]], representative: str, match_id: str,
                          q_max: float) -> dict | None:
    """The best known match of a network motif's representative, with its offset and strand (grammar.json)."""
    parsed = _DICTIONARY_NAME.match(representative)
    if not parsed or not match_id:
        return None
    neuron = grammars.get(int(parsed[1]), {}).get(int(parsed[2]), {})
    for m in neuron.get("motifs", []):
        if m["motif"] == representative:
            found = [x for x in _significant(m["matches"], q_max) if x["id"] == match_id]
            return found[0] if found else None
    return None


def _network_motifs(store: RunDirectory, grammars: dict[int, dict[int, dict]], q_max: float,
                    matrices: dict) -> list[dict]:
    """motifs.tsv rows (the verified view when the rule stage ran), each with its aligned best match."""
    path = store.path / "motifs.tsv"
    if not path.exists():
        return []
    if (store.path / "motifs.meme").exists():
        matrices.update({name: rows_of(ppm) for name, ppm in read_meme(store.path / "motifs.meme").items()})
    motifs = []
    for row in read_tsv(path):
        match = _representative_match(grammars, row["representative"], row["best_match_id"], q_max)
        if match is not None:
            match["key"] = f"known:{match['id']}"
        motifs.append({**row, "match": match, "status": row.get("status", "")})
    return motifs


def _known_matrices(motifs: list[dict], spec: str | None, matrices: dict) -> str:
    """Add the matched known matrices; returns a note when the database cannot be read here."""
    wanted = {m["match"]["id"] for m in motifs if m["match"]}
    if not wanted or not spec:
        return ""
    from ..motifs import load_motif_db

    try:
        db = load_motif_db(spec)
    except (NeuronMotifError, OSError) as error:  # the run's database may live on another machine
        return f"known logos not drawn: {error}"
    for matrix_id, ppm in zip(db.ids, db.ppms, strict=True):
        if matrix_id in wanted:
            matrices[f"known:{matrix_id}"] = rows_of(ppm)
    return ""


def _count_rows(path: Path) -> int:
    return len(read_tsv(path)) if path.exists() else 0


def _rules(store: RunDirectory) -> dict | None:
    path = store.path / "rules.json"
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    keep = ("rank", "rule", "label", "spacing", "readout", "motifs", "names", "strands", "gap", "peak_gap",
            "known_gap", "gaps", "peak_gaps", "known_gaps", "neurons", "outputs", "effect", "cooperativity", "p_value",
            "q_value", "curve", "reason")
    return {"rules": [{k: r.get(k) for k in keep} for r in document.get("rules", [])],
            "unverified": [{k: r.get(k) for k in keep if k != "curve"} for r in document.get("unverified", [])]}


def collect(path: str | Path) -> dict:
    """The report's data for a run directory (finished or partial).

    Returns
    -------
    dict
        ``title``, ``subtitle``, ``run`` (parameters, versions, seed, model), ``layers`` (the layer table with
        state and ok/sick/dead counts), ``neurons`` (CRMs, dictionary, syntax trees), ``motifs`` (the network
        motifs), ``rules`` (``rules.json``'s rules with curves, or None) and ``matrices`` (name -> L rows of
        [A, C, G, T]: every CRM, dictionary, network and matched known motif).
    """
    store = RunDirectory(path)
    manifest = _manifest(store)
    annotation = manifest.get("annotation", {})
    settings = annotation.get("parameters", {})
    q_max = float(settings.get("match_q", 0.05))
    matrices: dict[str, list] = {}
    grammars = {layer: _grammar(store, layer) for layer in manifest.get("layers", [])}  # each file read once
    layers, neurons = _layers(store, manifest, grammars, q_max, matrices)
    motifs = _network_motifs(store, grammars, q_max, matrices)
    note = _known_matrices(motifs, settings.get("motif_db"), matrices)
    rules = _rules(store)
    done = sum(1 for layer in layers if layer["state"] == "finished")
    return {"title": store.path.resolve().name,
            "subtitle": f"{manifest.get('model_source', '')} · {done} of {len(layers)} layers finished"
                        + ("" if rules is None else f" · {len(rules['rules'])} rules"),
            "run": {k: manifest.get(k) for k in ("model_source", "model_fingerprint", "seed", "device", "alphabet",
                                                 "parameters", "versions")}
            | {"annotation": annotation, "rules": manifest.get("rules")},
            "layers": layers, "neurons": neurons, "motifs": motifs,
            "motif_source": annotation.get("motif_db", ""), "known_note": note, "rules": rules,
            "n_unverified_motifs": _count_rows(store.path / "motifs_unverified.tsv"),
            "matrices": matrices}
