"""Score any motif-discovery method against planted truth, the same way for every method.

A method hands in a :class:`Report`: the motifs it reports (short PPMs) and the patterns in which it can
show grammar (wider PPMs: neuronmotif's CRMs, TF-MoDISco's patterns). :func:`score` then asks:

* **motifs recovered**: planted motifs matched by at least one reported motif, TOMTOM (memelite, both
  strands) q < 0.05, q over all reported-motif x planted-motif comparisons (JASPAR pads the background);
* **grammar recovered**: planted pairs held by one reported pattern: the pattern is cut into segments by
  information content (:mod:`~neuronmotif.segment`, :data:`AS_REPORTED`), the segments are matched to
  the planted motifs the same way, each match places its planted motif in the pattern (start, strand),
  and the pair counts when both motifs sit on one strand in the planted order with a gap inside the
  planted range, give or take ``gap_tolerance`` bp;
* **false motifs**: informative reported motifs (3 columns of at least 1 bit) that match no planted motif.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuronmotif.datasets.simulate import Grammar
from neuronmotif.motifs import Match, MotifDatabase, match_known
from neuronmotif.motifs.similarity import aligned_columns, is_informative
from neuronmotif.names import crm_name
from neuronmotif.pairs import KnownSite, accept_sites, adjacent_pairs, planted_order
from neuronmotif.segment import SegmentConfig, segment_bounds
from neuronmotif.store import RunDirectory, read_meme, read_tsv

#: Segmentation of reported patterns: the published rule (1 bit, 3-bp average, 1-bp flank, >= 4 bp) on the
#: PPM as the method reports it, with no pseudo-count (TF-MoDISco patterns may rest on a few dozen seqlets).
AS_REPORTED = SegmentConfig(pseudo=0.0)


@dataclass
class Pattern:
    """A wide PPM in which a method shows motif grammar.

    Attributes
    ----------
    name : str
    ppm : np.ndarray, shape (4, L)
    n_sequences : int
        Sequences behind the PPM (sets the pseudo-count of segmentation).
    """

    name: str
    ppm: np.ndarray
    n_sequences: int


@dataclass
class Report:
    """What one method reports for one model.

    Attributes
    ----------
    method : str
    motifs : dict of str -> np.ndarray (4, w)
        Reported motifs by name.
    patterns : list of Pattern
        Reported patterns (CRMs, TF-MoDISco patterns) where grammar can be read.
    """

    method: str
    motifs: dict[str, np.ndarray]
    patterns: list[Pattern] = field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    """A planted motif located in a pattern.

    Attributes
    ----------
    motif : str
        Planted matrix id.
    start : int
        Pattern column of the planted motif's first column (may be < 0 when it overhangs).
    width : int
    strand : str
        '+' if the planted motif reads forward in the pattern.
    q_value : float
    """

    motif: str
    start: int
    width: int
    strand: str
    q_value: float


@dataclass
class GrammarHit:
    """Where a planted pair was seen: the pattern and the gap (bp) it shows."""

    pattern: str
    gap: int


@dataclass
class Score:
    """One method's score on one model.

    Attributes
    ----------
    method : str
    recovered : dict of str -> float
        Planted matrix id -> best q-value of a reported motif (absent: not recovered).
    n_planted : int
    grammar : dict of str -> list of GrammarHit
        Planted pair grammar name -> the patterns holding it (empty: not recovered).
    false_motifs : list of str
        Informative reported motifs matching no planted motif.
    n_informative : int
        Informative reported motifs.
    """

    method: str
    recovered: dict[str, float]
    n_planted: int
    grammar: dict[str, list[GrammarHit]]
    false_motifs: list[str]
    n_informative: int

    @property
    def n_grammars_recovered(self) -> int:
        return sum(1 for hits in self.grammar.values() if hits)

    def row(self) -> dict:
        """Figures of a benchmark table row."""
        return {"method": self.method, "motifs_recovered": f"{len(self.recovered)}/{self.n_planted}",
                "grammar_recovered": f"{self.n_grammars_recovered}/{len(self.grammar)}",
                "false_motifs": f"{len(self.false_motifs)}/{self.n_informative}"}


def run_report(path: str | Path, method: str = "neuronmotif", min_neurons: int = 1) -> Report:
    """neuronmotif's report from a run directory: the network motifs (``motifs.meme``) and every CRM.

    Parameters
    ----------
    path : str or Path
        A run directory whose motif stage has run.
    method : str
        Label of the report.
    min_neurons : int
        Keep the network motifs used by at least this many neurons (``n_neurons`` of ``motifs.tsv``);
        2 leaves out the motifs of a single neuron, mostly fragments of larger motifs.

    Raises
    ------
    RunDirectoryError
        If ``path`` is not a run directory; FileNotFoundError if its motif stage has not run.
    """
    store = RunDirectory(path)
    layers = store.manifest().get("annotation", {}).get("layers")
    if layers is None:
        raise FileNotFoundError(f"'{path}' has no motifs yet: run `neuronmotif grammar {path}` first.")
    patterns = [Pattern(crm_name(layer, r.neuron, c.index), c.ppm, c.n_sequences)
                for layer in layers for r in store.load_layer(layer) for c in r.crms]
    used_by = {row["motif"]: int(row["n_neurons"]) for row in read_tsv(store.path / "motifs.tsv")}
    motifs = {name: ppm for name, ppm in read_meme(store.path / "motifs.meme").items()
              if used_by.get(name, 0) >= min_neurons}
    return Report(method, motifs, patterns)


def pair_grammars(grammars: list[Grammar]) -> list[Grammar]:
    """The planted pairs scored for grammar: every pair grammar, and each adjacent pair of a longer chain
    (named '<chain> (pair <i>)', i from 1)."""
    pairs = [g for g in grammars if len(g.motifs) == 2]
    for g in (g for g in grammars if len(g.motifs) > 2):
        pairs += [Grammar(f"{g.name} (pair {i + 1})", list(g.motifs[i:i + 2]), [g.gaps[i]], g.strands)
                  for i in range(len(g.gaps))]
    return pairs


def pattern_segments(patterns: list[Pattern], segment: SegmentConfig | None = None
                     ) -> dict[str, tuple[str, int, np.ndarray]]:
    """Each pattern's motif segments, by '<pattern>:<start>-<end>'.

    Returns
    -------
    dict of str -> (pattern name, start column, PPM (4, w)); cut by ``segment`` (default :data:`AS_REPORTED`).
    """
    return {f"{p.name}:{s}-{e}": (p.name, s, np.ascontiguousarray(p.ppm[:, s:e]))
            for p in patterns for s, e in segment_bounds(p.ppm, p.n_sequences, segment or AS_REPORTED)}


def place_planted(patterns: list[Pattern], planted: MotifDatabase, q_threshold: float = 0.05,
                  segment: SegmentConfig | None = None) -> dict[str, list[Placement]]:
    """Planted motifs located in each pattern (by its segments' TOMTOM matches), by pattern name."""
    segments = pattern_segments(patterns, segment)
    matches = match_known({k: ppm for k, (_, _, ppm) in segments.items()}, planted, q_threshold, top=len(planted))
    out: dict[str, list[Placement]] = {p.name: [] for p in patterns}
    for key, found in matches.items():
        name, seg_start, _ = segments[key]
        out[name] += [_placement(m, seg_start) for m in found]
    return out


def _placement(match: Match, segment_start: int) -> Placement:
    start, _ = aligned_columns(match.offset, match.target_width, segment_start)
    return Placement(match.target_id, start, match.target_width, match.strand, match.q_value)


def pair_gaps(placements: list[Placement], first: str, second: str) -> list[int]:
    """Gaps (bp) of the planted pair ``first`` -> ``second`` in a pattern, read by neuronmotif's own pair rule
    (:func:`neuronmotif.pairs.adjacent_pairs`: sites that overlap by half are one site, the better match
    kept; adjacent sites in the planted order and orientation count)."""
    sites = accept_sites([KnownSite(p.motif, p.strand, p.start, p.start + p.width, p.q_value) for p in placements])
    planted = planted_order(first, second)
    return [gap for order, gap in adjacent_pairs(sites, first, second) if order == planted]


def score(report: Report, planted: MotifDatabase, grammars: list[Grammar], q_threshold: float = 0.05,
          gap_tolerance: int = 1) -> Score:
    """Score a method's report against the planted motifs and pair grammars.

    Parameters
    ----------
    report : Report
    planted : MotifDatabase
        The planted PWMs (ids are the matrix ids used in ``grammars``).
    grammars : list of Grammar
        The planted grammars; pairs are scored for grammar.
    q_threshold : float
        TOMTOM q-value cut-off for "matches a planted motif".
    gap_tolerance : int
        bp a pattern's gap may lie outside the planted range and still count.

    Returns
    -------
    Score
    """
    matches = match_known(report.motifs, planted, q_threshold, top=len(planted))
    recovered: dict[str, float] = {}
    for found in matches.values():
        for m in found:
            recovered[m.target_id] = min(m.q_value, recovered.get(m.target_id, 1.0))
    informative = [n for n, ppm in report.motifs.items() if is_informative(ppm)]
    false = [n for n in informative if not matches[n]]
    placements = place_planted(report.patterns, planted, q_threshold)
    grammar_hits: dict[str, list[GrammarHit]] = {}
    for g in pair_grammars(grammars):
        (lo, hi), (first, second) = g.gaps[0], g.motifs
        grammar_hits[g.name] = [
            GrammarHit(name, gap) for name, found in placements.items()
            for gap in pair_gaps(found, first, second)
            if lo - gap_tolerance <= gap <= hi + gap_tolerance]
    return Score(report.method, recovered, len(planted), grammar_hits, false, len(informative))


__all__ = ["GrammarHit", "Pattern", "Placement", "Report", "Score", "pair_gaps", "pair_grammars", "pattern_segments",
           "place_planted", "run_report", "score"]
