"""Verdicts from the model: does a motif, or a pair at some spacing, move the neurons and outputs?

For a single motif, both strands are inserted at the placements the neurons accept and the response of
each readout is measured (:func:`measure_motif`). For a pair, every order and strand is inserted at every
gap from half the shorter motif's overlap to the readout neurons' receptive field, together and each
motif alone (:func:`measure_pair`):

* the **interaction** of a configuration is ``together - first alone - second alone`` (each a paired
  difference with the background), the part of the response that needs both motifs;
* the readout that judges is the model output with the largest peak interaction (a neuron when the
  model's head does not run); its curve over gaps is kept;
* the **range** is the contiguous run of gaps around the peak whose interaction is at least
  ``half_max`` of the peak and either :data:`~neuronmotif.rules.spacing.NEAR_PEAK` of it or not
  significantly lower than the peak's on the same backgrounds, or, when that run is a plateau of three
  gaps or more, at least ``half_max`` of the peak (a one-bp dip inside is bridged; :func:`gap_span`); a
  core of two gaps is read again on the fresh test backgrounds and keeps only the stronger unless the
  other is not significantly lower (:func:`settle_two_gaps`): one gap is a hard spacing, more a flexible
  one;
* the **test** repeats the peak configuration on fresh backgrounds and fresh instances and asks whether
  the mean interaction (pairs) or the mean response (motifs) exceeds 0 (one-sided t-test); its
  ``cooperativity`` is the mean interaction over the mean response together.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ..model import DNAModel
from .config import RulesConfig
from .insertion import Bench, Scan, paired_effects, scan_pair, scan_single
from .spacing import gap_span, one_sided_p, settle_two_gaps

#: placements of a pair read at each gap of a placed test (:func:`placed_pair_outputs`)
PLACED_STARTS = 8
#: one-sided p below which a readout counts as driven by a rule
DRIVEN_P = 0.01


@dataclass
class Verdict:
    """What the model says about one arrangement (one motif, or two or three in order, each on a strand).

    Attributes
    ----------
    motifs : tuple of str
        Network motif ids in order.
    strands : tuple of str
    readout : str
        The readout that judges ('output <t>' or 'L<l>_N<n>').
    effect : float
        Mean response together at the peak configuration on fresh backgrounds (readout units).
    p_value : float
        One-sided test of the interaction (pairs) or of the response (motifs) at the peak.
    gap_range : tuple of int or None
        Pairs: (min, max) bp between the motifs' edges where the pair works.
    peak_gap : int or None
    cooperativity : float or None
        Pairs: mean interaction / mean response together, at the peak.
    driven : dict of str -> float
        Readouts with a significant response (interaction for pairs), with its mean.
    curve : dict
        'gaps' and, per output and the judging readout, 'together' and 'interaction' over gaps;
        'alone' the mean of the two motifs alone (pairs).
    start : int
        The peak configuration's start (-1: random phase near the centre).
    chain_gaps : tuple of (int, int)
        Chains of three motifs: (min, max) bp of each adjacent pair (``gap_range`` and ``peak_gap`` are None).
    chain_peaks : tuple of int
        Chains: the peak gap of each adjacent pair.
    """

    motifs: tuple[str, ...]
    strands: tuple[str, ...]
    readout: str
    effect: float
    p_value: float
    gap_range: tuple[int, int] | None = None
    peak_gap: int | None = None
    cooperativity: float | None = None
    driven: dict[str, float] = field(default_factory=dict)
    curve: dict = field(default_factory=dict)
    start: int = -1
    chain_gaps: tuple[tuple[int, int], ...] = ()
    chain_peaks: tuple[int, ...] = ()

    @property
    def ranges(self) -> list[tuple[int, int]]:
        """(min, max) bp of each adjacent pair (empty for a single motif)."""
        return list(self.chain_gaps) if self.chain_gaps else ([self.gap_range] if self.gap_range else [])

    @property
    def peaks(self) -> list[int]:
        """The peak gap of each adjacent pair (empty for a single motif)."""
        return list(self.chain_peaks) if self.chain_peaks else ([self.peak_gap] if self.peak_gap is not None else [])


def rng_for(config: RulesConfig, *key: object) -> np.random.Generator:
    """A generator that depends only on the seed and a stable key (the same hypothesis, the same draws)."""
    return np.random.default_rng([config.seed, zlib.crc32("|".join(map(str, key)).encode())])


class Benches:
    """Benches by (readout layers, backgrounds), built once per run: every hypothesis read by the same
    layers shares the same backgrounds (common random numbers) and their baseline pass.

    Every neuron of those layers is read; a verdict keeps those that hold the hypothesis.
    """

    def __init__(self, model: DNAModel, config: RulesConfig):
        self.model = model
        self.config = config
        self._made: dict[tuple, Bench] = {}
        #: quick screens by arrangement and neurons (:func:`screen_pair`), each scanned once
        self.screens: dict[tuple, tuple[float, dict[str, float]] | None] = {}
        #: placed tests by arrangement, gap and neurons (:func:`placed_pair_outputs`)
        self.placed: dict[tuple, dict[str, float]] = {}

    def get(self, neurons: list[tuple[int, int]], n: int, purpose: str = "scan") -> Bench:
        layers = tuple(sorted({layer for layer, _ in neurons}))
        key = (layers, n, purpose)
        if key not in self._made:
            everyone = [(layer, c) for layer in layers for c in range(self.model.layer(layer).out_channels)]
            transitions = None if self.config.transitions is None else np.array(self.config.transitions)
            self._made[key] = Bench(self.model, everyone, n, rng_for(self.config, "backgrounds", *key),
                                    self.config.gc, transitions)
        return self._made[key]

    @property
    def evaluated(self) -> int:
        return sum(b.evaluated for b in self._made.values())

    def output_spread(self) -> dict[str, float]:
        """Standard deviation of each model output over :data:`SPREAD_BACKGROUNDS` random backgrounds
        (output units), by 'output <t>': how much the output moves from one random sequence to another.
        Empty when the model's head does not run."""
        bench = self.get([], SPREAD_BACKGROUNDS, "spread")
        if bench.base_outputs is None:
            return {}
        sd = bench.base_outputs.double().std(dim=0).cpu().numpy()
        return {f"output {t}": float(v) for t, v in enumerate(sd)}


