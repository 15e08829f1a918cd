"""Read Keras 2 HDF5 models (the format of the published NeuronMotif, DeepSEA and Basset models) with h5py.

Two inputs are understood:

* a full-model save (``model.save('m.h5')``): the ``model_config`` attribute plus the ``model_weights`` group;
* a weights-only file (``model.save_weights('w.h5')``) plus the ``model.to_json()`` text (``--keras-config``).

The result is an equivalent PyTorch module that takes one-hot input of shape (N, 4, L), channels first.
Keras models are channels-last; that is handled here, so ``--input-layout`` does not apply. Kernels are
transposed from Keras (k, in, out) to PyTorch (out, in, k), and Dense kernels from (in, out) to
(out, in). A Flatten after the convolutions keeps Keras's channels-last flatten order, so Dense
weights apply unchanged.

Supported layers: InputLayer, Conv1D (valid/same padding, any activation, use_bias), BatchNormalization
(its epsilon, center/scale), Activation (relu, sigmoid, tanh, softplus, elu, linear, exponential), ReLU,
MaxPooling1D (pool size, strides, valid/same padding), Dropout, Flatten and Dense, in a Sequential or a
single-chain functional model; a functional model may have a second input, a feature vector (batch, k)
that a Concatenate joins to the flattened DNA path (a promoter model's mRNA half-life features).
Anything else is refused with the layer's name and type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import NeuronMotifError, UnsupportedModelError

SUPPORTED = ("InputLayer", "Conv1D", "BatchNormalization", "Activation", "ReLU", "ThresholdedReLU",
             "MaxPooling1D", "Dropout", "Flatten", "Dense")


class Exp(nn.Module):
    """The Keras 'exponential' activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


