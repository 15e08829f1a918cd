"""Motif-to-motif statistics shared by the dictionary, matching and across-layer stages.

Every comparison goes through memelite's in-process TOMTOM (both strands). Three rules keep its
statistics sound (see ../shared/docs/ecosystem.md):

* **A large background.** TOMTOM builds each query column's null distribution from the target columns,
  so a tiny target set gives p-values that swing by orders of magnitude. :func:`compare` always appends
  a reference set (JASPAR2024 CORE vertebrates by default) to the targets and returns only the columns
  the caller asked for.
* **q-values, not bare p-values.** :func:`bh_qvalues` applies Benjamini-Hochberg over every comparison
  of a family.
* **Informative queries only.** A uniform 20-column query gets p = 5e-14 against CTCF; callers drop
  queries that fail :func:`is_informative`.

Long queries (deep-layer CRM segments can pass 100 bp) are compared with a small scratchpad
(``n_cache=10``); memelite gives them their own scratch space and the p-values are unchanged, while the
default cache would ask for tens of GiB.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..ppm import informative_columns
from .databases import jaspar_motifs

#: queries longer than this (bp) are compared with a small TOMTOM scratchpad
LONG_QUERY_BP = 40
#: release of the reference set that pads TOMTOM's background
REFERENCE_RELEASE = "JASPAR2024"


def aligned_columns(offset: int, target_width: int, query_start: int = 0) -> tuple[int, int]:
    """Columns ``[start, end)`` a TOMTOM target aligned at ``offset`` covers, in a frame where the query's
    column 0 sits at ``query_start`` (TOMTOM: the target spans the query's ``[-offset, -offset + width)``)."""
    return query_start - offset, query_start - offset + target_width


@dataclass
class Comparison:
    """TOMTOM results of Q queries against T targets, each array of shape (Q, T).

    Attributes
    ----------
    p : np.ndarray, float
        p-value of the best alignment.
    offset : np.ndarray, int
        Column of the (strand-oriented) target aligned to the query's column 0; the target occupies
        query columns ``[-offset, -offset + target width)``.
    overlap : np.ndarray, int
        Aligned columns (bp).
    strand : np.ndarray, str
        '+' when the target aligns as given, '-' when its reverse complement does.
    """

    p: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray
    strand: np.ndarray


@lru_cache(maxsize=2)
def reference_motifs(release: str = REFERENCE_RELEASE) -> tuple[np.ndarray, ...]:
    """PPMs (4, w) of JASPAR CORE vertebrates, used only as TOMTOM background padding."""

    return tuple(ppm for _, ppm in jaspar_motifs(release).values())


def _tomtom(queries: list[np.ndarray], targets: list[np.ndarray], n_jobs: int,
            both_strands: bool = True) -> tuple[np.ndarray, ...]:
    from memelite import tomtom

    long_query = max(q.shape[1] for q in queries) > LONG_QUERY_BP
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, _, offset, overlap, strand = tomtom(queries, targets, n_cache=10 if long_query else 100,
                                               reverse_complement=both_strands, n_jobs=n_jobs)
    return p, offset, overlap, strand


def compare(queries: list[np.ndarray], targets: list[np.ndarray], *, padding: tuple[np.ndarray, ...] | None = None,
            n_jobs: int = -1, chunk: int = 2000, both_strands: bool = True) -> Comparison:
    """TOMTOM of every query against every target, both strands (or the forward one), with a padded background.

    Parameters
    ----------
    queries, targets : list of np.ndarray, each (4, w)
        PPMs with rows A, C, G, T.
    padding : tuple of np.ndarray or None
        Extra targets that only widen the background; None uses :func:`reference_motifs`, ``()`` none.
    n_jobs : int
        numba threads (-1: all).
    chunk : int
        Queries per TOMTOM call; queries are sorted by length so long ones share the small scratchpad.
    both_strands : bool
        False: each target only as given (its forward strand).

    Returns
    -------
    Comparison with arrays of shape (len(queries), len(targets)).
    """
    n_q, n_t = len(queries), len(targets)
    result = Comparison(np.ones((n_q, n_t)), np.zeros((n_q, n_t), dtype=np.int64),
                        np.zeros((n_q, n_t), dtype=np.int64), np.full((n_q, n_t), "+"))
    if n_q == 0 or n_t == 0:
        return result
    padding = reference_motifs() if padding is None else padding
    all_targets = [np.asarray(t, dtype=np.float64) for t in targets] + list(padding)
    order = np.argsort([q.shape[1] for q in queries], kind="stable")
    for start in range(0, n_q, chunk):
        rows = order[start:start + chunk]
        p, offset, overlap, strand = _tomtom([np.asarray(queries[i], dtype=np.float64) for i in rows],
                                             all_targets, n_jobs, both_strands)
        result.p[rows] = p[:, :n_t]
        result.offset[rows] = offset[:, :n_t].astype(np.int64)
        result.overlap[rows] = overlap[:, :n_t].astype(np.int64)
        result.strand[rows] = np.where(strand[:, :n_t] > 0.5, "-", "+")
    return result


@dataclass
class Hits:
    """The query-target pairs of a comparison with p at most a cut-off, as parallel 1-D arrays.

    Attributes
    ----------
    query, target : np.ndarray, int
    p, offset, overlap : np.ndarray
    strand : np.ndarray, str
    n_comparisons : int
        Every comparison made, kept or not (the m of Benjamini-Hochberg).
    """

    query: np.ndarray
    target: np.ndarray
    p: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray
    strand: np.ndarray
    n_comparisons: int

    def q_values(self) -> np.ndarray:
        """Benjamini-Hochberg q-values over all ``n_comparisons`` (exact below the cut-off p)."""
        return bh_qvalues(self.p, self.n_comparisons)


def compare_sparse(queries: list[np.ndarray], targets: list[np.ndarray], p_max: float = 1e-3, *,
                   padding: tuple[np.ndarray, ...] | None = None, cells: int = 1_000_000) -> Hits:
    """Like :func:`compare`, keeping only pairs with p <= ``p_max``, in query chunks of bounded memory.

    Each chunk holds about ``cells`` query x target comparisons (a few tens of MB), whatever the number
    of queries, so a whole deep layer's segments can be compared with every dictionary motif of a run.
    """
    n_targets = len(targets) + len(reference_motifs() if padding is None else padding)
    chunk = max(1, cells // max(n_targets, 1))
    parts: list[tuple] = []
    for start in range(0, len(queries), chunk):
        block = compare(queries[start:start + chunk], targets, padding=padding)
        rows, cols = np.nonzero(block.p <= p_max)
        parts.append((rows + start, cols, block.p[rows, cols], block.offset[rows, cols], block.overlap[rows, cols],
                      block.strand[rows, cols]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Hits(empty, empty, np.zeros(0), empty, empty, np.zeros(0, dtype="<U1"), 0)
    columns = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return Hits(*columns, n_comparisons=len(queries) * len(targets))


def bh_qvalues(p: np.ndarray, n_comparisons: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg q-values of an array of p-values (same shape).

    ``n_comparisons`` (default: the array's size) is the number of tests in the family; pass it when
    ``p`` holds only the smallest p-values of a larger family (the q-values stay exact where they are
    below the largest p-value left out).
    """
    flat = np.asarray(p, dtype=np.float64).ravel()
    if flat.size == 0:
        return np.asarray(p, dtype=np.float64).copy()
    m = flat.size if n_comparisons is None else max(int(n_comparisons), flat.size)
    order = np.argsort(flat, kind="stable")
    ranked = flat[order] * m / np.arange(1, flat.size + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(flat)
    out[order] = q
    return out.reshape(np.shape(p))


def is_informative(ppm: np.ndarray, min_columns: int = 3, min_bits: float = 1.0) -> bool:
    """Whether a (4, w) PPM has at least ``min_columns`` columns of at least ``min_bits`` bits."""
    return int(informative_columns(ppm, min_bits).sum()) >= min_columns


#: TOMTOM p below which a motif aligned to its own reverse complement (forward strand only) is palindromic
PALINDROME_P = 1e-3


def palindromic(ppms: list[np.ndarray]) -> np.ndarray:
    """Whether each (4, w) PPM reads alike on both strands: TOMTOM aligns it to its own reverse complement,
    forward strand only, at p < :data:`PALINDROME_P` over all its columns but one at most (a FOX read as
    ``GTGTATACA``, CEBP's ``TTGCGCAA``). Such a motif has no strand of its own: two copies of it read
    alike in every orientation.

    Parameters
    ----------
    ppms : list of np.ndarray, each (4, w)
        PPMs with rows A, C, G, T.

    Returns
    -------
    np.ndarray, bool, shape (len(ppms),)
    """
    if not ppms:
        return np.zeros(0, dtype=bool)
    cmp = compare(list(ppms), [np.ascontiguousarray(p[::-1, ::-1]) for p in ppms], both_strands=False)
    widths = np.array([p.shape[1] for p in ppms])
    own = np.arange(len(ppms))
    return (cmp.p[own, own] < PALINDROME_P) & (cmp.overlap[own, own] >= widths - 1)


def similar_pairs(ppms: list[np.ndarray], q_threshold: float, min_overlap: float = 0.5,
                  padding: tuple[np.ndarray, ...] | None = None) -> tuple[list[tuple[int, int]], Comparison]:
    """Pairs of PPMs that are the same motif (either strand), by TOMTOM q-value.

    Each unordered pair counts once, with the larger of its two directional p-values (both directions
    must agree); q-values are Benjamini-Hochberg over the n(n-1)/2 pairs. A pair also needs an aligned
    overlap of at least ``min_overlap`` of the *longer* motif, so that grouping
    cannot chain two different motifs through a composite one that holds both.

    Returns
    -------
    pairs : list of (i, j), i < j
    comparison : Comparison of every PPM (query) against every PPM (target), (n, n)
    """
    n = len(ppms)
    comparison = compare(ppms, ppms, padding=padding)
    if n < 2:
        return [], comparison
    i, j = np.triu_indices(n, k=1)
    p = np.maximum(comparison.p[i, j], comparison.p[j, i])
    q = bh_qvalues(p)
    widths = np.array([m.shape[1] for m in ppms])
    longer = np.maximum(widths[i], widths[j])
    keep = (q < q_threshold) & (comparison.overlap[i, j] >= min_overlap * longer)
    return [(int(a), int(b)) for a, b in zip(i[keep], j[keep], strict=True)], comparison
