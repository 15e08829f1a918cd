"""The evaluation API: a traced DNA model's neuron activations, feature maps and gradients.

The activation of a neuron is the value after the convolution and the BatchNorm that directly follows
it (if any), before the nonlinearity, as in the NeuronMotif paper.

Sequences inside neuronmotif are always one-hot tensors of shape (N, 4, L) in A, C, G, T order;
:meth:`DNAModel.to_model_input` permutes them to the model's alphabet and layout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..errors import NeuronMotifError, UnsupportedModelError
from ..sequences import ALPHABET
from .inputs import other_input_values
from .layers import ConvLayer
from .trace import other_inputs as other_input_names
from .trace import trace_chain


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
    other_inputs : dict of str -> array-like or float, optional
        Values of the model's inputs after the DNA (its forward's later arguments, e.g. a vector of mRNA
        half-life features), one sample's worth, repeated for every sequence. The conv neurons read the
        DNA alone; these matter only where the head runs (rule effects on the outputs). A number fills
        the input's declared shape (``module.other_input_shapes``, which Keras models have); inputs with
        a declared shape default to zeros; without one the head is not run.
    """

    def __init__(self, module: nn.Module, *, alphabet: str = "ACGT", input_layout: str = "NCL",
                 device: str | torch.device = "cpu", other_inputs: dict | None = None):
        self.alphabet = _check_alphabet(alphabet)
        if input_layout not in ("NCL", "NLC"):
            raise NeuronMotifError(f"input_layout (--input-layout) must be NCL or NLC, not {input_layout!r}.")
        self.input_layout = input_layout
        self.device = torch.device(device)
        _check_finite(module)
        self.module = _to_eval(module).to(self.device)
        for p in self.module.parameters():
            p.requires_grad_(False)
        self._perm = torch.tensor([ALPHABET.index(b) for b in self.alphabet], device=self.device)
        self._graph_module, self._nodes, self.steps, self.layers = trace_chain(module)
        self.other_inputs = other_input_values(module, other_input_names(self._graph_module), other_inputs or {},
                                                self.device)
        self._activation_bytes: dict[tuple[int, int], int] = {}
        self._input_length: int | None = None
        self._check_runs()

    def __reduce__(self):
        """Pickled as its module and settings, traced again where it is unpickled (a Dask worker): an fx
        graph's generated code does not always pickle."""
        others = {name: value.cpu() for name, value in self.other_inputs.items() if value is not None}
        return (_rebuild, (self.module, self.alphabet, self.input_layout, str(self.device), others))

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

    def model_args(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The whole model's arguments for (N, 4, L) one-hot DNA: the DNA, then each other input's value."""
        args = [self.to_model_input(x)]
        for name, value in self.other_inputs.items():
            if value is None:
                raise NeuronMotifError(
                    f"the model's head needs its input '{name}', whose shape is unknown: give its value "
                    f"(other_inputs={{'{name}': array}}, or --other-input {name}=FILE.npy).")
            args.append(value.expand(len(x), *value.shape))
        return tuple(args)

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
            y = _Probe(self._graph_module).run(*self.model_args(x))
            if not torch.is_tensor(y):
                raise NeuronMotifError(f"the model returns {type(y).__name__}, not one tensor of outputs; "
                                       "wrap it so that forward returns the (N, tasks) tensor.")
            y = y.reshape(len(x), -1)
            wanted = list(range(y.shape[1])) if outputs is None else list(outputs)
            grads = [torch.autograd.grad(y[:, t].sum(), captured[0], retain_graph=True)[0] for t in wanted]
        return torch.stack([g.sum(-1).mean(0) for g in grads], dim=1)

    @property
    def input_length(self) -> int:
        """The input length (bp) whole-model evaluations use.

        The model's own when it declares one (``module.input_length``, e.g. a Keras model's input);
        else twice the last conv layer's receptive field when the whole model runs at that length (a
        global-pooling head: motifs can then sit anywhere), else the receptive field itself.
        """
        if self._input_length is None:
            declared = getattr(self.module, "input_length", None)
            rf = self.layers[-1].rf
            self._input_length = int(declared) if declared else (2 * rf if self._head_runs(2 * rf) else rf)
        return self._input_length

    def _head_runs(self, length: int) -> bool:
        """Whether the whole model runs at ``length`` and gives as many outputs as at the receptive field
        (a flattening head gives more: it reads positions)."""
        sizes = []
        for n in (self.layers[-1].rf, length):
            x = torch.zeros(2, 4, n, device=self.device)
            x[:, 0] = 1.0
            try:
                with torch.no_grad():
                    y = self._graph_module(*self.model_args(x))
            except Exception:  # noqa: BLE001 - any failure means the head needs another length
                return False
            if not torch.is_tensor(y):
                return False
            sizes.append(y[0].numel())
        return sizes[0] == sizes[1]

    def probe(self, x: torch.Tensor, layers: Sequence[int]) -> tuple[dict[int, torch.Tensor], torch.Tensor | None]:
        """Feature maps of several layers and the model's outputs, in one pass of the whole model.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 4, L), float
            One-hot sequences in ACGT order, L = :attr:`input_length`, on :attr:`device`.
        layers : sequence of int
            1-based layer numbers.

        Returns
        -------
        maps : dict of int -> torch.Tensor of shape (N, C_l, L_l)
            As :meth:`feature_maps`.
        outputs : torch.Tensor of shape (N, T), or None
            The model's outputs flattened per sequence; None when the head does not run at this length
            or does not return one tensor (then only neurons can be read).
        """
        wanted = {self._nodes[self.layer(l).out_step]: l for l in layers}
        maps: dict[int, torch.Tensor] = {}

        class _Capture(fx.Interpreter):
            def run_node(self, n: fx.Node):
                out = super().run_node(n)
                if n in wanted:
                    maps[wanted[n]] = out
                return out

        with torch.no_grad():
            try:
                y = _Capture(self._graph_module).run(*self.model_args(x))
            except Exception:  # noqa: BLE001 - a head that needs another length: read the neurons only
                return self.feature_maps(x, layers), None
        if not torch.is_tensor(y) or len(maps) < len(wanted):
            return self.feature_maps(x, layers), None
        return maps, y.reshape(len(x), -1)

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
                "pass input_layout='NLC' (--input-layout NLC); if it takes (N, 4, L), pass input_layout='NCL' "
                "(--input-layout NCL).") from exc
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
            f"alphabet (--alphabet) {alphabet!r} is not an order of the four bases A, C, G, T (e.g. ACGT or AGCT).")
    return alphabet


def _check_finite(module: nn.Module) -> None:
    for name, tensor in module.state_dict().items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise NeuronMotifError(
                f"weight '{name}' contains NaN or infinite values; the model file is corrupt or training "
                "diverged. Re-export the weights of a converged model.")


def _rebuild(module: nn.Module, alphabet: str, input_layout: str, device: str, others: dict) -> DNAModel:
    return DNAModel(module, alphabet=alphabet, input_layout=input_layout, device=device, other_inputs=others)