#: backgrounds whose outputs give each output's spread (:meth:`Benches.output_spread`)
SPREAD_BACKGROUNDS = 512


def judge_column(scores: np.ndarray, bench: Bench, neurons: list[tuple[int, int]]) -> int:
    """Column of the judging readout: the output with the largest peak score, else the holding neuron's."""
    outputs = bench.readouts.output_columns
    if len(outputs):
        columns = outputs
    else:
        held = {f"L{layer}_N{n}" for layer, n in neurons}
        columns = np.array([i for i, name in enumerate(bench.readouts.names) if name in held])
    return int(columns[np.argmax(scores.max(axis=0)[columns])])


def driven_readouts(values: np.ndarray, bench: Bench, neurons: list[tuple[int, int]]) -> dict[str, float]:
    """Outputs and ``neurons`` whose mean response (N, R) exceeds 0 at p < DRIVEN_P / (their number)."""
    names = set(bench.readouts.names[i] for i in bench.readouts.output_columns)
    names |= {f"L{layer}_N{n}" for layer, n in neurons}
    columns = [i for i, name in enumerate(bench.readouts.names) if name in names]
    p = one_sided_p(values[:, columns])
    means = values[:, columns].mean(axis=0)
    cut = DRIVEN_P / max(1, len(columns))
    return {bench.readouts.names[c]: round(float(means[k]), 4) for k, c in enumerate(columns) if p[k] < cut}


