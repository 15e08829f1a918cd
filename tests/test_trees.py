"""Syntax trees on hand-made inputs (issue #14, part 3): what made them wrong, one test per fix.

Every test builds its dictionary or gaps by hand (Segment, Occurrence, small PPMs), so it is fast and
deterministic; only the grouping tests run TOMTOM, on a dozen small PPMs. New names are reached through
their modules inside each test, so every test fails on its own before its fix.
"""

from __future__ import annotations

import numpy as np

from conftest import ESRRB, KLF1
from helpers.compare import align
from neuronmotif import dictionary as dictionary_module
from neuronmotif import grammar
from neuronmotif.dictionary import DictionaryMotif, NeuronDictionary, Occurrence, build_dictionary
from neuronmotif.grammar import Combination, build_combinations, crm_items, gap_range
from neuronmotif.motifs import Match, jaspar_motif, load_motif_db, match_known
from neuronmotif.ppm import information_content
from neuronmotif.segment import Segment

CRM_LENGTH = 40


def _segment(crm: int, start: int, end: int, ppm: np.ndarray | None = None) -> Segment:
    ppm = np.full((4, end - start), 0.25) if ppm is None else ppm
    return Segment(3, 0, crm, start, end, ppm, float(information_content(ppm).mean()))


def _occurrence(crm: int, motif: int, start: int, width: int, strand: str = "+",
                segment: tuple[int, int] | None = None) -> Occurrence:
    """An occurrence found as ``segment`` (default: its own columns, within the CRM)."""
    low, high = segment or (max(start, 0), min(start + width, CRM_LENGTH))
    return Occurrence(_segment(crm, low, high), motif, start, width, strand)


def _dictionary(widths: list[int], occurrences: list[Occurrence]) -> NeuronDictionary:
    motifs = [DictionaryMotif(3, 0, k, _segment(0, 0, w)) for k, w in enumerate(widths)]
    for occ in occurrences:
        motifs[occ.motif].occurrences.append(occ)
    return NeuronDictionary(3, 0, motifs)


def _noisy(ppm: np.ndarray, rng: np.random.Generator, concentration: float = 200.0) -> np.ndarray:
    """A PPM sampled around ``ppm`` (4, w), as a CRM segment of that motif would look."""
    return np.stack([rng.dirichlet(ppm[:, j] * concentration + 0.5) for j in range(ppm.shape[1])], axis=1)


def _overlap(a, b) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _adjacent_slot_items(combinations: list[Combination]):
    """(item at slot j, item at slot j + 1) of every member of every combination."""
    for combo in combinations:
        for member in combo.members:
            where = dict(zip(member.slots, member.items, strict=True))
            for slot in range(len(combo.keys) - 1):
                if slot in where and slot + 1 in where:
                    yield where[slot], where[slot + 1]


# 1. occurrences outside their CRM


def test_occurrences_are_clipped_to_their_crm_and_keep_the_motif_frame():
    """A 10-bp motif placed at -4 (its segment is the CRM's first 6 columns) and at 34 (past a 40-bp CRM)
    is clipped to [0, 40); one with less than half of the motif inside (-7) is dropped. The known match
    of a clipped item stays where the whole motif puts it."""
    left, right, outside = _occurrence(0, 0, -4, 10), _occurrence(0, 0, 34, 10, "-"), _occurrence(1, 0, -7, 10)
    assert (left.start, left.width) == (-4, 10), "the set-up no longer places the motif off the CRM"
    clipped = left.within(CRM_LENGTH)
    assert (clipped.start, clipped.end, clipped.clipped) == (0, 6, (4, 0))
    assert right.within(CRM_LENGTH).clipped == (0, 4) and outside.within(CRM_LENGTH) is None
    assert clipped.within(CRM_LENGTH) == clipped, "clipping is not idempotent"
    for orientation in "+-":
        items = crm_items([left, right], CRM_LENGTH, orientation)
        assert all(0 <= i.start and i.end <= CRM_LENGTH for i in items), [(i.start, i.end) for i in items]
        assert sorted(i.motif_width for i in items) == [10, 10]
    item = crm_items([left], CRM_LENGTH)[0]
    whole = Match("m", 1, "X", "X", 1e-8, 1e-6, 0, "+", 10, 10)  # the known motif is the whole 10 bp
    assert grammar.known_interval(item, whole) == (-4, 6)
    reverse = crm_items([left], CRM_LENGTH, "-")[0]
    assert grammar.known_interval(reverse, whole) == (CRM_LENGTH - 6, CRM_LENGTH + 4)


def test_built_dictionary_places_a_motif_cut_by_the_crm_edge_inside_the_crm():
    """ESRRB whole in four CRMs and, in a fifth, only its last 7 columns at the CRM's start: that
    occurrence is placed at -3 unless clipped to the CRM."""
    rng = np.random.default_rng(1)
    esrrb = jaspar_motif(ESRRB)[1]
    segments = [_segment(c, 10, 20, _noisy(esrrb, rng)) for c in range(4)]
    segments.append(_segment(4, 0, 7, _noisy(esrrb, rng)[:, 3:]))
    built = build_dictionary(segments, 3, 0, crm_length=30)
    assert len(built.motifs) == 1 and built.motifs[0].n_crms == 5
    edge = [o for o in built.motifs[0].occurrences if o.crm_index == 4]
    assert [(o.start, o.end, o.clipped) for o in edge] == [(0, 7, (3, 0))]
    assert all(0 <= o.start and o.end <= 30 for o in built.motifs[0].occurrences)


