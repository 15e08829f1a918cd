"""Stage 5a: name motifs by matching them to a database of known motifs (TOMTOM, both strands).

The default database is JASPAR2024 CORE vertebrates from pyjaspar's bundled SQLite file (no network);
``JASPAR2022``, ``JASPAR2026`` or a MEME text file (HOCOMOCO, CIS-BP, your own) can be chosen instead
(:mod:`~neuronmotif.motifs.databases`). q-values are Benjamini-Hochberg over every query x database
comparison made in one call, so a run that matches all its motifs at once reports q-values over all
comparisons of the run. Queries with fewer than three columns of at least 1 bit are never matched
(TOMTOM gives uniform queries absurd p-values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .databases import MIN_DATABASE_SIZE, MotifDatabase
from .similarity import compare_sparse, is_informative, reference_motifs


@dataclass(frozen=True)
class Match:
    """One significant query-to-known-motif match.

    Attributes
    ----------
    query : str
    rank : int
        1 for the query's best match (smallest p-value), 2 for the next, ...
    target_id, target_name : str
        Matrix id and TF name.
    p_value, q_value : float
    offset : int
        Column of the (oriented) known motif aligned to the query's column 0: the known motif spans the
        query's columns ``[-offset, -offset + width)``.
    strand : str
        '+' if the known motif aligns as stored, '-' if its reverse complement does.
    overlap : int
        Aligned columns (bp).
    target_width : int
    """

    query: str
    rank: int
    target_id: str
    target_name: str
    p_value: float
    q_value: float
    offset: int
    strand: str
    overlap: int
    target_width: int

    @property
    def label(self) -> str:
        return f"{self.target_name} ({self.target_id})"


MATCH_COLUMNS = ["query", "rank", "target_id", "target_name", "p_value", "q_value", "offset", "strand", "overlap"]


def match_known(queries: dict[str, np.ndarray], db: MotifDatabase, q_threshold: float = 0.05,
                top: int = 5) -> dict[str, list[Match]]:
    """Known-motif matches of every informative query, best first.

    Parameters
    ----------
    queries : dict of name -> np.ndarray (4, w)
    db : MotifDatabase
    q_threshold : float
        Report matches with q below this (q over all informative queries x all database motifs).
    top : int
        At most this many matches per query.

    Returns
    -------
    dict of query name -> list of Match (empty for uninformative or unmatched queries).
    """
    out: dict[str, list[Match]] = {name: [] for name in queries}
    names = [n for n, ppm in queries.items() if is_informative(ppm)]
    if not names or len(db) == 0:
        return out
    padding = reference_motifs() if len(db) < MIN_DATABASE_SIZE else ()
    hits = compare_sparse([queries[n] for n in names], db.ppms, p_max=q_threshold, padding=padding)
    q = hits.q_values()
    keep = q < q_threshold
    by_query: dict[int, list[int]] = {}
    for k in np.flatnonzero(keep):
        by_query.setdefault(int(hits.query[k]), []).append(int(k))
    for i, ks in by_query.items():
        ks = sorted(ks, key=lambda k: (hits.p[k], hits.target[k]))[:top]
        out[names[i]] = [Match(names[i], rank + 1, db.ids[hits.target[k]], db.names[hits.target[k]],
                               float(hits.p[k]), float(q[k]), int(hits.offset[k]), str(hits.strand[k]),
                               int(hits.overlap[k]), int(db.ppms[hits.target[k]].shape[1]))
                         for rank, k in enumerate(ks)]
    return out
