"""Score a run's ranked rules (``rules.tsv``) against planted grammar.

Each network motif a rule names is matched to the planted motifs (TOMTOM q < 0.05 over the run's motifs
x planted motifs, as :func:`~nmbench.scoring.score` does); its best planted match places the planted
motif inside it (columns and strand), which turns the rule's strands and gaps into the planted frame.
A rule **is** a planted grammar when it has the grammar's motifs in the grammar's order on one strand
(a(+) b(+), or its reverse complement b(-) a(-); two copies of one motif: tandem). Its **spacing is
right** when both ends of its gap range, in the planted frame, lie within ``tolerance`` bp of the planted
range's ends (0 for a hard pair: the exact gap), for every adjacent pair of a chain. A rule that holds two or
more adjacent motifs of a longer planted chain, in its order and spacing frame, is a **part** of it: not
the grammar, and not false. Any other rule is **false**.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from neuronmotif.datasets.simulate import Grammar
from neuronmotif.motifs import MotifDatabase, match_known
from neuronmotif.motifs.similarity import aligned_columns, palindromic
from neuronmotif.store import read_meme, read_tsv


@dataclass(frozen=True)
class PlantedRule:
    """A rule of ``rules.tsv`` read in the planted frame.

    Attributes
    ----------
    rank : int
    label : str
    planted : tuple of str
        Planted motif id of each motif ('' when none matches), in the rule's order.
    strands : tuple of str
        The planted motif's strand in the rule.
    gap : tuple of int or None
        (min, max) bp between the planted motifs' edges (pairs: the first adjacent pair of :attr:`gaps`).
    peak : int or None
        The rule's peak gap (where the model answers the pair best) between the planted motifs' edges.
    either : frozenset of str
        Planted motif ids that read alike on both strands (NFKB1, CEBPB): their strand is no part of the
        grammar, so either counts.
    """

    rank: int
    label: str
    planted: tuple[str, ...]
    strands: tuple[str, ...]
    gap: tuple[int, int] | None
    peak: int | None = None
    either: frozenset[str] = frozenset()
    gaps: tuple[tuple[int, int], ...] | None = None
    motifs: tuple[str, ...] = ()

    def _on(self, strand: str) -> bool:
        return all(s == strand or p in self.either for s, p in zip(self.strands, self.planted, strict=True))

    def reads_as(self, grammar: Grammar) -> bool:
        """Whether this rule has the grammar's motifs in its order on one strand (a palindromic motif on
        either)."""
        if len(self.planted) != len(grammar.motifs):
            return False
        forward = list(self.planted) == grammar.motifs and self._on("+")
        backward = list(self.planted[::-1]) == grammar.motifs and self._on("-")
        return forward or backward

    def part_of(self, grammar: Grammar, tolerance: int = 1) -> bool:
        """Whether this rule holds two or more adjacent motifs of the longer planted chain ``grammar``, in its
        order on one strand, each gap within ``tolerance`` bp of the planted range (in the grammar's frame)."""
        k, motifs = len(self.planted), list(grammar.motifs)
        if not 2 <= k < len(motifs) or self.gaps is None:
            return False
        forward = self._on("+")
        planted = list(self.planted) if forward else list(self.planted[::-1])
        gaps = list(self.gaps) if forward else list(self.gaps[::-1])
        if not (forward or self._on("-")):
            return False
        return any(motifs[i:i + k] == planted
                   and all(lo - tolerance <= a and b <= hi + tolerance
                           for (a, b), (lo, hi) in zip(gaps, grammar.gaps[i:i + k - 1], strict=True))
                   for i in range(len(motifs) - k + 1))


def read_rules(path: str | Path, planted: MotifDatabase) -> list[PlantedRule]:
    """The rules of a run directory, each read in the planted frame."""
    path = Path(path)
    rows = read_tsv(path / "rules.tsv")
    ppms = read_meme(path / "motifs.meme")
    used = sorted({m for row in rows for m in row["motifs"].split(";")})
    matches = match_known({m: ppms[m] for m in used}, planted, 0.05, top=1) if used else {}
    either = frozenset(i for i, alike in zip(planted.ids, palindromic([planted.ppm(i) for i in planted.ids]),
                                             strict=True) if alike)
    out = []
    for row in rows:
        motifs, strands = row["motifs"].split(";"), row["strands"].split(";")
        best = [matches[m][0] if matches.get(m) else None for m in motifs]
        ids = tuple(b.target_id if b else "" for b in best)
        planted_strands = tuple(s if b is None or b.strand == "+" else ("-" if s == "+" else "+")
                                for s, b in zip(strands, best, strict=True))
        gaps, peak = None, None
        if len(motifs) >= 2 and row["gap_min"] != "" and all(best):
            columns = [_columns(bm, ppms[m].shape[1], s) for bm, m, s in zip(best, motifs, strands, strict=True)]
            shifts = [ppms[m].shape[1] - a[1] + b[0]
                      for m, a, b in zip(motifs[:-1], columns[:-1], columns[1:], strict=True)]
            lows, highs = (map(int, row[c].split(";")) for c in ("gap_min", "gap_max"))
            gaps = tuple((lo + d, hi + d) for lo, hi, d in zip(lows, highs, shifts, strict=True))
            if len(motifs) == 2 and row.get("peak_gap", "") != "":
                peak = int(row["peak_gap"]) + shifts[0]
        out.append(PlantedRule(int(row["rank"]), row["label"], ids, planted_strands, gaps[0] if gaps else None, peak,
                               either, gaps, tuple(motifs)))
    return out


def _columns(match, width: int, strand: str) -> tuple[int, int]:
    start, end = aligned_columns(match.offset, match.target_width)
    return (start, end) if strand == "+" else (width - end, width - start)


@dataclass
class RuleScore:
    """How one run's rules recover the planted grammar.

    Attributes
    ----------
    found : dict of str -> PlantedRule or None
        Per planted grammar, its best-ranked rule.
    spacing_ok : dict of str -> bool
        Per planted multi-motif grammar, whether its rule's range matches (within the tolerance).
    peak_ok : dict of str -> bool
        Per planted multi-motif grammar, whether its rule's peak gap lies in the planted range (a hard
        pair: is the planted gap).
    false_top : list of PlantedRule
        Rules in the top ``top`` that are no planted grammar nor a part of one.
    top : int
    parts : dict of str -> PlantedRule or None
        Per planted chain of three motifs or more, its best-ranked part (:meth:`PlantedRule.part_of`).
    """

    found: dict[str, PlantedRule | None]
    spacing_ok: dict[str, bool]
    peak_ok: dict[str, bool]
    false_top: list[PlantedRule]
    top: int
    parts: dict[str, PlantedRule | None] = field(default_factory=dict)

    def in_top(self, name: str) -> bool:
        rule = self.found.get(name)
        return rule is not None and rule.rank <= self.top


def score_rules(rules: list[PlantedRule], grammars: list[Grammar], top: int = 10, tolerance: int = 1,
                hard_tolerance: int = 0) -> RuleScore:
    """Which planted grammars are among the top rules, with the right order and spacing, and the false rules."""
    found: dict[str, PlantedRule | None] = {}
    spacing: dict[str, bool] = {}
    peak: dict[str, bool] = {}
    parts: dict[str, PlantedRule | None] = {}
    for g in grammars:
        hits = [r for r in rules if r.reads_as(g)]
        found[g.name] = rule = min(hits, key=lambda r: r.rank) if hits else None
        if len(g.motifs) >= 2:
            spacing[g.name] = bool(rule and rule.gaps) and all(
                abs(a - lo) <= (hard_tolerance if lo == hi else tolerance)
                and abs(b - hi) <= (hard_tolerance if lo == hi else tolerance)
                for (a, b), (lo, hi) in zip(rule.gaps, g.gaps, strict=True))
            lo, hi = g.gaps[0]
            peak[g.name] = bool(rule and rule.peak is not None and lo <= rule.peak <= hi)
        if len(g.motifs) >= 3:
            held = [r for r in rules if r.part_of(g, tolerance)]
            parts[g.name] = min(held, key=lambda r: r.rank) if held else None
    false = [r for r in rules if r.rank <= top
             and not any(r.reads_as(g) or r.part_of(g, tolerance) for g in grammars)]
    return RuleScore(found, spacing, peak, false, top, parts)


__all__ = ["PlantedRule", "RuleScore", "read_rules", "score_rules"]