def measure_motif(benches: Benches, motif: str, ppm: np.ndarray, neurons: list[tuple[int, int]]) -> Verdict:
    """Insert one network motif alone (both strands) and judge its effect.

    Parameters
    ----------
    ppm : np.ndarray, shape (4, w)
        The motif as written in ``motifs.meme``.
    neurons : list of (layer, neuron)
        The neurons that hold it.
    """
    config = benches.config
    bench = benches.get(neurons, config.n_backgrounds)
    scans = {s: scan_single(bench, ppm, s, rng_for(config, "scan", motif, s)) for s in "+-"}
    judges = {s: judge_column(scans[s].together, bench, neurons) for s in "+-"}
    strand = max("+-", key=lambda s: (scans[s].together[:, judges[s]].max(), s == "+"))
    scan, judge = scans[strand], judges[strand]
    best = int(np.argmax(scan.together[:, judge]))
    test = benches.get(neurons, config.n_test, "test")
    together, _ = paired_effects(test, [(ppm, strand, 0)], rng_for(config, "test", motif, strand),
                                 int(scan.starts[best]))
    return Verdict((motif,), (strand,), bench.readouts.names[judge], float(together[:, judge].mean()),
                   float(one_sided_p(together[:, [judge]])[0]), driven=driven_readouts(together, test, neurons),
                   start=int(scan.starts[best]))


def _per_gap(scan: Scan, column: int) -> tuple[np.ndarray, np.ndarray]:
    """(gaps (G,), row of the best configuration at each gap (G,)) by interaction on ``column``."""
    gaps = np.unique(scan.gaps)
    rows = np.array([np.flatnonzero(scan.gaps == g)[np.argmax(scan.interaction[scan.gaps == g, column])]
                     for g in gaps])
    return gaps, rows


