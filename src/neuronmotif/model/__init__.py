"""Reading a model: trace its conv layers (:mod:`.trace`), evaluate its neurons (:mod:`.dnamodel`), and load
it from a file (:mod:`.loading`: ``FILE.py:Class`` + state dict, ``torch.export``, Keras 2 HDF5 via
:mod:`.keras`)."""

from .dnamodel import DNAModel, check_finite_activations
from .layers import NONNEGATIVE_ACTIVATIONS, ConvLayer, Step
from .loading import load_model, load_module

__all__ = ["NONNEGATIVE_ACTIVATIONS", "ConvLayer", "DNAModel", "Step", "check_finite_activations", "load_model",
           "load_module"]
