"""Stage 6: the network's grammar as ranked rules, proposed by the syntax trees and verified by the model.

* :mod:`~neuronmotif.rules.hypotheses` - network motifs, their fragments, adjacent pairs of the trees;
* :mod:`~neuronmotif.rules.insertion` - motif instances inserted into backgrounds, read out by the model;
* :mod:`~neuronmotif.rules.verdicts` - effects, spacing ranges, cooperativity and tests;
* :mod:`~neuronmotif.rules.build` - :func:`find_rules`: hypotheses to verdicts to rules;
* :mod:`~neuronmotif.rules.select` - which verdicts are rules, and their rank;
* :mod:`~neuronmotif.rules.alone` - a pair against its motifs alone: which of the two is the rule;
* :mod:`~neuronmotif.rules.rule` - :class:`Rule` and :class:`RuleSet`;
* :mod:`~neuronmotif.rules.backgrounds` - backgrounds from a user's FASTA;
* :mod:`~neuronmotif.rules.files` - ``rules.tsv``, ``rules.json`` and the verified view of ``motifs.tsv``.
"""

from .build import find_rules
from .config import RulesConfig
from .rule import Rule, RuleSet

__all__ = ["Rule", "RuleSet", "RulesConfig", "find_rules"]
