"""Which pair hypotheses the model measures, and how: a quick screen of every order and strand, then full scans.

* :func:`measure_pairs` screens a pair hypothesis in every order and strand on ``n_screen`` backgrounds and
  scans its competitive orientations at every gap (:func:`to_scan`);
* :func:`pairs_of_drivers`: pairs the model proposes, of the motifs that move a readout most inserted alone;
* :func:`second_look`: hypotheses beyond the trees' ``max_pairs`` whose quick screen moves some model output
  at least ``min_share`` as much as anything measured so far does, measured in full too. A task the model
  learned as a pure AND of two motifs gets no driver pair (neither motif moves the output alone), and its
  CRMs can hold the pair less often than the pairs of busier tasks hold theirs; hypotheses further down get a
  placed test at the arrangement and gap their CRMs hold (:func:`held_arrangements`), about 1/40 of a screen.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..annotation import NetworkMotif
from .config import RulesConfig
from .hypotheses import PairHypothesis, holders
from .orientation import Arrangement, canonical
from .verdicts import DRIVEN_P, Benches, Verdict, measure_pair, placed_pair_outputs, screen_pair, screen_pair_outputs

#: most neurons read per hypothesis (highest layers first)
MAX_READ_NEURONS = 24
#: an orientation whose best screened peak is at least this share of the pair's best gets a full scan
SCREEN_SHARE = 0.5


def read_neurons(neurons: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The neurons a hypothesis is read on: at most :data:`MAX_READ_NEURONS`, highest layers first."""
    return sorted(sorted(neurons, key=lambda ln: (-ln[0], ln[1]))[:MAX_READ_NEURONS])


def arrangements(a: str, b: str) -> list[tuple[str, str, str, str]]:
    """Every order and strand of a pair (8, or 4 for two copies of one motif): a model trained on one
    strand tells an arrangement from its reverse complement, so both are screened (:func:`to_scan`)."""
    return sorted({(first, s1, second, s2) for first, second in ((a, b), (b, a)) for s1 in "+-" for s2 in "+-"})


def to_scan(screened: list[tuple[float, tuple, tuple]], most: int) -> list[tuple[tuple, tuple]]:
    """The arrangements of a pair that get the full scan: the best screened arrangement of each orientation
    (an arrangement and its reverse complement are one), best first, while its screened peak is positive
    and at least :data:`SCREEN_SHARE` of the best, at most ``most``. The quick screen hardly tells apart
    the orientations of a near-palindromic motif (a FOX read as ``GTGTATACA``), so every competitive
    orientation is measured, not only the first two arrangements (which can be one orientation twice)."""
    best: dict[tuple, tuple[float, tuple, tuple]] = {}
    for peak, first, second in sorted(screened, key=lambda x: -x[0]):
        best.setdefault(canonical((first[0], first[2], second[0], second[2])), (peak, first, second))
    ranked = list(best.values())
    top = ranked[0][0] if ranked else 0.0
    return [(first, second) for peak, first, second in ranked[:most] if peak > 0 and peak >= SCREEN_SHARE * top]


def _inserted(by_id: dict[str, NetworkMotif], motif: str, strand: str) -> tuple[str, np.ndarray, str]:
    return motif, by_id[motif].representative.ppm, strand


def measure_pairs(benches: Benches, by_id: dict[str, NetworkMotif], hypotheses: list[PairHypothesis],
                  config: RulesConfig) -> list[tuple[Verdict, set[tuple[int, int]]]]:
    """Every pair hypothesis screened in each order and strand, its competitive orientations scanned at every
    gap (:func:`to_scan`): (verdict, the hypothesis' neurons) per scanned arrangement."""
    out = []
    for hyp in hypotheses:
        neurons = read_neurons(hyp.neurons)
        screened = []
        for a, sa, b, sb in arrangements(*hyp.motifs):
            first, second = _inserted(by_id, a, sa), _inserted(by_id, b, sb)
            peak = screen_pair(benches, first, second, neurons)
            if peak is not None:
                screened.append((peak, first, second))
        for first, second in to_scan(screened, config.full_scans):
            if (verdict := measure_pair(benches, first, second, neurons)) is not None:
                out.append((verdict, hyp.neurons))
    return out


def pairs_of_drivers(verdicts: dict[str, Verdict], by_id: dict[str, NetworkMotif], most: int,
                     proposed: set[tuple[str, str]], cap: int) -> list[PairHypothesis]:
    """Pairs the model proposes: for every judging readout (a model output; a neuron where there is none),
    the ``most`` motifs that move it most inserted alone (p < DRIVEN_P) paired with each other, but for pairs
    already ``proposed``; at most ``cap``, taken in turn from each readout (its strongest new pair first).

    The trees propose the pairs their CRMs place side by side, ranked by the sequences that hold them; two
    motifs a task needs together can rank below ``max_pairs`` (its CRMs split over many neurons, or one of
    the motifs read as short pieces). These pairs are held by the neurons of both motifs.
    """
    judges = {v.readout for v in verdicts.values()}
    effects: dict[str, dict[str, float]] = {readout: {} for readout in judges}
    for name, v in verdicts.items():
        if v.p_value < DRIVEN_P and v.effect > 0:
            for readout, value in {**v.driven, v.readout: v.effect}.items():
                if readout in judges and value > 0:
                    effects[readout][name] = value
    queues = []
    for readout in sorted(effects, key=lambda r: (-max(effects[r].values(), default=0.0), r)):
        top = sorted(effects[readout], key=lambda m: (-effects[readout][m], m))[:most]
        pairs = (tuple(sorted((a, b))) for i, a in enumerate(top) for b in top[i + 1:])
        queues.append([key for key in pairs if key not in proposed])
    out: dict[tuple[str, str], PairHypothesis] = {}
    for turn in range(max(map(len, queues), default=0)):
        for key in (q[turn] for q in queues if turn < len(q)):
            if key not in out and len(out) < cap:
                out[key] = PairHypothesis(key, holders(by_id[key[0]]) | holders(by_id[key[1]]))
    return list(out.values())