def _pair_scan(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
               neurons: list[tuple[int, int]], n: int, gaps: range | None = None) -> tuple[Bench, Scan] | None:
    """Scan a pair at every gap that fits (or at those of ``gaps`` that fit, :data:`PLACED_STARTS` placements
    each); None when none fits."""
    model, config = benches.model, benches.config
    layers = tuple(sorted({l for l, _ in neurons}))
    bench = benches.get(neurons, n)
    wa, wb = first[1].shape[1], second[1].shape[1]
    # judged by an output, the whole model's receptive field; by a neuron, the holding neurons'
    seen = len(model.layers) if bench.readouts.n_outputs else max(layers)
    reach = min(bench.length, model.layer(seen).rf)
    fits = range(-(min(wa, wb) // 2), reach - wa - wb + 1)
    if gaps is None:
        gaps, budget = fits, config.scan_budget * n // config.n_backgrounds
    else:
        gaps = range(max(gaps.start, fits.start), min(gaps.stop, fits.stop))
        budget = 3 * n * PLACED_STARTS * len(gaps)
    if not len(gaps):
        return None
    key = (first[0], first[2], second[0], second[2], n)
    scan = scan_pair(bench, (first[1], first[2]), (second[1], second[2]), gaps, rng_for(config, "scan", *key),
                     budget)
    return (bench, scan) if len(scan.gaps) else None


def _needs_both(bench: Bench, scan: Scan, peak: bool) -> dict[str, float]:
    """'output <t>' -> what a pair both raises and needs both motifs for, the smaller of its response
    together and its interaction, at the scan's best configuration (``peak``) or over all of them."""
    needs_both = np.minimum(scan.together, scan.interaction)
    values = needs_both.max(axis=0) if peak else needs_both.mean(axis=0)
    return {bench.readouts.names[c]: float(values[c]) for c in bench.readouts.output_columns}


def _screen(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
            neurons: list[tuple[int, int]]) -> tuple[float, dict[str, float]] | None:
    """A quick scan on ``n_screen`` backgrounds, kept per arrangement and neurons: (peak interaction on the
    judging readout, peak on each model output of what the pair both raises and needs both motifs for: the
    smaller of its response together and its interaction); None when the pair does not fit."""
    key = (first[0], first[2], second[0], second[2], tuple(neurons))
    if key not in benches.screens:
        found = _pair_scan(benches, first, second, neurons, benches.config.n_screen)
        if found is None:
            benches.screens[key] = None
        else:
            bench, scan = found
            outputs = _needs_both(bench, scan, peak=True)
            judge = judge_column(scan.interaction, bench, neurons)
            benches.screens[key] = (float(scan.interaction[:, judge].max()), outputs)
    return benches.screens[key]


def screen_pair(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
                neurons: list[tuple[int, int]]) -> float | None:
    """The peak interaction of a quick scan on ``n_screen`` backgrounds (None: the pair does not fit)."""
    found = _screen(benches, first, second, neurons)
    return None if found is None else found[0]


def screen_pair_outputs(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
                        neurons: list[tuple[int, int]]) -> dict[str, float]:
    """The quick scan's peak on each model output ('output <t>' -> output units) of the smaller of the pair's
    response together and its interaction: a pair whose motifs each lower an output interacts positively
    without raising it. Empty when the pair does not fit or the model's head does not run. The same scan
    as :func:`screen_pair`'s."""
    found = _screen(benches, first, second, neurons)
    return {} if found is None else found[1]


def placed_pair_outputs(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
                        gap: int, neurons: list[tuple[int, int]]) -> dict[str, float]:
    """A placed test: the pair at one gap (the one its CRMs hold it at), on ``n_screen`` backgrounds and
    :data:`PLACED_STARTS` placements; on each model output ('output <t>' -> output units) the mean of the
    smaller of its response together and its interaction. About 1/40 of a quick screen's sequences. Empty
    when the gap does not fit or the model's head does not run."""
    key = (first[0], first[2], second[0], second[2], gap, tuple(neurons))
    if key not in benches.placed:
        found = _pair_scan(benches, first, second, neurons, benches.config.n_screen, range(gap, gap + 1))
        benches.placed[key] = {} if found is None else _needs_both(*found, peak=False)
    return benches.placed[key]


def measure_pair(benches: Benches, first: tuple[str, np.ndarray, str], second: tuple[str, np.ndarray, str],
                 neurons: list[tuple[int, int]]) -> Verdict | None:
    """Insert two network motifs in order, each on its strand, at every gap; judge where they cooperate.

    Parameters
    ----------
    first, second : (motif id, PPM (4, w), strand)
    neurons : list of (layer, neuron)
        The neurons that hold the pair; their largest receptive field bounds the gaps.

    Returns
    -------
    Verdict, or None when the pair does not fit in the neurons' receptive field.
    """
    config = benches.config
    found = _pair_scan(benches, first, second, neurons, config.n_backgrounds)
    if found is None:
        return None
    bench, scan = found
    wa = first[1].shape[1]
    key = (first[0], first[2], second[0], second[2])
    judge = judge_column(scan.interaction, bench, neurons)
    gaps, rows = _per_gap(scan, judge)
    lo, hi, peak = gap_span(gaps, scan.interaction_each[rows, :, judge], config.half_max)
    test = benches.get(neurons, config.n_test, "test")

    def fresh(gap: int) -> tuple[np.ndarray, np.ndarray, int]:
        start = int(scan.starts[rows[np.searchsorted(gaps, gap)]])
        return (*paired_effects(test, [(first[1], first[2], 0), (second[1], second[2], wa + gap)],
                                rng_for(config, "test", *key), start), start)

    together, interaction, start = fresh(peak)
    if hi - lo == 1:  # a core of two gaps: one of them, unless fresh backgrounds answer both alike
        other = lo if peak == hi else hi
        other_fresh = fresh(other)
        peak, (together, interaction, start), alike = settle_two_gaps((peak, (together, interaction, start)),
                                                                      (other, other_fresh), judge)
        lo, hi = (lo, hi) if alike else (peak, peak)
    effect = float(together[:, judge].mean())
    coop = float(interaction[:, judge].mean() / effect) if effect > 0 else 0.0
    curve = {"gaps": gaps.tolist(), "readouts": {}}
    for column in sorted({judge, *bench.readouts.output_columns.tolist()}):
        g, r = _per_gap(scan, column)
        curve["readouts"][bench.readouts.names[column]] = {
            "together": np.round(scan.together[r, column], 4).tolist(),
            "interaction": np.round(scan.interaction[r, column], 4).tolist(),
            "alone": np.round(scan.alone[r, :, column].sum(axis=1), 4).tolist()}
    return Verdict((first[0], second[0]), (first[2], second[2]), bench.readouts.names[judge], effect,
                   float(one_sided_p(interaction[:, [judge]])[0]), (lo, hi), peak, coop,
                   driven_readouts(interaction, test, neurons), curve, start)
