"""Stage 4c: a neuron's syntax tree - which motifs combine, in which order, at which spacing (section 1.11).

1. **Motif sequences.** Each CRM becomes the ordered list of its dictionary-motif occurrences
   (motif, strand, start), from :mod:`~neuronmotif.dictionary`, clipped to the CRM and one per place
   (:func:`~neuronmotif.dictionary.place_in_crm`), so no combination holds two adjacent slots at one
   place (a site read on both strands, or matched twice, paired with itself at a negative gap).
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
   the next; negative when they overlap) of every member holding both, weighted by its CRM's sequences.
   :func:`gap_range` keeps the whole supported range, dropping only rare, isolated outliers. min = max
   is hard syntax, otherwise flexible. When both motifs are named, the same is computed between the
   edges of their known matches (``known_gap``), which is the spacing a biologist compares with the
   literature.
5. **Tree.** Adjacent nodes are merged bottom-up, the pair with the narrowest gap range first (ties:
   the smaller median gap), so rigid spacings sit at the bottom and flexible ones at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .dictionary import NeuronDictionary, Occurrence, place_in_crm
from .motifs import Match
from .motifs.similarity import aligned_columns


@dataclass(frozen=True)
class GrammarConfig:
    """Parameters of the syntax tree.

    Attributes
    ----------
    window : int
        bp around the (weighted) median gap that may hold the bulk of the gaps (published: 4).
    bulk : float
        Share of the gaps' weight that must lie in the window for outliers to be dropped (published: 0.8).
    step : int
        Largest distance (bp) between two observed gaps of one supported range (see :func:`gap_range`).
    """

    window: int = 4
    bulk: float = 0.8
    step: int = 2


def opposite(strand: str) -> str:
    """'-' for '+' and '+' for '-'."""
    return "-" if strand == "+" else "+"


def orient(strand: str, relative: str) -> str:
    """The strand of something that reads on ``relative`` with respect to a motif that reads on ``strand``."""
    return strand if relative == "+" else opposite(strand)


@dataclass(frozen=True)
class Item:
    """One motif occurrence in a CRM, in the frame of a chosen orientation of that CRM.

    ``start``, ``width``: the CRM columns it covers (clipped to the CRM); ``segment``: the columns of the
    segment it was found as; ``clipped``: motif columns (left, right, in this frame) cut off at the edges.
    """

    motif: int
    strand: str
    start: int
    width: int
    segment: tuple[int, int] | None = None
    clipped: tuple[int, int] = (0, 0)

    @property
    def key(self) -> tuple[int, str]:
        return self.motif, self.strand

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def origin(self) -> int:
        """Column where the whole motif starts, clipped columns included (its position for spacing)."""
        return self.start - self.clipped[0]

    @property
    def motif_width(self) -> int:
        """Width of the whole motif, clipped columns included."""
        return self.width + self.clipped[0] + self.clipped[1]

    @property
    def evidence(self) -> tuple[int, int]:
        """CRM columns ``[start, end)`` of the segment it was found as (its placement may reach beyond)."""
        return self.segment if self.segment is not None else (self.start, self.end)


def _item(occurrence: Occurrence) -> Item:
    return Item(occurrence.motif, occurrence.strand, occurrence.start, occurrence.width,
                (occurrence.segment.start, occurrence.segment.end), occurrence.clipped)


def _reversed(item: Item, crm_length: int) -> Item:
    """The item in the frame of the CRM's reverse complement."""
    low, high = item.evidence
    return Item(item.motif, opposite(item.strand), crm_length - item.end, item.width,
                (crm_length - high, crm_length - low), (item.clipped[1], item.clipped[0]))


def crm_items(occurrences: list[Occurrence], crm_length: int, orientation: str = "+") -> list[Item]:
    """A CRM's occurrences as items, read on ``orientation`` ('-': the CRM's reverse complement).

    Occurrences are first clipped to the CRM and reduced to one per place
    (:func:`~neuronmotif.dictionary.place_in_crm`), so both orientations hold the same items, each within
    ``[0, crm_length)``; sorted by (start, motif).
    """
    items = [_item(o) for o in place_in_crm(occurrences, crm_length)]
    if orientation == "-":
        items = [_reversed(i, crm_length) for i in items]
    return sorted(items, key=lambda i: (i.start, i.motif))


