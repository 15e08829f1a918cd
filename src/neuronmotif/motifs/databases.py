"""Known-motif databases, offline: JASPAR CORE vertebrates from pyjaspar's bundled SQLite files, or a
MEME text file (HOCOMOCO, CIS-BP, your own)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import NeuronMotifError

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

    def ppm(self, matrix_id: str) -> np.ndarray:
        """(4, w) the PPM of the matrix ``matrix_id`` (e.g. a :class:`Match`'s ``target_id``)."""
        return self.ppms[self.ids.index(matrix_id)]


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
        raise NeuronMotifError(f"motif database (--motif-db) {spec!r}: no such file; give a MEME text file or one of "
                               f"{', '.join(JASPAR_RELEASES)}.")
    return _read_meme_database(path)


def _read_meme_database(path: Path) -> MotifDatabase:
    from memelite.io import read_meme

    try:
        motifs = read_meme(str(path))
    except Exception as exc:  # memelite raises a variety of errors on malformed text
        raise NeuronMotifError(
            f"motif database (--motif-db) '{path}' is not a readable MEME text file ({exc}).") from exc
    ids, names, ppms = [], [], []
    for key, ppm in motifs.items():
        ppm = np.asarray(ppm, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[0] != 4 or ppm.shape[1] == 0:
            raise NeuronMotifError(f"motif database (--motif-db) '{path}': motif {key!r} is not a 4-letter "
                                   f"(A, C, G, T) matrix (shape {ppm.shape}); neuronmotif needs DNA motifs.")
        words = key.split()
        ids.append(words[0])
        names.append(words[1] if len(words) > 1 else words[0])
        ppms.append(ppm / ppm.sum(axis=0, keepdims=True))
    if not ids:
        raise NeuronMotifError(
            f"motif database (--motif-db) '{path}' holds no MOTIF; check that it is MEME text format.")
    return MotifDatabase(str(path), ids, names, ppms)
