"""What the rule stage reports: one rule (:class:`Rule`) and all of a run's (:class:`RuleSet`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .verdicts import Verdict


@dataclass
class Rule:
    """One rule of the network's grammar (a row of ``rules.tsv``; columns in the README).

    Attributes
    ----------
    verdict : Verdict
        The model's measurements.
    names : tuple of str
        Best known match of each motif ('' when unnamed).
    known_gap : tuple of int or None
        (min, max) bp between the edges of the two named known motifs.
    q_value : float
    holders : list of (layer, neuron)
        Neurons whose syntax trees hold the motif or pair.
    label : str
    core_gap : int
        Pairs: bp between the cores of the two motifs at the peak gap (a named motif's known match, else
        its columns of at least 1 bit); negative when they overlap. Chains: the smallest of its adjacent
        pairs'.
    rank : int
        1 for the strongest; 0 when not reported.
    reason : str
        Why an unverified rule is not reported ('' for reported rules).
    whole_sites : bool
        Pairs: the two motifs do not overlap at the peak and each holds a whole site of its own known
        match: two sites, even where the known matrices' weak flanks overlap in the gap.
    distinct_sites : bool
        Pairs and chains: every motif is named, adjacent motifs by different known motifs, and no two
        adjacent motifs' own columns overlap at the peak: sites of different factors side by side, even where
        their known matrices reach into each other.
    known_chain : list
        Chains of three motifs: ``known_gap`` of each adjacent pair, (min, max) or None where a motif of it
        is unnamed; empty for a pair or a single motif.
    shown_by : Rule or None
        The rule that stands for this one (a repeat, part or variant of it, or a better-read one that took
        its place); :meth:`reported_stand_in` follows the chain to a reported rule.
    """

    verdict: Verdict
    names: tuple[str, ...]
    known_gap: tuple[int, int] | None
    q_value: float
    holders: list[tuple[int, int]]
    label: str = ""
    core_gap: int = 0
    rank: int = 0
    reason: str = ""
    whole_sites: bool = False
    distinct_sites: bool = False
    shown_by: Rule | None = None
    known_chain: list[tuple[int, int] | None] = field(default_factory=list)

    @property
    def separate_sites(self) -> bool:
        """Whether the motifs are sites of their own side by side (:attr:`whole_sites` or
        :attr:`distinct_sites`), not pieces of one site, however their known matrices overlap."""
        return self.whole_sites or self.distinct_sites

    @property
    def rule_id(self) -> str:
        return f"R{self.rank}" if self.rank else ""

    @property
    def spacing(self) -> str:
        """'hard' (one gap) or 'flexible' (a range) for each adjacent pair, ';'-separated ('' for one motif)."""
        return ";".join("hard" if low == high else "flexible" for low, high in self.verdict.ranges)

    def reported_stand_in(self) -> Rule | None:
        """The reported rule that stands for this unreported one (following repeats of repeats), or None."""
        other, seen = self.shown_by, {id(self)}
        while other is not None and not other.rank and id(other) not in seen:
            seen.add(id(other))
            other = other.shown_by
        return other if other is not None and other.rank else None

    def cited(self) -> str:
        """How a reason names this rule: its id and label, or, for a rule another took the place of, its
        label and the reported rule that stands for it."""
        if self.rank:
            return f"{self.rule_id} ({self.label})"
        stand = self.reported_stand_in()
        return f"{self.label}, shown by {stand.rule_id} ({stand.label})" if stand else self.label

    @property
    def known_peak(self) -> int | None:
        """The peak gap (where the pair works best) between the edges of the two named known motifs."""
        return self.known_peaks[0] if len(self.verdict.motifs) == 2 else None

    @property
    def known_peaks(self) -> list[int | None]:
        """The peak gap of each adjacent pair between the edges of its named known motifs (None where one is
        unnamed)."""
        v = self.verdict
        return [None if k is None else peak + k[0] - r[0] for k, peak, r in zip(self.known_gaps, v.peaks, v.ranges,
                                                                                strict=True)]

    @property
    def known_gaps(self) -> list[tuple[int, int] | None]:
        """``known_gap`` of each adjacent pair (None where a motif is unnamed; empty for a single motif)."""
        if len(self.verdict.ranges) == 1:
            return [self.known_gap]
        return list(self.known_chain) or [None] * len(self.verdict.ranges)

    @property
    def peak_label(self) -> str:
        """The peak gap in the label's frame ('peak 3 bp'; '' for a single motif): the known motifs' edges
        when both are named, else the network motifs'."""
        peak = self.known_peak if self.known_gap is not None else self.verdict.peak_gap
        return "" if peak is None else f"peak {peak} bp"

    @property
    def neurons(self) -> list[str]:
        """Neurons (of those that hold it) the rule drives, 'L<l>_N<n>'."""
        held = {f"L{layer}_N{n}" for layer, n in self.holders}
        return sorted((name for name in self.verdict.driven if name in held), key=_neuron_order)

    @property
    def outputs(self) -> dict[str, float]:
        return {k: v for k, v in self.verdict.driven.items() if k.startswith("output")}


def _neuron_order(name: str) -> tuple[int, int]:
    layer, neuron = name[1:].split("_N")
    return int(layer), int(neuron)


@dataclass
class RuleSet:
    """Everything :func:`find_rules` found.

    Attributes
    ----------
    rules : list of Rule
        Reported rules, ranked.
    unverified : list of Rule
        Measured hypotheses that are not rules, with the reason.
    motif_status : dict of str -> str
        Network motif id -> 'verified', 'fragment of G<k>', 'not verified: ...', 'minor: ...', 'shown by R<k> ...' or
        'not tested: ...'.
    motif_verdicts : dict of str -> Verdict
    parameters : dict
    seconds : float
    evaluated : int
        Sequences the model evaluated.
    derived : list of DerivedMotif
        Network motifs the rule stage added: known sites cut out of composites, and sites the network's
        motifs hold only in pieces, assembled (ids after the annotation's).
    """

    rules: list[Rule]
    unverified: list[Rule]
    motif_status: dict[str, str]
    motif_verdicts: dict[str, Verdict] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    seconds: float = 0.0
    evaluated: int = 0
    derived: list = field(default_factory=list)
