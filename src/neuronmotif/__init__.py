"""neuronmotif: decipher every convolutional neuron of a DNA CNN into motifs and grammar.

The stages, in order (README, "Architecture"): :mod:`~neuronmotif.model` reads the model;
:mod:`~neuronmotif.sample` finds activating sequences; :mod:`~neuronmotif.demix` and
:mod:`~neuronmotif.ppm` turn them into CRMs; :mod:`~neuronmotif.segment`, :mod:`~neuronmotif.dictionary`,
:mod:`~neuronmotif.motifs`, :mod:`~neuronmotif.grammar` and :mod:`~neuronmotif.network` turn CRMs into
motifs, names and grammar; :mod:`~neuronmotif.rules` proposes the network's rules and verifies them with
the model; :mod:`~neuronmotif.store` keeps the run directory. :func:`run`, :func:`annotate` and
:func:`find_rules` orchestrate them.

>>> import neuronmotif as nm
>>> model = nm.load_model("model.py:MyCNN", weights="w.pt")          # doctest: +SKIP
>>> result = nm.run(model, "out/")                                    # doctest: +SKIP
>>> result.neurons[3][0].crms, result.annotation.network              # doctest: +SKIP
>>> result.rules.rules[0].label                                       # doctest: +SKIP
"""

from .annotate import AnnotateConfig, Annotation, annotate
from .cluster import ClusterConfig
from .demix import DemixConfig
from .dictionary import DictionaryConfig
from .errors import NeuronMotifError, RunDirectoryError, UnsupportedModelError
from .grammar import GrammarConfig
from .model import ConvLayer, DNAModel, load_model
from .motifs import MotifDatabase, load_motif_db
from .pipeline import LayerJob, RunConfig, RunResult, decipher_neuron, lower_layer_motifs, run, verify_rules
from .report import write_report
from .rules import Rule, RulesConfig, RuleSet, find_rules
from .sample import SamplingConfig
from .segment import SegmentConfig
from .store import NeuronResult, RunDirectory

__version__ = "0.1.0"


def read_run(path: str) -> dict[int, list[NeuronResult]]:
    """Every finished layer of a run directory: layer -> its neurons' results (CRMs included)."""
    store = RunDirectory(path)
    return {layer: store.load_layer(layer) for layer in sorted(store.manifest().get("layers", []))
            if store.layer_done(layer)}


__all__ = ["AnnotateConfig", "Annotation", "ClusterConfig", "ConvLayer", "DNAModel", "DemixConfig", "DictionaryConfig",
           "GrammarConfig", "LayerJob", "MotifDatabase", "NeuronMotifError", "NeuronResult", "RunConfig",
           "RunDirectory", "RunDirectoryError", "RunResult", "Rule", "RuleSet", "RulesConfig", "SamplingConfig",
           "SegmentConfig", "UnsupportedModelError", "annotate", "decipher_neuron", "find_rules", "load_model",
           "load_motif_db", "lower_layer_motifs", "read_run", "run", "verify_rules", "write_report"]
