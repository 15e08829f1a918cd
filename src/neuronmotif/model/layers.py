"""What neuronmotif knows about a model's data path: its steps and its conv layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

#: activations whose output is never negative: a neuron fed only by them and with no positive
#: input weight can never be activated.
NONNEGATIVE_ACTIVATIONS = frozenset({"relu", "softplus", "sigmoid", "exp", "thresholded_relu"})


@dataclass
class Step:
    """One operation on the data path.

    Attributes
    ----------
    kind : str
        'conv', 'bn', 'act', 'pool', 'pass' (identity-like: dropout, getitem, contiguous),
        'layout' (transpose, permute, ...) or 'other' (anything else; refused between conv layers).
    name : str
        The module path or graph node name, used in messages.
    fn : callable
        Maps the data tensor to the step's output.
    kernel : int
        Kernel size of a conv or pool step (1 otherwise).
    activation : str or None
        Normalised activation name for 'act' steps.
    """

    kind: str
    name: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    kernel: int = 1
    activation: str | None = None
    in_channels: int = 0
    out_channels: int = 0


@dataclass(frozen=True)
class ConvLayer:
    """A convolutional layer as neuronmotif sees it.

    Attributes
    ----------
    index : int
        1-based layer number in execution order.
    name : str
        Module path (or graph node name) of the convolution.
    in_channels, out_channels, kernel_size : int
        Shape of the convolution.
    pool_after : int
        Product of the max-pool sizes between this convolution and the next (1 = no pooling).
    pool_below : int
        Product of the max-pool sizes below this layer: input bp per position of this layer's input.
    rf : int
        Receptive field in bp of one output position of this layer.
    activation : str
        The nonlinearity after this layer ('none' if there is none).
    conv_step, out_step : int
        Indices into :attr:`DNAModel.steps` of the convolution and of the neuron activation
        (after BatchNorm, before the nonlinearity).
    """

    index: int
    name: str
    in_channels: int
    out_channels: int
    kernel_size: int
    pool_after: int
    pool_below: int
    rf: int
    activation: str
    conv_step: int
    out_step: int

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("conv_step")
        row.pop("out_step")
        return row