class ChannelsLastFlatten(nn.Module):
    """Flatten (N, C, L) in Keras's channels-last order (position-major), so Dense kernels apply unchanged.

    Used only where the tensor is (N, C, L) (a Flatten after the conv stack, known when the twin is built),
    so its forward has no branch on the tensor's rank and traces with torch.fx.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2).flatten(1)


class KerasModel(nn.Module):
    """A PyTorch twin of a Keras chain model; takes one-hot DNA of shape (N, 4, L).

    Attributes
    ----------
    layers : nn.Sequential
        One or more modules per Keras layer, named after the Keras layers.
    input_length : int or None
        The Keras model's input length, if it declares one.
    """

    def __init__(self, layers: nn.Sequential, input_length: int | None):
        super().__init__()
        self.layers = layers
        self.input_length = input_length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class KerasTwoInputModel(KerasModel):
    """A Keras model with a second input (a feature vector) that joins the DNA path after its Flatten:
    ``head(concatenate(layers(x), other))``. The second input's forward name is ``other``; its shape is
    declared, so it is held at zeros unless a value is given (``--other-input other=...``).
    """

    def __init__(self, layers: nn.Sequential, head: nn.Sequential, input_length: int | None,
                 other_shape: tuple[int, ...], dna_first: bool, other_name: str):
        super().__init__(layers, input_length)
        self.head, self.dna_first, self.keras_other_name = head, dna_first, other_name
        self.other_input_shapes = {"other": tuple(other_shape)}

    def forward(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        h = self.layers(x)
        return self.head(torch.cat([h, other] if self.dna_first else [other, h], dim=1))


_ACTIVATIONS: dict[str, Callable[[], nn.Module] | None] = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus, "elu": nn.ELU,
    "exponential": Exp, "linear": None,
}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _activation(name, layer: str) -> nn.Module | None:
    if isinstance(name, dict):  # Keras 3 style serialisation
        name = name.get("config", {}).get("name", name.get("class_name"))
    name = str(name).lower()
    if name not in _ACTIVATIONS:
        raise UnsupportedModelError(
            f"Keras layer '{layer}' uses activation '{name}', which is not supported "
            f"(supported: {', '.join(_ACTIVATIONS)}).")
    factory = _ACTIVATIONS[name]
    return factory() if factory else None


def _single(value, what: str, layer: str) -> int:
    values = value if isinstance(value, (list, tuple)) else [value]
    if len(values) != 1:
        raise UnsupportedModelError(f"Keras layer '{layer}' has a {len(values)}-D {what}; only 1-D is supported.")
    return int(values[0])


def _chain(config: dict) -> tuple[list[dict], int | None, dict | None]:
    """The layers of a Sequential or functional config in execution order, the input length, and the second
    input of a two-input functional model (``{"name", "shape", "dna_first"}``) or None."""
    cls = config.get("class_name")
    body = config.get("config", {})
    layers = body if isinstance(body, list) else body.get("layers", [])
    other = None
    if cls == "Sequential":
        ordered = layers
    elif cls in ("Model", "Functional"):
        ordered, other = _functional_order(body, layers)
    else:
        raise UnsupportedModelError(f"Keras model class '{cls}' is not supported (Sequential or functional only).")
    length = None
    for layer in ordered:
        shape = _input_shape(layer)
        if shape:
            if len(shape) != 3 or shape[-1] != 4:
                raise NeuronMotifError(
                    f"Keras input '{layer['config'].get('name')}' has shape {shape}; neuronmotif needs one-hot DNA "
                    "of shape (batch, length, 4).")
            length = shape[1]
            break
    return [x for x in ordered if x["class_name"] != "InputLayer"], length, other


def _input_shape(layer: dict):
    return layer["config"].get("batch_input_shape") or layer["config"].get("batch_shape")


def _sources(node) -> list[str]:
    """Names of the layers feeding one inbound node (Keras 2 lists, or Keras 3 ``args`` dicts)."""
    items = node if isinstance(node, list) else node.get("args", [])
    if not isinstance(node, list) and len(items) == 1 and isinstance(items[0], list):
        items = items[0]  # Keras 3 merge layers take one list argument
    return [s[0] if isinstance(s, list) else s["config"]["keras_history"][0] for s in items]


def _functional_order(body: dict, layers: list[dict]) -> tuple[list[dict], dict | None]:
    by_name = {x.get("name", x["config"].get("name")): x for x in layers}
    inputs = [entry[0] for entry in body.get("input_layers", [])]
    shapes = {name: (_input_shape(by_name[name]) if name in by_name else None) or [] for name in inputs}
    dna = [name for name in inputs if len(shapes[name]) == 3]
    others = [name for name in inputs if name not in dna[:1]]
    if len(inputs) > 2 or not dna or any(len(shapes[name]) != 2 for name in others):
        raise UnsupportedModelError(
            f"the Keras model has inputs {', '.join(f'{n} {shapes[n]}' for n in inputs)}; neuronmotif reads one "
            "DNA input (batch, length, 4), optionally with one feature vector (batch, k) joined after Flatten.")
    users: dict[str, list[str]] = {name: [] for name in by_name}
    sources: dict[str, list[str]] = {}
    for name, layer in by_name.items():
        for node in layer.get("inbound_nodes", []):
            sources[name] = _sources(node)
            for src in sources[name]:
                users[src].append(name)
    ordered, current, other = [], dna[0], None
    while True:
        ordered.append(by_name[current])
        following = users[current]
        if not following:
            return ordered, other
        if len(following) > 1:
            raise UnsupportedModelError(
                f"Keras layer '{current}' feeds several layers ({', '.join(following)}); only single chains "
                "are supported.")
        nxt = following[0]
        joined = sources.get(nxt, [])
        if len(joined) > 1:
            if by_name[nxt]["class_name"] != "Concatenate" or len(joined) != 2 or not set(joined) - {current} <= set(
                    others):
                raise UnsupportedModelError(
                    f"Keras layer '{nxt}' ({by_name[nxt]['class_name']}) merges {', '.join(joined)}; only a "
                    "Concatenate of the DNA path with the second input is supported.")
            partner = next(n for n in joined if n != current)
            other = {"name": partner, "shape": shapes[partner][1:], "dna_first": joined[0] == current}
        current = nxt


def _weights(group, layer: str) -> list[np.ndarray]:
    """A layer's weight arrays in Keras order (from its weight_names attribute)."""
    if layer not in group:
        return []
    g = group[layer]
    names = [_text(n) for n in g.attrs.get("weight_names", [])]
    return [np.asarray(g[n]) for n in names]


def _affine_with_activation(name: str, module: nn.Module, weight: np.ndarray, weights: list[np.ndarray],
                            cfg: dict) -> list[tuple[str, nn.Module]]:
    """Load a Conv1d/Linear (weight already in PyTorch order, bias = weights[1]) and its activation argument."""
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(np.ascontiguousarray(weight)))
        if module.bias is not None:
            module.bias.copy_(torch.as_tensor(weights[1]))
    act = _activation(cfg.get("activation", "linear"), name)
    return [(name, module)] + ([(f"{name}_activation", act)] if act is not None else [])