@dataclass
class Member:
    """A CRM aligned to a combination: its ``items`` (read on ``orientation``, '-': its reverse complement)
    at ``slots``; ``shift`` puts their origins in the combination's frame; ``n_sequences`` (the CRM's
    sampled sequences) weights its gaps."""

    crm_index: int
    orientation: str
    slots: list[int]
    items: list[Item]
    shift: float = 0.0
    n_sequences: int = 1


@dataclass
class Combination:
    """Motifs that occur together in a fixed order, with the CRMs that hold them."""

    keys: list[tuple[int, str]]
    members: list[Member] = field(default_factory=list)

    def slot_means(self) -> np.ndarray:
        """Mean origin of each slot over the members holding it, in the combination's frame, (slots,)."""
        total, count = np.zeros(len(self.keys)), np.zeros(len(self.keys))
        for m in self.members:
            for slot, item in zip(m.slots, m.items, strict=True):
                total[slot] += item.origin + m.shift
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
            step = items[k].origin - items[k - 1].origin
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

    def add(self, crm_index: int, orientation: str, items: list[Item], slots: list[int],
            n_sequences: int = 1) -> None:
        """Add a CRM's items at ``slots``; ``n_sequences`` (its sampled sequences) weights its gaps."""
        means = self.slot_means()
        known = [(means[s], i.origin) for s, i in zip(slots, items, strict=True) if np.isfinite(means[s])]
        shift = float(np.mean([mu - origin for mu, origin in known])) if known else 0.0
        self.members.append(Member(crm_index, orientation, slots, items, shift, n_sequences))

    def _holding(self, slot: int) -> list[tuple[Member, Item, Item]]:
        """(member, item at ``slot``, item at ``slot + 1``) for every member holding both slots."""
        out = []
        for m in self.members:
            where = dict(zip(m.slots, m.items, strict=True))
            if slot in where and slot + 1 in where:
                out.append((m, where[slot], where[slot + 1]))
        return out

    def gaps(self, slot: int) -> list[int]:
        """Observed gaps (bp) between slot ``slot`` and ``slot + 1``, one per member holding both."""
        return [second.start - first.end for _, first, second in self._holding(slot)]

    def gap_weights(self, slot: int) -> list[int]:
        """The sequences behind each gap of :meth:`gaps` (and of :func:`known_gaps`), in the same order."""
        return [m.n_sequences for m, _, _ in self._holding(slot)]


def _join(combinations: list[Combination], crm_index: int, occurrences: list[Occurrence], crm_length: int,
          weight: int) -> bool:
    """Add a CRM to every combination it embeds in, as given or else reverse-complemented; whether it joined."""
    for orientation in "+-":
        items = crm_items(occurrences, crm_length, orientation)
        fits = [(c, slots) for c in combinations if (slots := c.embed(items)) is not None]
        for combination, slots in fits:
            combination.add(crm_index, orientation, items, slots, weight)
        if fits:
            return True
    return False


def build_combinations(dictionary: NeuronDictionary, crm_length: int,
                       n_sequences: Mapping[int, int] | None = None) -> list[Combination]:
    """Group a neuron's CRMs into ordered motif combinations (alternatives of its grammar).

    ``n_sequences`` maps a CRM index to its sampled sequences (``CRM.n_sequences``), the weight of the
    CRM's gaps (:meth:`Combination.gap_weights`); a CRM it lacks (or None) weighs 1.
    """
    placed = {crm: place_in_crm(occ, crm_length) for crm, occ in dictionary.occurrences_by_crm().items()}
    sequences = sorted(((c, o) for c, o in placed.items() if o), key=lambda kv: (-len(kv[1]), kv[0]))
    combinations: list[Combination] = []
    for crm_index, occurrences in sequences:
        weight = int((n_sequences or {}).get(crm_index, 1))
        if not _join(combinations, crm_index, occurrences, crm_length, weight):
            items = crm_items(occurrences, crm_length)
            combination = Combination([i.key for i in items])
            combination.add(crm_index, "+", items, list(range(len(items))), weight)
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
        Weighted median of the gaps.
    counts : dict of int -> int
        Every observed gap and how many CRMs show it (outliers included).
    weights : dict of int -> float, or None
        Every observed gap and the sequences of the CRMs showing it (None: unweighted, as ``counts``).
    """

    low: int
    high: int
    median: float
    counts: dict[int, int]
    weights: dict[int, float] | None = None

    @property
    def kind(self) -> str:
        return "hard" if self.low == self.high else "flexible"

    @property
    def width(self) -> int:
        return self.high - self.low

    def label(self) -> str:
        return f"{self.low} bp" if self.kind == "hard" else f"{self.low}-{self.high} bp"


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Median of sorted distinct ``values`` (k,) weighted by ``weights`` (k,); np.median's for unit weights."""
    cumulative = np.cumsum(weights)
    half = cumulative[-1] / 2
    lower = values[np.searchsorted(cumulative, half, side="left")]
    upper = values[np.searchsorted(cumulative, half, side="right")]
    return (float(lower) + float(upper)) / 2


