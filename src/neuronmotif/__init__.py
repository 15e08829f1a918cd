"""neuronmotif: decipher every convolutional neuron of a DNA CNN into motifs and grammar.

Stages, one module each: :mod:`~neuronmotif.model` (introspection), :mod:`~neuronmotif.sample`,
:mod:`~neuronmotif.demix`, :mod:`~neuronmotif.ppm`, :mod:`~neuronmotif.store`, orchestrated by
:mod:`~neuronmotif.pipeline`.
"""

from .errors import NeuronMotifError, UnsupportedModelError
from .model import ConvLayer, DNAModel
from .pipeline import RunConfig, run

__version__ = "0.1.0"
__all__ = ["ConvLayer", "DNAModel", "NeuronMotifError", "RunConfig", "UnsupportedModelError", "run"]