def _build_layer(spec: dict, weights: list[np.ndarray], flat: bool = False) -> list[tuple[str, nn.Module]]:
    """The PyTorch module(s) of one Keras layer, named after it (``flat``: its input is already (N, F))."""
    cls, cfg = spec["class_name"], spec["config"]
    name = cfg.get("name", spec.get("name", cls))
    mods: list[tuple[str, nn.Module]] = []
    if cls not in SUPPORTED:
        raise UnsupportedModelError(
            f"Keras layer '{name}' of type {cls} is not supported; neuronmotif reads {', '.join(SUPPORTED)}.")
    if cls == "Conv1D":
        kernel = weights[0]  # (k, in, out)
        padding = cfg.get("padding", "valid")
        if padding not in ("valid", "same"):
            raise UnsupportedModelError(f"Keras layer '{name}' uses padding '{padding}' (valid or same only).")
        conv = nn.Conv1d(kernel.shape[1], kernel.shape[2], kernel.shape[0],
                         stride=_single(cfg.get("strides", 1), "stride", name), padding=padding,
                         dilation=_single(cfg.get("dilation_rate", 1), "dilation", name),
                         bias=bool(cfg.get("use_bias", True)))
        mods.extend(_affine_with_activation(name, conv, kernel.transpose(2, 1, 0), weights, cfg))
    elif cls == "BatchNormalization":
        axis = cfg.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) else axis
        if axis not in (-1, 2):
            raise UnsupportedModelError(
                f"Keras layer '{name}' normalises axis {axis}; only the channel axis is supported.")
        arrays = list(weights)
        gamma = arrays.pop(0) if cfg.get("scale", True) else None
        beta = arrays.pop(0) if cfg.get("center", True) else None
        mean, var = arrays
        bn = nn.BatchNorm1d(len(mean), eps=float(cfg.get("epsilon", 1e-3)))
        with torch.no_grad():
            bn.running_mean.copy_(torch.as_tensor(mean))
            bn.running_var.copy_(torch.as_tensor(var))
            bn.weight.copy_(torch.as_tensor(gamma) if gamma is not None else torch.ones(len(mean)))
            bn.bias.copy_(torch.as_tensor(beta) if beta is not None else torch.zeros(len(mean)))
        mods.append((name, bn))
    elif cls == "Activation":
        act = _activation(cfg.get("activation"), name)
        if act is not None:
            mods.append((name, act))
    elif cls == "ReLU":
        if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) or cfg.get("threshold", 0):
            raise UnsupportedModelError(
                f"Keras layer '{name}' is a ReLU with a cap, slope or threshold; not supported.")
        mods.append((name, nn.ReLU()))
    elif cls == "ThresholdedReLU":  # DeepSEA: f(x) = x for x > theta, else 0
        mods.append((name, nn.Threshold(float(cfg.get("theta", 1.0)), 0.0)))
    elif cls == "MaxPooling1D":
        size = _single(cfg.get("pool_size", 2), "pool size", name)
        stride = _single(cfg.get("strides") or size, "stride", name)
        mods.append((name, nn.MaxPool1d(size, stride, ceil_mode=cfg.get("padding", "valid") == "same")))
    elif cls == "Dropout":
        mods.append((name, nn.Dropout(float(cfg.get("rate", 0.0)))))
    elif cls == "Flatten":
        mods.append((name, nn.Flatten() if flat else ChannelsLastFlatten()))
    elif cls == "Dense":
        kernel = weights[0]  # (in, out)
        dense = nn.Linear(kernel.shape[0], kernel.shape[1], bias=bool(cfg.get("use_bias", True)))
        mods.extend(_affine_with_activation(name, dense, kernel.T, weights, cfg))
    return mods


def keras_to_torch(config: dict, weight_group) -> KerasModel:
    """Build the PyTorch twin from a parsed model config and the HDF5 group holding the layer weights."""
    layers, length, other = _chain(config)
    parts: list[nn.Sequential] = [nn.Sequential()]
    flat = False
    for spec in layers:
        name = spec["config"].get("name", spec.get("name"))
        if spec["class_name"] == "Concatenate":
            if not flat or other is None:
                raise UnsupportedModelError(f"Keras layer '{name}' concatenates before the DNA path is flattened; "
                                            "the second input must join after Flatten.")
            parts.append(nn.Sequential())
            continue
        for module_name, module in _build_layer(spec, _weights(weight_group, name), flat):
            parts[-1].add_module(module_name.replace(".", "_"), module)
        flat = flat or spec["class_name"] in ("Flatten", "Dense")
    if other is None:
        return KerasModel(parts[0], length).eval()
    return KerasTwoInputModel(parts[0], parts[1], length, other["shape"], other["dna_first"], other["name"]).eval()


def load_keras(path: Path, config_path: Path | None = None) -> KerasModel:
    """Load a Keras 2 HDF5 full-model save, or a weights-only file with ``config_path`` (model.to_json())."""
    import h5py

    if not Path(path).exists():
        raise NeuronMotifError(f"model file '{path}' does not exist.")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise NeuronMotifError(f"cannot read '{path}' as HDF5 ({exc}); is it a Keras .h5 file?") from exc
    with handle:
        if config_path is not None:
            if not Path(config_path).exists():
                raise NeuronMotifError(f"keras_config (--keras-config) file '{config_path}' does not exist.")
            try:
                config = json.loads(Path(config_path).read_text())
            except json.JSONDecodeError as exc:
                raise NeuronMotifError(f"keras_config (--keras-config) '{config_path}' is not JSON from "
                                       "model.to_json().") from exc
        elif "model_config" in handle.attrs:
            config = json.loads(_text(handle.attrs["model_config"]))
        else:
            raise NeuronMotifError(
                f"'{path}' holds weights only (no model_config); pass the architecture with "
                "keras_config (--keras-config model.json: the text of model.to_json()).")
        group = handle["model_weights"] if "model_weights" in handle else handle
        return keras_to_torch(config, group)
