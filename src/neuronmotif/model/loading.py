"""Loading a model from the command line: ``FILE.py:Class`` + ``--weights``, a ``.pt2`` export, or Keras HDF5."""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import sys
import zipfile
from pathlib import Path

import torch
from torch import nn

from ..errors import NeuronMotifError
from .dnamodel import DNAModel

KERAS_SUFFIXES = (".h5", ".hdf5")


def load_module(spec: str, weights: str | None = None, model_kwargs: str | dict | None = None,
                keras_config: str | None = None) -> nn.Module:
    """Build the ``nn.Module`` a model specification names.

    Parameters
    ----------
    spec : str
        ``path/to/model.py:ClassName`` (with ``weights``), ``model.pt2`` (``torch.export.save``), or a
        Keras 2 HDF5 file ``model.h5``.
    weights : str or None
        A ``state_dict`` saved with ``torch.save`` (loaded with ``weights_only=True``).
    model_kwargs : str (JSON) or dict or None
        Keyword arguments for the class.
    keras_config : str or None
        ``model.to_json()`` output for a weights-only Keras HDF5 file.
    """
    if spec.endswith(".pt2"):
        return _load_exported(Path(spec))
    if spec.lower().endswith(".keras"):
        raise NeuronMotifError(
            f"'{spec}' is a Keras 3 .keras archive, which is not read yet; save the model in the Keras 2 HDF5 "
            "format (model.save('model.h5')) and pass that file.")
    if spec.lower().endswith(KERAS_SUFFIXES):
        from .keras import load_keras

        return load_keras(Path(spec), config_path=Path(keras_config) if keras_config else None)
    path_part, colon, class_name = spec.rpartition(":")
    if not colon or not path_part.endswith(".py"):
        raise NeuronMotifError(
            f"cannot tell what model {spec!r} is: pass FILE.py:ClassName with weights (--weights), a torch.export .pt2 "
            "file, or a Keras .h5 file.")
    cls = _load_class(Path(path_part), class_name)
    kwargs = _parse_kwargs(model_kwargs)
    try:
        module = cls(**kwargs)
    except TypeError as exc:
        raise NeuronMotifError(
            f"could not build {cls.__name__}({', '.join(kwargs)}): {first_line(exc)}; pass its arguments as JSON "
            "with model_kwargs (--model-kwargs '{\"name\": value}').") from exc
    except Exception as exc:  # noqa: BLE001 - the user's own constructor failed
        raise NeuronMotifError(
            f"{cls.__name__}({', '.join(kwargs)}) failed in its __init__ ({first_line(exc)}); fix the class in "
            f"'{path_part}' or its model_kwargs (--model-kwargs).") from exc
    if weights is None:
        raise NeuronMotifError(
            f"no weights given for {cls.__name__}: pass the trained state_dict as weights (--weights FILE.pt) "
            "(deciphering random weights tells nothing).")
    _load_weights(module, Path(weights))
    return module


def load_model(spec: str, *, weights: str | None = None, model_kwargs: str | dict | None = None,
               keras_config: str | None = None, alphabet: str = "ACGT", input_layout: str = "NCL",
               device: str = "cpu", other_inputs: dict | None = None) -> DNAModel:
    """:func:`load_module` then wrap it in a :class:`~neuronmotif.model.DNAModel` (``other_inputs``: values
    of the model's inputs after the DNA, see there)."""
    device = _check_device(device)
    module = load_module(spec, weights, model_kwargs, keras_config)
    return DNAModel(module, alphabet=alphabet, input_layout=input_layout, device=device, other_inputs=other_inputs)


def first_line(exc: BaseException) -> str:
    """The first line of the message of an exception's root cause, or the cause's class name."""
    while exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__):
        exc = exc.__cause__ or exc.__context__
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def _check_device(device: str) -> str:
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise NeuronMotifError(f"device (--device) {device!r} is not a device; use cpu, cuda, cuda:1 or mps.") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NeuronMotifError(f"device (--device) {device}: CUDA is not available here; use cpu.")
    if device == "mps" and not torch.backends.mps.is_available():
        raise NeuronMotifError("device (--device) mps: Apple MPS is not available here; use cpu.")
    return device