def strongest_on_outputs(verdicts: list[Verdict]) -> dict[str, float]:
    """The strongest effect any verdict has on each model output it moves ('output <t>' -> output units): its
    effect on the readout that judges it, its significant mean response (interaction, for pairs) on others."""
    best: dict[str, float] = {}
    for v in verdicts:
        for readout, value in {**v.driven, v.readout: v.effect}.items():
            if readout.startswith("output"):
                best[readout] = max(best.get(readout, 0.0), value)
    return best


def held_arrangements(hypothesis: PairHypothesis, gaps: dict[Arrangement, Counter],
                      most: int = 3) -> list[tuple[Arrangement, int]]:
    """The ``most`` placements (arrangement and gap) of a hypothesis' two motifs its CRMs hold most, by
    sequences (``gaps``: :func:`~neuronmotif.rules.orientation.arrangement_gaps`). One arrangement can be
    held at two gaps by two neurons (basset-C: NFKB then an IRF-like motif at -1 bp by the neuron that reads
    the pair, at 18 bp, more often, by another)."""
    pair = sorted(hypothesis.motifs)
    held = [(n, key, gap) for key, by_gap in gaps.items() if sorted((key[0], key[2])) == pair
            for gap, n in by_gap.items()]
    return [(key, gap) for _, key, gap in sorted(held, key=lambda x: (-x[0], x[1], x[2]))[:most]]


def second_look(benches: Benches, by_id: dict[str, NetworkMotif], hypotheses: list[PairHypothesis],
                measured: list[Verdict], floors: dict[str, float], config: RulesConfig,
                gaps: dict[Arrangement, Counter] | None = None) -> list[PairHypothesis]:
    """Hypotheses beyond the measured ones worth a full scan: a quick screen of each (every order and strand,
    ``n_screen`` backgrounds), or for those beyond ``config.second_look`` a placed test (the arrangements and
    gap their CRMs hold most, :func:`held_arrangements`), that raises some model output, needing both
    motifs (:func:`~neuronmotif.rules.verdicts.screen_pair_outputs`,
    :func:`~neuronmotif.rules.verdicts.placed_pair_outputs`), by at least ``min_share`` of the strongest
    effect ``measured`` has on it and by its floor (``floors``: ``min_effect_sd`` of its spread, by output).

    Parameters
    ----------
    hypotheses : list of PairHypothesis
        Not measured yet, most supported first; the first ``config.second_look`` are screened, the next
        ``config.placed_look`` get the placed test.
    measured : list of Verdict
        Every verdict so far (motifs alone and pairs).
    gaps : dict or None
        The CRMs' arrangements and gaps (:func:`~neuronmotif.rules.orientation.arrangement_gaps`); None: no
        placed tests.

    Returns
    -------
    At most ``config.max_pairs // 4`` hypotheses, the most promising first (peak over the strongest measured
    effect on that output). Empty when the model's head does not run.
    """
    if not floors:
        return []
    strongest = strongest_on_outputs(measured)
    promise: dict[tuple[str, str], float] = {}
    chosen: dict[tuple[str, str], PairHypothesis] = {}

    def weigh(hyp: PairHypothesis, peaks: dict[str, float]) -> None:
        for output, peak in peaks.items():
            needed = max(floors.get(output, 0.0), config.min_share * strongest.get(output, 0.0))
            if peak >= needed and peak > 0:
                ratio = peak / max(strongest.get(output, 0.0), floors.get(output, 0.0), 1e-12)
                promise[hyp.motifs] = max(promise.get(hyp.motifs, 0.0), ratio)
                chosen[hyp.motifs] = hyp

    for hyp in hypotheses[: config.second_look]:
        neurons = read_neurons(hyp.neurons)
        for a, sa, b, sb in arrangements(*hyp.motifs):
            weigh(hyp, screen_pair_outputs(benches, _inserted(by_id, a, sa), _inserted(by_id, b, sb), neurons))
    placed = hypotheses[config.second_look: config.second_look + config.placed_look] if gaps else []
    for hyp in placed:
        neurons = read_neurons(hyp.neurons)
        for (a, sa, b, sb), gap in held_arrangements(hyp, gaps):
            weigh(hyp, placed_pair_outputs(benches, _inserted(by_id, a, sa), _inserted(by_id, b, sb), gap, neurons))
    ranked = sorted(chosen, key=lambda key: (-promise[key], key))
    return [chosen[key] for key in ranked[: config.max_pairs // 4]]


__all__ = ["MAX_READ_NEURONS", "SCREEN_SHARE", "arrangements", "held_arrangements", "measure_pairs", "pairs_of_drivers",
           "read_neurons", "second_look", "strongest_on_outputs", "to_scan"]
