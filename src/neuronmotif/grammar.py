"""Stage 4c: a neuron's syntax tree - which motifs combine, in which order, at which spacing (section 1.11).

1. **Motif sequences.** Each CRM becomes the ordered list of its dictionary-motif occurrences
   (motif, strand, start), from :mod:`~neuronmotif.dictionary`.
2. **Combinations.** From the longest sequence to the shortest, a sequence joins every existing
   combination it embeds in as an in-order subsequence (with matching strands; if the CRM as given
   embeds nowhere, its reverse complement is tried, since a pattern and its reverse complement are the
   same grammar); otherwise it starts a new combination. Several combinations are alternatives (OR).
3. **Alignment to a combination** is a dynamic programme over (item, slot) that minimises the squared
   deviation of the sequence's adjacent spacings from the combination's current mean spacings, in
   O(items x slots^2). The published code enumerated every gap-insertion pattern, which grows
   combinatorially. Slot means are recomputed after every member joins (the published code tie-broke
   on means that were never updated).
4. **Gaps.** For each adjacent pair of slots, the gaps (bp between the end of one motif and the start of
   the next; negative when they overlap) of every member holding both. If at least 80% lie within
   ``window`` bp of their median, only those are kept. min = max is hard syntax, otherwise flexible.
   When both motifs are named, the same is computed between the edges of their known matches
   (``known_gap``), which is the spacing a biologist compares with the literature.
5. **Tree.** Adjacent nodes are merged bottom-up, the pair with the narrowest gap range first (ties:
   the smaller median gap), so rigid spacings sit at the bottom and flexible ones at the top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dictionary import NeuronDictionary, Occurrence
from .motifs import Match
from .motifs.similarity import aligned_columns


@dataclass(frozen=True)
class GrammarConfig:
    """Parameters of the syntax tree.

    Attributes
    ----------
    window : int
        bp around the median gap that may hold the bulk of the gaps (published: 4).
    bulk : float
        Share of gaps that must lie in the window for the outliers to be dropped (published: 0.8).
    """

    window: int = 4
    bulk: float = 0.8


def opposite(strand: str) -> str:
    """'-' for '+' and '+' for '-'."""
    return "-" if strand == "+" else "+"


def orient(strand: str, relative: str) -> str:
    """The strand of something that reads on ``relative`` with respect to a motif that reads on ``strand``."""
    return strand if relative == "+" else opposite(strand)


@dataclass(frozen=True)
class Item:
    """One motif occurrence in a CRM, in the frame of a chosen orientation of that CRM."""

    motif: int
    strand: str
    start: int
    width: int
    segment: tuple[int, int] | None = None

    @property
    def key(self) -> tuple[int, str]:
        return self.motif, self.strand

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def evidence(self) -> tuple[int, int]:
        """CRM columns ``[start, end)`` of the segment this occurrence was found as (the CRM's own
        informative columns; the motif's placement may reach beyond them)."""
        return self.segment if self.segment is not None else (self.start, self.end)


def crm_items(occurrences: list[Occurrence], crm_length: int, orientation: str = "+") -> list[Item]:
    """A CRM's occurrences as items, read on ``orientation`` ('-': the CRM's reverse complement)."""
    items = [Item(o.motif, o.strand, o.start, o.width, (o.segment.start, o.segment.end)) for o in occurrences]
    if orientation == "-":
        items = [Item(i.motif, opposite(i.strand), crm_length - i.end, i.width,
                      (crm_length - i.evidence[1], crm_length - i.evidence[0])) for i in items]
    return sorted(items, key=lambda i: (i.start, i.motif))


@dataclass
class Member:
    """A CRM aligned to a combination.

    Attributes
    ----------
    crm_index : int
    orientation : str
        '+' if the CRM reads as given, '-' if its reverse complement holds the combination.
    slots : list of int
        The combination slot of each item.
    items : list of Item
    shift : float
        Added to the items' starts to put them in the combination's frame.
    """

    crm_index: int
    orientation: str
    slots: list[int]
    items: list[Item]
    shift: float = 0.0


@dataclass
class Combination:
    """Motifs that occur together in a fixed order, with the CRMs that hold them."""

    keys: list[tuple[int, str]]
    members: list[Member] = field(default_factory=list)

    def slot_means(self) -> np.ndarray:
        """Mean start of each slot over the members holding it, in the combination's frame, (slots,)."""
        total, count = np.zeros(len(self.keys)), np.zeros(len(self.keys))
        for m in self.members:
            for slot, item in zip(m.slots, m.items, strict=True):
                total[slot] += item.start + m.shift
                count[slot] += 1
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def embed(self, items: list[Item]) -> list[int] | None:
        """The slots of ``items`` (in order, keys equal) that best keep this combination's spacing.

        Dynamic programme: cost[k, j] is the least squared spacing deviation of items 0..k with item
        k in slot j. Returns None when ``items`` is not an in-order subsequence of the slots.
        """
        means = self.slot_means()
        n, m = len(items), len(self.keys)
        cost = np.full((n, m), np.inf)
        back = np.full((n, m), -1, dtype=np.int64)
        for j in range(m):
            if self.keys[j] == items[0].key:
                cost[0, j] = 0.0
        for k in range(1, n):
            step = items[k].start - items[k - 1].start
            for j in range(k, m):
                if self.keys[j] != items[k].key:
                    continue
                prev = cost[k - 1, :j] + (step - (means[j] - means[:j])) ** 2
                if np.isfinite(prev).any():
                    back[k, j] = int(np.argmin(prev))
                    cost[k, j] = prev[back[k, j]]
        if not np.isfinite(cost[n - 1]).any():
            return None
        slots = [int(np.argmin(cost[n - 1]))]
        for k in range(n - 1, 0, -1):
            slots.append(int(back[k, slots[-1]]))
        return slots[::-1]

    def add(self, crm_index: int, orientation: str, items: list[Item], slots: list[int]) -> None:
        means = self.slot_means()
        known = [(means[s], i.start) for s, i in zip(slots, items, strict=True) if np.isfinite(means[s])]
        shift = float(np.mean([mu - start for mu, start in known])) if known else 0.0
        self.members.append(Member(crm_index, orientation, slots, items, shift))

    def gaps(self, slot: int) -> list[int]:
        """Observed gaps (bp) between slot ``slot`` and ``slot + 1`` over the members holding both."""
        out = []
        for m in self.members:
            where = dict(zip(m.slots, m.items, strict=True))
            if slot in where and slot + 1 in where:
                out.append(where[slot + 1].start - where[slot].end)
        return out


def build_combinations(dictionary: NeuronDictionary, crm_length: int) -> list[Combination]:
    """Group a neuron's CRMs into ordered motif combinations (alternatives of its grammar)."""
    sequences = sorted(dictionary.occurrences_by_crm().items(), key=lambda kv: (-len(kv[1]), kv[0]))
    combinations: list[Combination] = []
    for crm_index, occurrences in sequences:
        joined = False
        for orientation in "+-":
            items = crm_items(occurrences, crm_length, orientation)
            for combination in combinations:
                slots = combination.embed(items)
                if slots is not None:
                    combination.add(crm_index, orientation, items, slots)
                    joined = True
            if joined:
                break
        if not joined:
            items = crm_items(occurrences, crm_length)
            combination = Combination([i.key for i in items])
            combination.add(crm_index, "+", items, list(range(len(items))))
            combinations.append(combination)
    return combinations


@dataclass(frozen=True)
class GapRange:
    """Spacing between two adjacent slots.

    Attributes
    ----------
    low, high : int
        Inclusive range of the kept gaps (bp).
    median : float
    counts : dict of int -> int
        Every observed gap and how many CRMs show it (outliers included).
    """

    low: int
    high: int
    median: float
    counts: dict[int, int]

    @property
    def kind(self) -> str:
        return "hard" if self.low == self.high else "flexible"

    @property
    def width(self) -> int:
        return self.high - self.low

    def label(self) -> str:
        return f"{self.low} bp" if self.kind == "hard" else f"{self.low}-{self.high} bp"


def gap_range(gaps: list[int], config: GrammarConfig = GrammarConfig()) -> GapRange | None:
    """Range of observed gaps, dropping outliers when the bulk sits within ``window`` of the median."""
    if not gaps:
        return None
    values = np.asarray(gaps)
    median = float(np.median(values))
    inside = np.abs(values - median) <= config.window
    if inside.mean() >= config.bulk:
        values = values[inside]
    uniq, counts = np.unique(np.asarray(gaps), return_counts=True)
    return GapRange(int(values.min()), int(values.max()), median,
                    {int(g): int(c) for g, c in zip(uniq, counts, strict=True)})


def known_interval(item: Item, match: Match) -> tuple[int, int]:
    """CRM columns ``[start, end)`` covered by an item's known motif match, in the item's frame."""
    lo, hi = aligned_columns(match.offset, match.target_width)  # in the dictionary motif's own columns
    if item.strand == "+":
        return item.start + lo, item.start + hi
    return item.start + item.width - hi, item.start + item.width - lo


def covers_known(match: Match) -> bool:
    """Whether at least half of a known motif aligns to the query, so its edges can be placed in a CRM."""
    return match.overlap >= 0.5 * match.target_width


def known_gaps(combination: Combination, slot: int, best: dict[int, Match]) -> list[int]:
    """Gaps between the edges of the known motifs of slots ``slot`` and ``slot + 1``.

    Empty unless both motifs have a known match covering at least half of the known motif.
    """
    first, second = combination.keys[slot][0], combination.keys[slot + 1][0]
    if first not in best or second not in best or not (covers_known(best[first]) and covers_known(best[second])):
        return []
    out = []
    for m in combination.members:
        where = dict(zip(m.slots, m.items, strict=True))
        if slot in where and slot + 1 in where:
            out.append(known_interval(where[slot + 1], best[second])[0] - known_interval(where[slot], best[first])[1])
    return out


def syntax_tree(leaves: list[dict], ranges: list[GapRange | None]) -> dict:
    """Binary tree over adjacent slots, merging the narrowest gap range first.

    Parameters
    ----------
    leaves : list of dict
        One JSON node per slot.
    ranges : list of GapRange or None
        The gap between slot j and j + 1 (None when never observed: merged last).

    Returns
    -------
    dict: a leaf, or ``{"gap": {...}, "children": [left, right]}``.
    """
    nodes = list(leaves)
    gaps = list(ranges)
    while len(nodes) > 1:
        def rank(j: int) -> tuple:
            g = gaps[j]
            return (1, 0, 0, j) if g is None else (0, g.width, g.median, j)

        j = min(range(len(gaps)), key=rank)
        g = gaps[j]
        gap_node = None if g is None else {"range": [g.low, g.high], "kind": g.kind}
        nodes[j:j + 2] = [{"gap": gap_node, "children": [nodes[j], nodes[j + 1]]}]
        del gaps[j]
    return nodes[0] if nodes else {}