# 2. one site read twice


def test_one_site_read_on_both_strands_is_one_slot():
    """M0 (12 bp) read on + from columns 10-20 and on - from 21-26, placed 6 bp apart: one site, so the
    CRMs make a one-slot combination, not M0(+) -[-6 bp]- M0(-). The better supported reading stays."""
    occurrences = []
    for crm in range(3):
        occurrences += [_occurrence(crm, 0, 10, 12, "+", (10, 20)), _occurrence(crm, 0, 16, 12, "-", (21, 26))]
    combos = build_combinations(_dictionary([12], occurrences), CRM_LENGTH)
    assert [c.keys for c in combos] == [[(0, "+")]], [(c.keys, c.gaps(0)) for c in combos]
    assert [m.items[0].start for m in combos[0].members] == [10, 10, 10]


def test_two_dictionary_motifs_on_one_site_are_one_slot():
    """M0 (12 bp) and M1 (8 bp) matched at overlapping places (6 of M1's 8 columns shared) are one site;
    a real M1 site 5 bp downstream of M0 is still a pair."""
    occurrences = []
    for crm in range(3):
        occurrences += [_occurrence(crm, 0, 10, 12, "+", (10, 22)), _occurrence(crm, 1, 16, 8, "+", (22, 24))]
    occurrences += [_occurrence(3, 0, 2, 12), _occurrence(3, 1, 19, 8)]
    combos = build_combinations(_dictionary([12, 8], occurrences), CRM_LENGTH)
    pairs = [c for c in combos if len(c.keys) == 2]
    assert [c.keys for c in pairs] == [[(0, "+"), (1, "+")]] and pairs[0].gaps(0) == [5]
    assert all(_overlap(a, b) * 2 < min(a.width, b.width) for a, b in _adjacent_slot_items(combos))


# 3. chains of one motif at negative gaps


def test_no_combination_has_adjacent_slots_at_one_place():
    """Random CRMs of three motifs, many placed over each other, on both strands: no member of any
    combination holds two adjacent slots overlapping by half the shorter or more, while a genuine
    M0(+) M0(-) pair at a positive gap keeps both slots."""
    rng = np.random.default_rng(0)
    widths = [12, 8, 10]
    occurrences = []
    for crm in range(40):
        for _ in range(rng.integers(1, 5)):
            motif = int(rng.integers(0, 3))
            start = int(rng.integers(0, CRM_LENGTH - widths[motif]))
            occurrences.append(_occurrence(crm, motif, start, widths[motif], "+-"[int(rng.integers(0, 2))],
                                           (start + int(rng.integers(0, 3)), start + widths[motif])))
    occurrences += [_occurrence(40, 0, 2, 12, "+"), _occurrence(40, 0, 17, 12, "-")]
    combos = build_combinations(_dictionary(widths, occurrences), CRM_LENGTH)
    pairs = list(_adjacent_slot_items(combos))
    assert pairs, "the set-up makes no combination with two slots"
    bad = [(a, b) for a, b in pairs if 2 * _overlap(a, b) >= min(a.width, b.width)]
    assert not bad, bad[:3]
    genuine = [m for c in combos for m in c.members if m.crm_index == 40]
    assert genuine and all(len(m.items) == 2 for m in genuine)


# 4. transitive grouping


def test_leader_groups_do_not_chain_two_groups_through_a_composite():
    """Items 0-3 (one motif) and 4-7 (another) are each similar within; item 8, a composite, is similar
    to all of them but more weakly. Single linkage makes one group; leaders keep two."""
    similar = [set() for _ in range(9)]
    strength = np.zeros((9, 9))
    for group, value in (((0, 1, 2, 3), 13.0), ((4, 5, 6, 7), 11.0)):
        for i in group:
            for j in group:
                if i != j:
                    similar[i].add(j)
                    strength[i, j] = value
    for i, value in ((0, 6.0), (1, 6.0), (2, 6.0), (3, 6.0), (4, 3.0), (5, 3.0), (6, 3.0), (7, 3.0)):
        similar[i].add(8)
        similar[8].add(i)
        strength[i, 8] = strength[8, i] = value
    support = strength.sum(axis=1)
    order = sorted(range(9), key=lambda i: (-support[i], i))
    groups = dictionary_module.leader_groups(order, similar, strength)
    assert sorted(sorted(g) for g in groups) == [[0, 1, 2, 3, 8], [4, 5, 6, 7]]
    assert all(g[0] != 8 for g in groups), "the composite leads a group"