def _parse_kwargs(model_kwargs: str | dict | None) -> dict:
    if model_kwargs is None or isinstance(model_kwargs, dict):
        return dict(model_kwargs or {})
    try:
        value = json.loads(model_kwargs)
    except json.JSONDecodeError as exc:
        raise NeuronMotifError(
            f"model_kwargs (--model-kwargs) is not valid JSON ({exc.msg}): {model_kwargs!r}.") from exc
    if not isinstance(value, dict):
        raise NeuronMotifError("model_kwargs (--model-kwargs) must be a JSON object, e.g. '{\"n_tasks\": 2}'.")
    return value


def _load_class(path: Path, name: str) -> type[nn.Module]:
    if not path.exists():
        raise NeuronMotifError(f"model file '{path}' does not exist.")
    module_name = f"_neuronmotif_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001
        raise NeuronMotifError(f"importing '{path}' failed: {type(exc).__name__}: {exc}.") from exc
    classes = {n for n, obj in vars(module).items() if inspect.isclass(obj) and issubclass(obj, nn.Module)
               and obj.__module__ == module_name}
    cls = getattr(module, name, None)
    if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
        found = ", ".join(sorted(classes)) or "none"
        raise NeuronMotifError(f"class '{name}' is not an nn.Module in '{path}' (nn.Module classes there: {found}).")
    return cls


def _load_weights(module: nn.Module, path: Path) -> None:
    if not path.exists():
        raise NeuronMotifError(f"weights file '{path}' does not exist.")
    if path.stat().st_size == 0:
        raise NeuronMotifError(f"weights file '{path}' is empty (0 bytes); save the trained weights with "
                               "torch.save(model.state_dict(), path).")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise NeuronMotifError(
            f"cannot read weights file '{path}' ({first_line(exc)}); it must "
            "be a state_dict saved with torch.save(model.state_dict(), path).") from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise NeuronMotifError(
            f"weights file '{path}' does not hold a state_dict (a dict of tensors); save it with "
            "torch.save(model.state_dict(), path).")
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        result = module.load_state_dict(state, strict=False) if "size mismatch" not in str(exc) else None
        if result is None:
            line = next((x.strip() for x in str(exc).splitlines() if "size mismatch" in x), str(exc))
            raise NeuronMotifError(f"weights in '{path}' do not fit {type(module).__name__}: {line}") from exc
        raise NeuronMotifError(
            f"weights in '{path}' do not fit {type(module).__name__}: missing {list(result.missing_keys)[:3]}, "
            f"unexpected {list(result.unexpected_keys)[:3]}; check the class and model_kwargs "
            "(--model-kwargs).") from exc


def _load_exported(path: Path) -> nn.Module:
    if not path.exists():
        raise NeuronMotifError(f"model file '{path}' does not exist.")
    fix = "save it with torch.export.save(torch.export.export(model, (x,)), path)."
    if not zipfile.is_zipfile(path):
        raise NeuronMotifError(f"'{path}' is not a torch.export program (not a zip archive; empty or corrupt); {fix}")
    # torch logs the traceback of a failed load as a warning and raises a vaguer error: keep the cause
    logged = _Captured()
    logger = logging.getLogger("torch.export")
    handlers, propagate = logger.handlers, logger.propagate
    logger.handlers, logger.propagate = [logged], False
    try:
        return torch.export.load(str(path)).module()
    except Exception as exc:  # noqa: BLE001 - any failure to deserialise is a bad file
        cause = logged.errors[0] if logged.errors else exc
        raise NeuronMotifError(f"cannot read '{path}' as a torch.export program ({first_line(cause)}); {fix}") from exc
    finally:
        logger.handlers, logger.propagate = handlers, propagate


class _Captured(logging.Handler):
    """Keeps the exceptions of log records instead of printing them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])
