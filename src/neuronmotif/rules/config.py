"""Parameters of the rule stage (recorded in ``rules.json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import check_range


@dataclass(frozen=True)
class RulesConfig:
    """How hypotheses are chosen and how the model's verdicts are measured.

    Attributes
    ----------
    n_backgrounds : int
        Background sequences of every scan (one set, shared by all configurations).
    n_test : int
        Fresh backgrounds (and fresh motif instances) for the test at the chosen configuration, so the
        p-value is not biased by choosing the best gap and placement on the same sequences.
    max_motifs : int
        Network motifs verified, most used first.
    max_pairs : int
        Pair hypotheses verified, most supported first (each in all orders and strands).
    drivers_paired : int
        The motifs that move each readout most inserted alone (this many) are also paired with each other,
        up to ``max_pairs // 2`` pairs beyond the ``max_pairs`` the trees propose (0 or 1: none).
    second_look : int
        Pair hypotheses beyond ``max_pairs`` (the next most supported) that get a quick screen; those that move
        some model output at least ``min_share`` as much as anything measured so far are scanned in full too,
        at most ``max_pairs // 4`` (0: none).
    placed_look : int
        Pair hypotheses beyond those (the next most supported) that get a placed test instead: the three
        placements (order, strands and gap) their CRMs hold most, on ``n_screen`` backgrounds; they join the
        quick-screened ones under the same bar (0: none). A pure AND task the GA samples rarely can rank
        far down by support (basset-C's NFKB1-IRF1: 68th of 88).
    max_chains : int
        Chains of three different motifs side by side in the CRMs that are measured in full, of the 48 read
        at the gaps the CRMs hold (those that extend a reported pair first, then the most supported), most
        cooperative first; a chain is a rule when the three together answer beyond every pair of them (0: none).
    n_screen : int
        Backgrounds of the quick scan that ranks a pair's orders and strands.
    full_scans : int
        Most orientations of each pair (an arrangement and its reverse complement are one; best screened
        first, while at least half the best's screened peak) that get the full scan and test.
    q_max : float
        q-value (Benjamini-Hochberg over every test of the run) below which a verdict counts.
    half_max : float
        A gap belongs to a pair's range when its interaction is at least this share of the peak's.
    min_cooperativity : float
        A pair is a rule only when its interaction (together minus each motif alone) is at least this
        share of its effect together: two motifs that merely add up are two single-motif rules.
    min_share : float
        A rule is reported when its effect is at least this share of the strongest rule's effect on the
        same readout (the same model output); weaker ones are listed as minor.
    min_effect_sd : float
        A rule judged by a model output is reported only when its effect is at least this many standard
        deviations of that output over random backgrounds (the output's own scale): the strongest rule of
        an output the model hardly learned is no rule when it moves the output less than swapping one
        random sequence for another does.
    min_interaction_share : float
        A pair of two different motifs is a rule only when its interaction is at least this share of its
        stronger motif's effect alone on the pair's readout; else that motif is the rule, and the partner
        a modifier of it (a site beside a flank it likes). Two copies of one motif, or of two similar
        motifs, must reach ``subsumed - 1`` times one copy alone instead.
    subsumed : float
        A single motif is not a rule of its own when a pair that holds it has at least this many times
        its effect on the readout it drives most (it acts through the pair).
    flank : int
        Columns of its own CRM added on each side of a motif inserted alone (its segment's cut at 1 bit
        can lose the weaker ends of the site).
    scan_budget : int
        Sequences per pair arrangement scan (positional models stride their starts to fit it).
    gc : float
        GC content of the uniform backgrounds.
    transitions : tuple of tuple or None
        A (4, 4) first-order background (row: base, column: next base), e.g. the dinucleotide
        statistics of the user's sequences (:func:`~neuronmotif.rules.backgrounds.dinucleotide_background`);
        None: independent bases at ``gc``.
    seed : int
    """

    n_backgrounds: int = 48
    n_test: int = 128
    max_motifs: int = 40
    max_pairs: int = 12
    drivers_paired: int = 3
    second_look: int = 12
    placed_look: int = 96
    max_chains: int = 4
    n_screen: int = 16
    full_scans: int = 4
    q_max: float = 0.05
    half_max: float = 0.5
    min_cooperativity: float = 0.25
    min_share: float = 0.5
    min_effect_sd: float = 0.25
    min_interaction_share: float = 0.5
    subsumed: float = 2.0
    flank: int = 2
    scan_budget: int = 60_000
    gc: float = 0.5
    transitions: tuple | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("RulesConfig", "n_backgrounds", self.n_backgrounds, low=8)
        check_range("RulesConfig", "n_test", self.n_test, low=8)
        check_range("RulesConfig", "max_motifs", self.max_motifs, low=0)
        check_range("RulesConfig", "max_pairs", self.max_pairs, low=0)
        check_range("RulesConfig", "drivers_paired", self.drivers_paired, low=0)
        check_range("RulesConfig", "second_look", self.second_look, low=0)
        check_range("RulesConfig", "placed_look", self.placed_look, low=0)
        check_range("RulesConfig", "max_chains", self.max_chains, low=0)
        check_range("RulesConfig", "n_screen", self.n_screen, low=8)
        check_range("RulesConfig", "full_scans", self.full_scans, low=1)
        check_range("RulesConfig", "q_max", self.q_max, low=0, high=1)
        check_range("RulesConfig", "half_max", self.half_max, low=0, high=1)
        check_range("RulesConfig", "min_interaction_share", self.min_interaction_share, low=0)
        check_range("RulesConfig", "min_effect_sd", self.min_effect_sd, low=0)
        check_range("RulesConfig", "scan_budget", self.scan_budget, low=1000)

    def parameters(self) -> dict:
        return asdict(self)