def test_a_composite_segment_does_not_blur_two_motifs_into_one_unnamed_entry():
    """Four ESRRB segments, four KLF1 segments and one ESRRB+KLF1 composite (similar to both at q < 0.01).
    Single linkage made them one entry whose representative, the composite (similar to most), named
    neither TF well; leader grouping keeps ESRRB and KLF1 apart, each represented by one of its own
    segments and named after its TF."""
    rng = np.random.default_rng(0)
    esrrb, klf1 = jaspar_motif(ESRRB)[1], jaspar_motif(KLF1)[1]
    composite = np.concatenate([esrrb[:, :-1], klf1[:, 1:]], axis=1)
    segments = [_segment(c, 10, 20, _noisy(esrrb, rng)) for c in range(4)]
    segments += [_segment(4 + c, 12, 20, _noisy(klf1, rng)) for c in range(4)]
    segments.append(_segment(8, 0, composite.shape[1], _noisy(composite, rng)))
    built = build_dictionary(segments, 3, 0)
    by_crm = {o.crm_index: m for m in built.motifs for o in m.occurrences}
    assert len({id(by_crm[c]) for c in range(4)}) == 1 and len({id(by_crm[c]) for c in range(4, 8)}) == 1
    esrrb_entry, klf1_entry = by_crm[0], by_crm[4]
    assert esrrb_entry is not klf1_entry, "ESRRB and KLF1 chained into one entry through the composite"
    assert esrrb_entry.representative.crm_index < 4 and 4 <= klf1_entry.representative.crm_index < 8
    assert align(esrrb, esrrb_entry.ppm).correlation > 0.9 and align(klf1, klf1_entry.ppm).correlation > 0.9
    names = match_known({m.name: m.ppm for m in (esrrb_entry, klf1_entry)}, load_motif_db())
    assert names[esrrb_entry.name][0].target_id == ESRRB and names[klf1_entry.name][0].target_id == KLF1


# 5. outlier trimming


def _expand(counts: dict[int, int]) -> list[int]:
    return [g for g, n in counts.items() for _ in range(n)]


def test_a_flexible_gap_keeps_its_whole_supported_range():
    """A spacing seen at every bp from 1 to 12, mostly at 3: the published rule kept only 1-7 (the
    median +- 4); the whole range is supported. A rare gap 18 bp away is still an outlier, a far
    cluster that is not rare is not."""
    counts = {1: 2, 2: 3, 3: 40, 4: 6, 5: 4, 6: 3, 7: 3, 8: 2, 9: 2, 10: 1, 11: 1, 12: 1}
    whole = gap_range(_expand(counts))
    assert (whole.low, whole.high, whole.kind) == (1, 12, "flexible"), whole.label()
    assert whole.counts == counts and whole.median == 3.0
    with_outlier = gap_range(_expand({**counts, 30: 1}))
    assert (with_outlier.low, with_outlier.high) == (1, 12) and with_outlier.counts[30] == 1
    every_other = gap_range(_expand({2: 20, 4: 3, 6: 2, 8: 2, 10: 1, 12: 1, 40: 1}))
    assert (every_other.low, every_other.high) == (2, 12), "a range observed every other bp is cut"
    two_clusters = gap_range(_expand({3: 10, 20: 4}))
    assert (two_clusters.low, two_clusters.high) == (3, 20), "a cluster holding 29% dropped as an outlier"
    small_window = gap_range(_expand({2: 1, 3: 3, 4: 25, 5: 3, 6: 1}), grammar.GrammarConfig(window=1))
    assert (small_window.low, small_window.high) == (2, 6), "the range cut to the mode's neighbourhood"


# 6. gaps weighted by sequences


def test_gaps_are_weighted_by_the_sequences_of_each_crm():
    """M0 then M1: 3 bp apart in a CRM of 800 sequences, 15 bp apart in three CRMs of 12. Counted per
    CRM, 15 bp is the median and the range 3-15; weighted by sequences, the spacing is a hard 3 bp and
    15 bp is a rare, isolated outlier (36 of 836 sequences)."""
    occurrences = [_occurrence(0, 0, 5, 8), _occurrence(0, 1, 16, 8)]
    for crm in (1, 2, 3):
        occurrences += [_occurrence(crm, 0, 5, 8), _occurrence(crm, 1, 28, 8)]
    sequences = {0: 800, 1: 12, 2: 12, 3: 12}
    combos = build_combinations(_dictionary([8, 8], occurrences), CRM_LENGTH, n_sequences=sequences)
    assert len(combos) == 1 and [m.n_sequences for m in combos[0].members] == [800, 12, 12, 12]
    gaps, weights = combos[0].gaps(0), combos[0].gap_weights(0)
    assert sorted(zip(gaps, weights, strict=True)) == [(3, 800), (15, 12), (15, 12), (15, 12)]
    per_crm, weighted = gap_range(gaps), gap_range(gaps, weights=weights)
    assert (per_crm.median, per_crm.low, per_crm.high) == (15.0, 3, 15)
    assert (weighted.median, weighted.low, weighted.high, weighted.kind) == (3.0, 3, 3, "hard")
    assert weighted.counts == {3: 1, 15: 3} and weighted.weights == {3: 800.0, 15: 36.0}
    unweighted = build_combinations(_dictionary([8, 8], occurrences), CRM_LENGTH)
    assert unweighted[0].gap_weights(0) == [1, 1, 1, 1]
