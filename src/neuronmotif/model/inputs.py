"""The model's inputs after the DNA (a vector of features beside the sequence): one sample's value each."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import NeuronMotifError


def other_input_values(module: nn.Module, names: list[str], given: dict, device: torch.device
                        ) -> dict[str, torch.Tensor | None]:
    """One sample's value of each input after the DNA (None: unknown, the head is not run)."""
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise NeuronMotifError(f"other input(s) {', '.join(unknown)} given, but the model's inputs after the DNA "
                               f"are: {', '.join(names) or 'none'}.")
    shapes = getattr(module, "other_input_shapes", {}) or {}
    values: dict[str, torch.Tensor | None] = {}
    for name in names:
        value, shape = given.get(name), shapes.get(name)
        if value is None:
            values[name] = None if shape is None else torch.zeros(tuple(shape), device=device)
        elif np.ndim(value) == 0 and shape is None:
            raise NeuronMotifError(f"other input '{name}' has no declared shape to fill with {value}; give an "
                                   f"array of one sample's value (--other-input {name}=FILE.npy).")
        elif np.ndim(value) == 0:
            values[name] = torch.full(tuple(shape), float(value), device=device)
        else:
            values[name] = torch.as_tensor(np.asarray(value, dtype=np.float32), device=device)
    return values
