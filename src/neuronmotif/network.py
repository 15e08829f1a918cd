"""Stage 5c: where each motif and combination occurs across layers, and the network's distinct motifs.

For every dictionary motif and combination, the layers and neurons where it occurs: one TOMTOM per layer
of all dictionary motifs of that layer and above against all the layer's segments. Then the dictionary
motifs of the whole network are merged into distinct motifs around leaders (``motifs.tsv``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .annotation import LayerMotifs, NetworkMotif
from .dictionary import DictionaryConfig, DictionaryMotif
from .motifs.similarity import compare_sparse, similar_pairs
from .names import combination_id


def all_motifs(layers: dict[int, LayerMotifs]) -> list[DictionaryMotif]:
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


def trace_across_layers(layers: dict[int, LayerMotifs], q_threshold: float,
                 min_overlap: float) -> dict[str, dict[int, list[int]]]:
    """For every dictionary motif and combination: layer -> neurons where it occurs (layers up to its own).

    One TOMTOM per layer: every dictionary motif of that layer and the layers above (queries) against
    every segment of the layer (targets). A motif occurs in a neuron when one of its segments matches at
    q < ``q_threshold``, aligned over at least ``min_overlap`` of the shorter of the two (a motif may sit
    inside a longer segment); a combination occurs when one CRM holds all its motifs, repeats counted.
    """
    motifs = all_motifs(layers)
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


def network_motifs(layers: dict[int, LayerMotifs], occurs: dict[str, dict[int, list[int]]],
                    config: DictionaryConfig) -> list[NetworkMotif]:
    """Merge every dictionary motif of the network into distinct motifs around leaders.

    Motifs are taken from the best supported (similar to most others, then most occurrences); each joins
    the leader it is most similar to (TOMTOM q < ``group_q``, overlap as in the dictionary), or becomes a
    leader. Unlike single linkage (union-find), a partial hybrid motif cannot chain two different
    network-wide motifs into one: across a whole network such hybrids are common.
    """
    motifs = all_motifs(layers)
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


