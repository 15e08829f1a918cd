"""The benchmark's scoring on inputs whose answer is known: the planted PWMs themselves, random PWMs,
and patterns built with the right or a wrong spacing, order or strand."""

import numpy as np
import pytest
from nmbench.scoring import Pattern, Report, score

from neuronmotif.datasets.simulate import Grammar
from neuronmotif.motifs import MotifDatabase, jaspar_motif
from neuronmotif.sequences import reverse_complement

GRAMMARS = [Grammar("CEBPB", ["MA0466.4"]),
            Grammar("ESRRB-3bp-KLF1", ["MA0141.4", "MA0493.3"], [(3, 3)]),
            Grammar("FOXA2-2to6bp-FOXA2", ["MA0047.4", "MA0047.4"], [(2, 6)])]


@pytest.fixture(scope="module")
def planted() -> MotifDatabase:
    ids = ["MA0466.4", "MA0141.4", "MA0493.3", "MA0047.4"]
    motifs = [jaspar_motif(m) for m in ids]
    return MotifDatabase("planted", ids, [n for n, _ in motifs], [p for _, p in motifs])


def _pattern(db: MotifDatabase, first: str, second: str, gap: int, flank: int = 6) -> np.ndarray:
    """A (4, L) PPM: uniform flank, first motif, uniform gap, second motif, uniform flank."""
    ppm = {m: p for m, p in zip(db.ids, db.ppms, strict=True)}
    uniform = lambda n: np.full((4, n), 0.25)  # noqa: E731
    return np.concatenate([uniform(flank), ppm[first], uniform(gap), ppm[second], uniform(flank)], axis=1)


def test_planted_pwms_score_as_fully_recovered(planted):
    patterns = [Pattern("hard", _pattern(planted, "MA0141.4", "MA0493.3", 3), 1000),
                Pattern("flexible", _pattern(planted, "MA0047.4", "MA0047.4", 6), 1000)]
    result = score(Report("truth", dict(zip(planted.ids, planted.ppms, strict=True)), patterns), planted, GRAMMARS)
    assert sorted(result.recovered) == sorted(planted.ids)
    assert all(q < 0.05 for q in result.recovered.values())
    assert result.n_grammars_recovered == 2
    assert [h.gap for h in result.grammar["ESRRB-3bp-KLF1"]] == [3]
    assert result.false_motifs == []


def test_random_pwms_recover_nothing(planted):
    rng = np.random.default_rng(0)
    randoms = {f"random{i}": rng.dirichlet(np.full(4, 0.3), size=10).T for i in range(12)}
    patterns = [Pattern("random", np.concatenate(list(randoms.values())[:3], axis=1), 1000)]
    result = score(Report("random", randoms, patterns), planted, GRAMMARS)
    assert result.recovered == {}
    assert result.n_grammars_recovered == 0
    assert result.n_informative >= len(randoms) // 2
    assert len(result.false_motifs) == result.n_informative


def test_grammar_needs_the_planted_gap_order_and_one_strand(planted):
    hard = ("MA0141.4", "MA0493.3")
    cases = {"gap 4 (within 1 bp)": (_pattern(planted, *hard, 4), True),
             "gap 7": (_pattern(planted, *hard, 7), False),
             "reverse order": (_pattern(planted, *hard[::-1], 3), False),
             "reverse complement": (reverse_complement(_pattern(planted, *hard, 3)), True),
             "homotypic gap 7 (range 2-6, within 1 bp)": (_pattern(planted, "MA0047.4", "MA0047.4", 7), True),
             "homotypic gap 10": (_pattern(planted, "MA0047.4", "MA0047.4", 10), False)}
    for label, (ppm, expected) in cases.items():
        result = score(Report("x", {}, [Pattern(label, ppm, 1000)]), planted, GRAMMARS)
        name = "FOXA2-2to6bp-FOXA2" if "homotypic" in label else "ESRRB-3bp-KLF1"
        assert bool(result.grammar[name]) is expected, label
