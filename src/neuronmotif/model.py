"""Model introspection: find the convolutional layers of any PyTorch DNA model and evaluate them.

A model is traced with :mod:`torch.fx` (or taken as it is when it already is a graph, e.g. the module
of a ``torch.export`` program). The data path from the input to the last convolution must be a single
chain; it is turned into a list of :class:`Step` objects. Convolutions and max-pools are re-issued
with zero padding, so every evaluator works on the *valid* part of its input: a sequence as long as
layer ``l``'s receptive field gives exactly one output position of layer ``l``.

The activation of a neuron is the value after the convolution and the BatchNorm that directly follows
it (if any), before the nonlinearity, as in the NeuronMotif paper.

Sequences inside neuronmotif are always one-hot tensors of shape (N, 4, L) in A, C, G, T order;
:meth:`DNAModel.to_model_input` permutes them to the model's alphabet and layout.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn

from .errors import NeuronMotifError, UnsupportedModelError

ALPHABET = "ACGT"

#: activations whose output is never negative: a neuron fed only by them and with no positive
#: input weight can never be activated.
NONNEGATIVE_ACTIVATIONS = frozenset({"relu", "softplus", "sigmoid", "exp"})

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
        self.data: set[fx.Node] = set()
        self.consts: dict[fx.Node, object] = {}
        for node in gm.graph.nodes:
            if node.op == "output":
                continue
            if node is self.input or any(a in self.data for a in node.all_input_nodes):
                self.data.add(node)
            elif node.op == "placeholder":
                raise UnsupportedModelError(
                    f"the model takes several inputs (at least '{self.input.name}' and '{node.name}'); "
                    "neuronmotif needs a model whose forward takes one one-hot DNA tensor.")
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


class DNAModel:
    """A PyTorch DNA model prepared for neuron-level evaluation.

    Parameters
    ----------
    module : torch.nn.Module
        Any model whose forward takes one-hot DNA of shape (N, 4, L) (or (N, L, 4), see
        ``input_layout``). Put in eval mode; its parameters are not changed.
    alphabet : str
        The model's channel order, a permutation of 'ACGT' (DeepSEA-family models use 'AGCT').
    input_layout : {'NCL', 'NLC'}
        Whether the model takes (N, 4, L) or (N, L, 4).
    device : str or torch.device
        Where evaluations run ('cpu', 'cuda', 'mps').
    """

    def __init__(self, module: nn.Module, *, alphabet: str = "ACGT", input_layout: str = "NCL",
                 device: str | torch.device = "cpu"):
        self.alphabet = _check_alphabet(alphabet)
        if input_layout not in ("NCL", "NLC"):
            raise NeuronMotifError(f"--input-layout must be NCL or NLC, not {input_layout!r}.")
        self.input_layout = input_layout
        self.device = torch.device(device)
        _check_finite(module)
        self.module = _to_eval(module).to(self.device)
        for p in self.module.parameters():
            p.requires_grad_(False)
        self._perm = torch.tensor([ALPHABET.index(b) for b in self.alphabet], device=self.device)
        gm = module if isinstance(module, fx.GraphModule) else _trace(module)
        graph = _Graph(gm)
        self._graph_module = gm
        self._nodes = graph.chain()
        self.steps = [_make_step(graph, node) for node in self._nodes]
        self.layers = _find_layers(self.steps)
        self._activation_bytes: dict[tuple[int, int], int] = {}
        self._check_runs()

    # ----------------------------------------------------------------------------------------------
    def layer(self, index: int) -> ConvLayer:
        """The 1-based conv layer ``index``, with a clear error when out of range."""
        if not 1 <= index <= len(self.layers):
            raise NeuronMotifError(
                f"layer {index} is out of range: this model has conv layers 1-{len(self.layers)}.")
        return self.layers[index - 1]

    def to_model_input(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) one-hot in ACGT order -> the model's alphabet and layout."""
        x = x.index_select(1, self._perm)
        return x.transpose(1, 2) if self.input_layout == "NLC" else x

    def feature_maps(self, x: torch.Tensor, layers: Sequence[int]) -> dict[int, torch.Tensor]:
        """Activations (after BatchNorm, before the nonlinearity) of several layers.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L), float
            One-hot sequences in ACGT order, on :attr:`device`.
        layers : sequence of int
            1-based layer numbers.

        Returns
        -------
        dict of int -> torch.Tensor of shape (N, C_l, L_l)
            L_l is the number of valid output positions of layer l.
        """
        wanted = {self.layer(l).out_step: l for l in layers}
        last = max(wanted)
        out: dict[int, torch.Tensor] = {}
        h = self.to_model_input(x)
        for i, step in enumerate(self.steps[: last + 1]):
            h = step.fn(h)
            if i in wanted:
                out[wanted[i]] = h
        return out

    def activations(self, x: torch.Tensor, layer: int) -> torch.Tensor:
        """Neuron activations of one layer at output position 0.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, rf), float
            One-hot sequences as long as the layer's receptive field (ACGT order).
        layer : int
            1-based layer number.

        Returns
        -------
        torch.Tensor, shape (N, C)
        """
        return self.feature_maps(x, [layer])[layer][:, :, 0]

    def activation_bytes(self, layer: int, length: int | None = None) -> int:
        """Bytes of the intermediate tensors (float32) of one sequence evaluated up to ``layer``.

        ``length`` defaults to the layer's receptive field. Used to size batches to a memory budget.
        """
        spec = self.layer(layer)
        length = length or spec.rf
        key = (layer, length)
        if key not in self._activation_bytes:
            h = torch.zeros(1, 4, length, device=self.device)
            h[:, 0] = 1.0
            total = 0
            with torch.no_grad():
                h = self.to_model_input(h)
                for step in self.steps[: spec.out_step + 1]:
                    h = step.fn(h)
                    total += h.numel() * 4 if torch.is_tensor(h) else 0
            self._activation_bytes[key] = total
        return self._activation_bytes[key]

    def batch_size(self, layer: int, cap: int, length: int | None = None, budget_mb: float = 256.0) -> int:
        """Sequences per forward pass so that one pass's intermediate tensors stay near ``budget_mb``.

        With backward passes the peak is a small multiple of the budget; the default keeps a BD-10 layer
        well under 4 GB of resident memory.
        """
        per_sequence = max(1, self.activation_bytes(layer, length))
        return int(max(16, min(cap, budget_mb * 2**20 // per_sequence)))

    def describe(self) -> list[dict]:
        """The layer table: one dict per conv layer (index, name, channels, kernel, pools, RF)."""
        return [layer.as_row() for layer in self.layers]

    def fingerprint(self) -> str:
        """SHA-256 over the parameters, buffers, alphabet and layout: identifies the model in a run."""
        digest = hashlib.sha256(f"{self.alphabet}|{self.input_layout}".encode())
        for name, tensor in sorted(self.module.state_dict().items()):
            if torch.is_tensor(tensor):
                digest.update(name.encode())
                digest.update(tensor.detach().to("cpu", torch.float64).contiguous().numpy().tobytes())
        return digest.hexdigest()

    def effective_weights(self, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The affine map conv+BatchNorm of one layer, measured by probing.

        Returns
        -------
        weight : torch.Tensor, shape (C_out, C_in, kernel)
        bias : torch.Tensor, shape (C_out,)
        """
        spec = self.layer(layer)
        probe = torch.zeros(1 + spec.in_channels * spec.kernel_size, spec.in_channels, spec.kernel_size,
                            device=self.device)
        idx = torch.arange(spec.in_channels * spec.kernel_size, device=self.device)
        probe[1 + idx, idx // spec.kernel_size, idx % spec.kernel_size] = 1.0
        h = probe
        with torch.no_grad():
            for step in self.steps[spec.conv_step: spec.out_step + 1]:
                h = step.fn(h)
        h = h[:, :, 0]
        bias = h[0]
        weight = (h[1:] - bias).T.reshape(spec.out_channels, spec.in_channels, spec.kernel_size)
        return weight, bias

    def output_gradients(self, x: torch.Tensor, layer: int, outputs: Sequence[int] | None = None) -> torch.Tensor:
        """How each neuron of ``layer`` pushes each model output on the given sequences.

        The whole model runs as it was defined (its own padding, pooling and head); the gradient of
        output t with respect to a neuron's activation map is summed over positions and averaged over
        the sequences. A positive value means the neuron votes for task t on these sequences; a
        negative one that it votes against (a detector of hard negatives, for example).

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L), float
            One-hot sequences in ACGT order, as long as the model's input, on :attr:`device`.
        layer : int
            1-based layer number.
        outputs : sequence of int or None
            The model outputs (tasks) to differentiate; None: all of them.

        Returns
        -------
        torch.Tensor, shape (C, T)
            C neurons of the layer, T requested outputs (the output flattened per sequence).
        """
        node = self._nodes[self.layer(layer).out_step]
        captured: list[torch.Tensor] = []

        class _Probe(fx.Interpreter):
            def run_node(self, n: fx.Node):
                out = super().run_node(n)
                if n is node:
                    out = out.detach().requires_grad_(True)
                    captured.append(out)
                return out

        with torch.enable_grad():
            y = _Probe(self._graph_module).run(self.to_model_input(x))
            if not torch.is_tensor(y):
                raise NeuronMotifError(f"the model returns {type(y).__name__}, not one tensor of outputs; "
                                       "wrap it so that forward returns the (N, tasks) tensor.")
            y = y.reshape(len(x), -1)
            wanted = list(range(y.shape[1])) if outputs is None else list(outputs)
            grads = [torch.autograd.grad(y[:, t].sum(), captured[0], retain_graph=True)[0] for t in wanted]
        return torch.stack([g.sum(-1).mean(0) for g in grads], dim=1)

    def input_activation(self, layer: int) -> str:
        """The nonlinearity applied to this layer's input ('none' for layer 1)."""
        return "none" if layer == 1 else self.layer(layer - 1).activation

    # ----------------------------------------------------------------------------------------------
    def _check_runs(self) -> None:
        """Run the conv stack once on a few random sequences: it must run, give one position at the last
        layer's receptive field, and give finite activations at every layer."""
        rf = self.layers[-1].rf
        tokens = torch.randint(0, 4, (8, rf), generator=torch.Generator().manual_seed(0))
        x = F.one_hot(tokens, 4).transpose(1, 2).float().to(self.device)
        try:
            with torch.no_grad():
                maps = self.feature_maps(x, range(1, len(self.layers) + 1))
        except Exception as exc:  # noqa: BLE001 - any failure here is the user's model or layout
            raise NeuronMotifError(
                f"the model's conv stack fails on one-hot input of shape {tuple(self.to_model_input(x).shape)} "
                f"(layout {self.input_layout}): {str(exc).splitlines()[0]}. If the model takes (N, L, 4), "
                "pass --input-layout NLC; if it takes (N, 4, L), pass --input-layout NCL.") from exc
        for layer, fmap in maps.items():
            check_finite_activations(fmap, self.layer(layer))
        length = maps[len(self.layers)].shape[-1]
        if length != 1:
            raise UnsupportedModelError(
                f"internal check failed: layer {len(self.layers)} gives {length} positions on its "
                f"receptive field of {rf} bp instead of 1; please report this model.")


def check_finite_activations(acts: torch.Tensor, layer: ConvLayer) -> None:
    """Raise a clear error when a layer's activations hold NaN or infinite values.

    Parameters
    ----------
    acts : torch.Tensor
        Activations of ``layer`` (any shape).
    layer : ConvLayer
    """
    if not bool(torch.isfinite(acts).all()):
        raise NeuronMotifError(
            f"layer {layer.index} ({layer.name}) gives non-finite activations (NaN or infinity) on one-hot DNA: "
            "the weights overflow float32 or are corrupt. Check that the weights are those of the trained "
            "model (a file that was scaled, or a diverged training run, cannot be deciphered).")


def _to_eval(module: nn.Module) -> nn.Module:
    """Eval mode; the module of a torch.export program is always in eval form and refuses .eval()."""
    try:
        return module.eval()
    except NotImplementedError:
        return module


def _check_alphabet(alphabet: str) -> str:
    alphabet = alphabet.upper()
    if sorted(alphabet) != sorted(ALPHABET):
        raise NeuronMotifError(
            f"--alphabet {alphabet!r} is not an order of the four bases A, C, G, T (e.g. ACGT or AGCT).")
    return alphabet


def _check_finite(module: nn.Module) -> None:
    for name, tensor in module.state_dict().items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise NeuronMotifError(
                f"weight '{name}' contains NaN or infinite values; the model file is corrupt or training "
                "diverged. Re-export the weights of a converged model.")


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
            "has 4; this is not a DNA model in (N, 4, L) form, or its layout is wrong (see --input-layout).")
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