def supported_bounds(values: np.ndarray, weights: np.ndarray, median: float,
                     config: GrammarConfig) -> tuple[int, int]:
    """Inclusive (low, high) kept of sorted distinct gaps ``values`` (k,) of ``weights`` (k,): see :func:`gap_range`."""
    core = np.abs(values - median) <= config.window
    if weights[core].sum() / weights.sum() < config.bulk:
        return int(values[0]), int(values[-1])
    low, high = int(values[core].min()), int(values[core].max())
    for v in values[values > high]:
        if v - high > config.step:
            break
        high = int(v)
    for v in values[values < low][::-1]:
        if low - v > config.step:
            break
        low = int(v)
    return low, high


def gap_range(gaps: Sequence[int], config: GrammarConfig = GrammarConfig(),
              weights: Sequence[float] | None = None) -> GapRange | None:
    """The supported range of observed gaps: only rare, isolated outliers are dropped.

    Rule: the core is the gaps within ``window`` bp of the weighted median. If it holds less than
    ``bulk`` of the weight, every gap is kept. Otherwise the range is the core grown outward through
    observed gaps at most ``step`` bp apart; what lies beyond the first larger hole is dropped. A dropped
    gap is thus *rare* (the dropped gaps weigh at most ``1 - bulk`` together) and *isolated* (more than
    ``step`` bp from the kept range). A flexible gap seen at 2, 3, ..., 12 bp keeps all of it, however
    unequal its counts (the published rule cut it to median +- ``window``).

    Parameters
    ----------
    gaps : sequence of int, shape (n,)
        One gap (bp) per observation (a CRM).
    config : GrammarConfig
    weights : sequence of float, shape (n,), or None
        Weight of each observation (its CRM's sequences, :meth:`Combination.gap_weights`); None: 1 each.

    Returns
    -------
    GapRange, or None when ``gaps`` is empty.
    """
    if len(gaps) == 0:
        return None
    observed = np.asarray(gaps, dtype=np.int64)
    w = np.ones(len(observed)) if weights is None else np.asarray(weights, dtype=np.float64)
    values, inverse, counts = np.unique(observed, return_inverse=True, return_counts=True)
    totals = np.bincount(inverse.ravel(), weights=w, minlength=len(values))
    median = weighted_median(values, totals)
    low, high = supported_bounds(values, totals, median, config)
    return GapRange(low, high, median, {int(g): int(c) for g, c in zip(values, counts, strict=True)},
                    None if weights is None else {int(g): float(t) for g, t in zip(values, totals, strict=True)})


def known_interval(item: Item, match: Match) -> tuple[int, int]:
    """CRM columns ``[start, end)`` covered by an item's known motif match, in the item's frame (placed
    from the whole motif, so clipping an item at the CRM's edge does not move its match)."""
    lo, hi = aligned_columns(match.offset, match.target_width)  # in the dictionary motif's own columns
    if item.strand == "+":
        return item.origin + lo, item.origin + hi
    return item.origin + item.motif_width - hi, item.origin + item.motif_width - lo


def covers_known(match: Match) -> bool:
    """Whether at least half of a known motif aligns to the query, so its edges can be placed in a CRM."""
    return match.overlap >= 0.5 * match.target_width


def known_gaps(combination: Combination, slot: int, best: dict[int, Match]) -> list[int]:
    """Gaps between the edges of the known motifs of slots ``slot`` and ``slot + 1``.

    Empty unless both motifs have a known match covering at least half of the known motif; otherwise one
    per member holding both slots, in the order of :meth:`Combination.gap_weights`.
    """
    first, second = combination.keys[slot][0], combination.keys[slot + 1][0]
    if first not in best or second not in best or not (covers_known(best[first]) and covers_known(best[second])):
        return []
    return [known_interval(b, best[second])[0] - known_interval(a, best[first])[1]
            for _, a, b in combination._holding(slot)]


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
