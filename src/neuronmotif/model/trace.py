"""Model introspection: the data path of any PyTorch DNA model as a chain of steps, and its conv layers.

A model is traced with :mod:`torch.fx` (or taken as it is when it already is a graph, e.g. the module
of a ``torch.export`` program). The data path from the input to the last convolution must be a single
chain; it is turned into a list of :class:`Step` objects. Convolutions and max-pools are re-issued
with zero padding, so every evaluator works on the *valid* part of its input: a sequence as long as
layer ``l``'s receptive field gives exactly one output position of layer ``l``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import NeuronMotifError, UnsupportedModelError
from .layers import ConvLayer, Step

_ACTIVATION_MODULES: dict[type, str] = {
    nn.ReLU: "relu",
    nn.ELU: "elu",
    nn.GELU: "gelu",
    nn.Softplus: "softplus",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.LeakyReLU: "leaky_relu",
    nn.SiLU: "silu",
}
_ACTIVATION_FUNCTIONS = {
    "relu": "relu", "relu_": "relu", "elu": "elu", "elu_": "elu", "gelu": "gelu", "softplus": "softplus",
    "sigmoid": "sigmoid", "sigmoid_": "sigmoid", "tanh": "tanh", "tanh_": "tanh", "exp": "exp",
    "exp_": "exp", "leaky_relu": "leaky_relu", "leaky_relu_": "leaky_relu", "silu": "silu",
}
_BATCHNORM_FUNCTIONS = {"batch_norm", "_native_batch_norm_legit_no_training", "native_batch_norm"}
_PASS_FUNCTIONS = {"getitem", "getattr", "dropout", "dropout_", "feature_dropout", "alpha_dropout",
                   "contiguous", "clone", "float", "to", "type", "detach", "_assert_tensor_metadata"}
_LAYOUT_FUNCTIONS = {"transpose", "permute", "view", "reshape", "unsqueeze", "squeeze", "swapaxes"}


def _base_name(target) -> str:
    """'aten.conv1d.default' -> 'conv1d'; F.relu -> 'relu'; 'transpose' -> 'transpose'."""
    if isinstance(target, str):
        return target
    if target is operator.getitem:
        return "getitem"
    text = str(target)
    if text.startswith("aten."):
        return text.split(".")[1]
    return getattr(target, "__name__", text)


def _as_int(value, what: str, where: str) -> int:
    if isinstance(value, (list, tuple)):
        if len(set(value)) != 1:
            raise UnsupportedModelError(f"{where}: {what} {value} is not supported (1-D models only).")
        value = value[0]
    return int(value)


def _positional(node: fx.Node, names: Sequence[str], defaults: dict) -> dict:
    """Arguments of a call_function node by name (positional, then keyword, then defaults)."""
    values = dict(defaults)
    values.update(dict(zip(names, node.args, strict=False)))
    values.update(node.kwargs)
    return values


class _Graph:
    """Constant folding and the data-path walk over an fx graph."""

    def __init__(self, gm: fx.GraphModule):
        self.gm = gm
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        if not placeholders:
            raise UnsupportedModelError("the model's graph has no input.")
        self.input = placeholders[0]
        #: nodes computed from the other inputs (not DNA): never constant-folded, never on the conv path
        self.side: set[fx.Node] = set(placeholders[1:])
        self.data: set[fx.Node] = set()
        self.consts: dict[fx.Node, object] = {}
        for node in gm.graph.nodes:
            if node.op == "output" or node in self.side:
                continue
            if node is self.input or any(a in self.data for a in node.all_input_nodes):
                self.data.add(node)
            elif any(a in self.side for a in node.all_input_nodes):
                self.side.add(node)
            else:
                self.consts[node] = self._evaluate_constant(node)
        self.reaches_conv = self._nodes_reaching_conv()

    def _evaluate_constant(self, node: fx.Node):
        args = fx.node.map_arg(node.args, lambda n: self.consts[n])
        kwargs = fx.node.map_arg(node.kwargs, lambda n: self.consts[n])
        if node.op == "get_attr":
            value = self.gm
            for part in str(node.target).split("."):
                value = getattr(value, part)
            return value
        if node.op == "call_function":
            return node.target(*args, **kwargs)
        if node.op == "call_method":
            return getattr(args[0], node.target)(*args[1:], **kwargs)
        if node.op == "call_module":
            return self.gm.get_submodule(node.target)(*args, **kwargs)
        raise UnsupportedModelError(f"unexpected graph node {node.name} ({node.op}).")

    def is_conv(self, node: fx.Node) -> bool:
        if node.op == "call_module":
            return isinstance(self.gm.get_submodule(node.target), nn.modules.conv._ConvNd)
        return node.op in ("call_function", "call_method") and _base_name(node.target) in (
            "conv1d", "convolution", "conv2d", "conv3d", "_convolution")

    def _nodes_reaching_conv(self) -> set[fx.Node]:
        reach: set[fx.Node] = set()
        for node in reversed(list(self.gm.graph.nodes)):
            if node in self.data and (self.is_conv(node) or any(u in reach for u in node.users)):
                reach.add(node)
        return reach

    def chain(self) -> list[fx.Node]:
        """The data-path nodes from the input onwards, as long as the path is a single chain.

        A branch or a merge (residual connection) before the last convolution is refused; one after it
        (e.g. a multi-task head) simply ends the chain.
        """
        nodes, current = [], self.input
        while True:
            users = [u for u in current.users if u in self.data and (u.users or u in self.reaches_conv)]
            if len(users) != 1:
                if any(u in self.reaches_conv for u in users):
                    raise UnsupportedModelError(
                        f"the data path branches after '{current.name}' (a residual connection or several "
                        "branches); neuronmotif supports a single chain of convolutions. Wrap the branch you "
                        "want to decipher in its own module.")
                return nodes
            nxt = users[0]
            sides = [a for a in nxt.all_input_nodes if a in self.side]
            if sides:
                if nxt in self.reaches_conv:
                    raise UnsupportedModelError(
                        f"graph node '{nxt.name}' mixes the DNA path with the model's other input(s) "
                        f"({', '.join(a.name for a in sides)}) before the last convolution; neuronmotif needs "
                        "conv layers that read the DNA alone.")
                return nodes  # the head joins the other inputs after the convolutions
            merged = [a for a in nxt.all_input_nodes if a in self.data]
            if len(merged) > 1:
                if nxt in self.reaches_conv:
                    raise UnsupportedModelError(
                        f"graph node '{nxt.name}' combines several data tensors "
                        f"({', '.join(a.name for a in merged)}): residual connections are not supported; "
                        "neuronmotif needs a single chain of convolutions.")
                return nodes
            nodes.append(nxt)
            current = nxt


def _trace(module: nn.Module) -> fx.GraphModule:
    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # noqa: BLE001
        raise UnsupportedModelError(
            f"torch.fx could not trace {type(module).__name__}.forward ({str(exc).splitlines()[0]}). "
            "Data-dependent control flow cannot be traced: save the model with torch.export "
            "(torch.export.save(torch.export.export(model, (x,)), 'model.pt2')) and pass the .pt2 file.") from exc


# --------------------------------------------------------------------------------------------------
# Step construction
def _make_step(graph: _Graph, node: fx.Node) -> Step:
    name = str(node.target) if node.op == "call_module" else node.name
    if node.op == "call_module":
        return _module_step(graph.gm.get_submodule(node.target), name)
    base = _base_name(node.target)
    data_input = next(a for a in node.all_input_nodes if a in graph.data)

    def generic(x: torch.Tensor, node=node, data_input=data_input):
        sub = lambda n: x if n is data_input else graph.consts[n]  # noqa: E731
        args = fx.node.map_arg(node.args, sub)
        kwargs = fx.node.map_arg(node.kwargs, sub)
        if node.op == "call_method":
            return getattr(args[0], node.target)(*args[1:], **kwargs)
        return node.target(*args, **kwargs)

    if base in ("conv1d", "convolution", "_convolution"):
        return _functional_conv_step(graph, node, base, name)
    if base in ("conv2d", "conv3d"):
        raise UnsupportedModelError(f"layer '{name}' is a {base}; neuronmotif reads 1-D DNA convolutions only.")
    if base in ("max_pool1d", "max_pool1d_with_indices"):
        a = _positional(node, ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"],
                        {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False})
        kernel = _as_int(a["kernel_size"], "kernel size", name)
        _check_pool(name, kernel, a["stride"] if a["stride"] not in (None, []) else kernel, a["dilation"])
        fn = _valid_pool(kernel)
        if base == "max_pool1d_with_indices":
            return Step("pool", name, lambda x: (fn(x), None), kernel=kernel)
        return Step("pool", name, fn, kernel=kernel)
    if base in _BATCHNORM_FUNCTIONS:
        return Step("bn", name, generic)
    if base in _ACTIVATION_FUNCTIONS:
        return Step("act", name, generic, activation=_ACTIVATION_FUNCTIONS[base])
    if base in _PASS_FUNCTIONS:
        return Step("pass", name, generic)
    if base in _LAYOUT_FUNCTIONS:
        return Step("layout", name, generic)
    return Step("other", f"{name} ({base})", generic)


def _valid_pool(kernel: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: F.max_pool1d(x, kernel, kernel, 0)


def _check_pool(name: str, kernel: int, stride, dilation) -> None:
    stride = _as_int(stride, "stride", name)
    if stride != kernel:
        raise UnsupportedModelError(
            f"max-pool '{name}' has stride {stride} and size {kernel}; only non-overlapping pooling "
            "(stride = size) is supported.")
    if _as_int(dilation, "dilation", name) != 1:
        raise UnsupportedModelError(f"max-pool '{name}' is dilated; dilated pooling is not supported.")


def _check_conv(name: str, stride, dilation) -> None:
    stride, dilation = _as_int(stride, "stride", name), _as_int(dilation, "dilation", name)
    if stride != 1:
        raise UnsupportedModelError(
            f"convolution '{name}' has stride {stride}; strided convolutions are not supported. Use a "
            "stride-1 convolution followed by MaxPool1d.")
    if dilation != 1:
        raise UnsupportedModelError(
            f"convolution '{name}' is dilated ({dilation}); dilated convolutions are not supported yet.")


def _conv_step(name: str, weight: torch.Tensor, bias, groups: int) -> Step:
    if weight.dim() != 3:
        raise UnsupportedModelError(f"convolution '{name}' is not 1-D (weight shape {tuple(weight.shape)}).")
    return Step("conv", name, lambda x: F.conv1d(x, weight, bias, 1, 0, 1, groups), kernel=weight.shape[-1],
                in_channels=weight.shape[1] * groups, out_channels=weight.shape[0])


def _functional_conv_step(graph: _Graph, node: fx.Node, base: str, name: str) -> Step:
    if base == "conv1d":
        names = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"]
    else:
        names = ["input", "weight", "bias", "stride", "padding", "dilation", "transposed", "output_padding",
                 "groups"]
    a = _positional(node, names, {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1,
                                  "transposed": False})
    if a["transposed"]:
        raise UnsupportedModelError(f"'{name}' is a transposed convolution, which is not supported.")
    _check_conv(name, a["stride"], a["dilation"])
    resolve = lambda v: graph.consts[v] if isinstance(v, fx.Node) else v  # noqa: E731
    return _conv_step(name, resolve(a["weight"]), resolve(a["bias"]), int(a["groups"]))


def _module_step(module: nn.Module, name: str) -> Step:
    if isinstance(module, nn.Conv1d):
        if isinstance(module, nn.ConvTranspose1d):
            raise UnsupportedModelError(f"'{name}' is a transposed convolution, which is not supported.")
        _check_conv(name, module.stride, module.dilation)
        return _conv_step(name, module.weight, module.bias, module.groups)
    if isinstance(module, nn.modules.conv._ConvNd):
        raise UnsupportedModelError(
            f"layer '{name}' is a {type(module).__name__}; neuronmotif reads 1-D DNA convolutions only.")
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return Step("bn", name, module)
    for cls, act in _ACTIVATION_MODULES.items():
        if isinstance(module, cls):
            return Step("act", name, module, activation=act)
    if isinstance(module, nn.Threshold):  # DeepSEA's thresholded ReLU: x where x > theta, else value
        kind = "thresholded_relu" if module.threshold >= 0 and module.value == 0 else "threshold"
        return Step("act", name, module, activation=kind)
    if isinstance(module, nn.MaxPool1d):
        kernel = _as_int(module.kernel_size, "kernel size", name)
        _check_pool(name, kernel, module.stride, module.dilation)
        return Step("pool", name, _valid_pool(kernel), kernel=kernel)
    if isinstance(module, (nn.Dropout, nn.Identity)):
        return Step("pass", name, module)
    if isinstance(module, nn.Flatten):
        return Step("layout", name, module)
    return Step("other", f"{name} ({type(module).__name__})", module)


def _find_layers(steps: list[Step]) -> list[ConvLayer]:
    conv_idx = [i for i, s in enumerate(steps) if s.kind == "conv"]
    if not conv_idx:
        raise UnsupportedModelError("the model has no 1-D convolution on its input's path.")
    first = steps[conv_idx[0]]
    if first.in_channels != 4:
        raise NeuronMotifError(
            f"the first convolution '{first.name}' takes {first.in_channels} input channels, but one-hot DNA "
            "has 4; this is not a DNA model in (N, 4, L) form, or its layout is wrong (see input_layout, "
            "--input-layout).")
    for i in range(conv_idx[0], conv_idx[-1]):
        if steps[i].kind in ("other", "layout"):
            raise UnsupportedModelError(
                f"'{steps[i].name}' sits between convolution layers; only BatchNorm, activations "
                "(ReLU, ELU, GELU, Softplus, exp, sigmoid, tanh), MaxPool1d and Dropout are supported there.")
    layers: list[ConvLayer] = []
    pool_below = 1
    for n, ci in enumerate(conv_idx):
        end = conv_idx[n + 1] if n + 1 < len(conv_idx) else len(steps)
        out_step, j = ci, ci + 1
        while j < end and steps[j].kind in ("pass", "bn"):
            if steps[j].kind == "bn":
                out_step = j
                # a tuple-returning batch norm (torch.export) is followed by getitem: keep it
                if j + 1 < end and steps[j + 1].kind == "pass":
                    out_step = j + 1
                break
            j += 1
        acts = [s.activation for s in steps[ci + 1:end] if s.kind == "act"]
        pool_after = 1
        for s in steps[ci + 1:end]:
            if s.kind == "pool":
                pool_after *= s.kernel
        layers.append(ConvLayer(
            index=n + 1, name=steps[ci].name, in_channels=steps[ci].in_channels,
            out_channels=steps[ci].out_channels, kernel_size=steps[ci].kernel, pool_after=pool_after,
            pool_below=pool_below, rf=_receptive_field(steps, ci), activation=acts[0] if acts else "none",
            conv_step=ci, out_step=out_step))
        pool_below *= pool_after
    return layers


def _receptive_field(steps: list[Step], conv_step: int) -> int:
    """Receptive field in bp of one output position of the conv at ``conv_step`` (full pool windows)."""
    size = 1
    for step in reversed(steps[: conv_step + 1]):
        if step.kind == "conv":
            size += step.kernel - 1
        elif step.kind == "pool":
            size *= step.kernel
    return size


def other_inputs(gm: fx.GraphModule) -> list[str]:
    """Names of the model's inputs after the first (the DNA): held at fixed values where the head needs them."""
    return [str(n.target) for n in gm.graph.nodes if n.op == "placeholder"][1:]


def trace_chain(module: nn.Module) -> tuple[fx.GraphModule, list[fx.Node], list[Step], list[ConvLayer]]:
    """Trace ``module`` and return its graph, the data-path nodes, their steps and the conv layers."""
    gm = module if isinstance(module, fx.GraphModule) else _trace(module)
    graph = _Graph(gm)
    nodes = graph.chain()
    steps = [_make_step(graph, node) for node in nodes]
    return gm, nodes, steps, _find_layers(steps)
