"""Stage 5a: name motifs by matching them to a database of known motifs (TOMTOM, both strands).

The default database is JASPAR2024 CORE vertebrates from pyjaspar's bundled SQLite file (no network);
``JASPAR2022``, ``JASPAR2026`` or a MEME text file (HOCOMOCO, CIS-BP, your own) can be chosen instead.
q-values are Benjamini-Hochberg over every query x database comparison made in one call, so a run that
matches all its motifs at once reports q-values over all comparisons of the run. Queries with fewer than
three columns of at least 1 bit are never matched (TOMTOM gives uniform queries absurd p-values).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import NeuronMotifError
from .similarity import compare_sparse, is_informative, reference_motifs

JASPAR_RELEASES = ("JASPAR2022", "JASPAR2024", "JASPAR2026")
#: databases smaller than this get the reference set as extra TOMTOM background
MIN_DATABASE_SIZE = 100


@lru_cache(maxsize=4)
def _jaspar(release: str) -> dict[str, tuple[str, np.ndarray]]:
    from pyjaspar import jaspardb

    motifs = jaspardb(release=release).fetch_motifs(collection="CORE", tax_group=["vertebrates"])
    table = {}
    for m in motifs:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        ppm = (counts + 0.01) / (counts + 0.01).sum(axis=0)
        table[m.matrix_id] = (m.name, ppm)
    return table


def jaspar_motif(matrix_id: str, release: str = "JASPAR2024") -> tuple[str, np.ndarray]:
    """(TF name, PPM of shape (4, L)) of a JASPAR CORE vertebrates matrix, e.g. 'MA0466.4'."""
    table = _jaspar(release)
    if matrix_id not in table:
        raise NeuronMotifError(f"JASPAR matrix {matrix_id!r} is not in {release} CORE vertebrates.")
    return table[matrix_id]


def jaspar_motifs(release: str = "JASPAR2024") -> dict[str, tuple[str, np.ndarray]]:
    """All JASPAR CORE vertebrates matrices of a release: matrix id -> (TF name, PPM (4, L))."""
    return dict(_jaspar(release))


@dataclass
class MotifDatabase:
    """Known motifs to name against.

    Attributes
    ----------
    source : str
        'JASPAR2024 CORE vertebrates' or the file's path.
    ids, names : list of str
        Matrix ids and TF names (a MEME file's MOTIF line gives both: ``MOTIF id name``).
    ppms : list of np.ndarray, each (4, w)
    """

    source: str
    ids: list[str]
    names: list[str]
    ppms: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)


def load_motif_db(spec: str = "JASPAR2024") -> MotifDatabase:
    """A JASPAR release name (CORE vertebrates, via pyjaspar, offline) or a MEME text file.

    Raises
    ------
    NeuronMotifError
        When the file is missing, unreadable as MEME, or holds no motif over A, C, G, T.
    """
    if spec in JASPAR_RELEASES:
        table = jaspar_motifs(spec)
        return MotifDatabase(f"{spec} CORE vertebrates", list(table), [n for n, _ in table.values()],
                             [p for _, p in table.values()])
    path = Path(spec)
    if not path.is_file():
        raise NeuronMotifError(f"--motif-db {spec!r}: no such file; give a MEME text file or one of "
                               f"{', '.join(JASPAR_RELEASES)}.")
    return _read_meme_database(path)


def _read_meme_database(path: Path) -> MotifDatabase:
    from memelite.io import read_meme

    try:
        motifs = read_meme(str(path))
    except Exception as exc:  # memelite raises a variety of errors on malformed text
        raise NeuronMotifError(f"--motif-db '{path}' is not a readable MEME text file ({exc}).") from exc
    ids, names, ppms = [], [], []
    for key, ppm in motifs.items():
        ppm = np.asarray(ppm, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[0] != 4 or ppm.shape[1] == 0:
            raise NeuronMotifError(f"--motif-db '{path}': motif {key!r} is not a 4-letter (A, C, G, T) matrix "
                                   f"(shape {ppm.shape}); neuronmotif needs DNA motifs.")
        words = key.split()
        ids.append(words[0])
        names.append(words[1] if len(words) > 1 else words[0])
        ppms.append(ppm / ppm.sum(axis=0, keepdims=True))
    if not ids:
        raise NeuronMotifError(f"--motif-db '{path}' holds no MOTIF; check that it is MEME text format.")
    return MotifDatabase(str(path), ids, names, ppms)


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
