"""Stage 6: the network's grammar as ranked rules, proposed by the syntax trees and verified by the model.

* :mod:`~neuronmotif.rules.hypotheses` - network motifs, their fragments, adjacent pairs of the trees;
* :mod:`~neuronmotif.rules.insertion` - motif instances inserted into backgrounds, read out by the model;
* :mod:`~neuronmotif.rules.verdicts` - effects, spacing ranges, cooperativity and tests;
* :mod:`~neuronmotif.rules.build` - :func:`find_rules`: selection and ranking;
* :mod:`~neuronmotif.rules.files` - ``rules.tsv``, ``rules.json`` and the verified view of ``motifs.tsv``.
"""

from .build import Rule, RuleSet, find_rules
from .config import RulesConfig

__all__ = ["Rule", "RuleSet", "RulesConfig", "find_rules"]
