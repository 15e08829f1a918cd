"""The run directory: a documented, stable layout, atomic writes, and resumable runs.

Layout (see the README for the column definitions)::

    OUT/run.json                  versions, seed, every parameter, the model's layer table
    OUT/layer_<l>/crms.meme       MEME text; one MOTIF per CRM named L<l>_N<n>_C<c> (rows = positions, ACGT)
    OUT/layer_<l>/crms.tsv        one row per CRM: activations, ratio, consensus
    OUT/layer_<l>/neurons.tsv     one row per neuron: status, sample size, activations, CRM count, seconds
    OUT/layer_<l>/samples/        with --keep-samples: neuron_<n>.npz (tokens uint8 (N, rf), acts float32)
    OUT/layer_<l>/.partial/       per-neuron results of an unfinished layer (removed when it finishes)

Every file is written to a temporary name in the same directory and renamed, so an interrupted run never
leaves a half-written file, and re-running the same command resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import RunDirectoryError
from ..names import crm_name
from ..ppm import CRM, consensus_ratio
from .formats import atomic_write_bytes, atomic_write_text, fmt, meme_text, read_meme, read_tsv, tsv_text
from .lock import LOCK_NAME, directory_lock

NEURON_COLUMNS = ["neuron", "status", "n_sequences", "max_activation", "consensus_activation", "ratio",
                  "n_crms", "seconds", "motif_nb", "note"]
CRM_COLUMNS = ["crm", "neuron", "crm_index", "n_sequences", "max_activation", "consensus_activation", "ratio",
               "consensus"]
#: keys of run.json that must agree for a run directory to be resumed
_IDENTITY_KEYS = ("model_fingerprint", "seed", "parameters")


@dataclass
class NeuronResult:
    """Everything neuronmotif learned about one neuron.

    Attributes
    ----------
    neuron : int
        0-based neuron (channel) of its layer.
    status : str
        'ok'; 'sick' (no CRM consensus reaches ``sick_ratio`` of its cluster's maximum activation);
        'dead' (cannot be activated: see ``note``).
    note : str
        Why a neuron is dead or sick ('' otherwise).
    n_sequences : int
        Activating sequences sampled (after deduplication and capping).
    max_activation : float
        Largest sampled activation M (0 for dead neurons).
    consensus_activation : float
        Best consensus activation C over the neuron's CRMs.
    motif_nb : int
        Number of independently shifting units used in demixing.
    seconds : float
        Wall time spent on the neuron (its share of batched sampling plus its own demixing).
    crms : list of CRM
    """

    neuron: int
    status: str
    note: str = ""
    n_sequences: int = 0
    max_activation: float = 0.0
    consensus_activation: float = 0.0
    motif_nb: int = 0
    seconds: float = 0.0
    crms: list[CRM] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """C / M of the neuron's best CRM consensus over its sample's maximum."""
        return consensus_ratio(self.consensus_activation, self.max_activation)


class RunDirectory:
    """A neuronmotif output directory.

    Parameters
    ----------
    path : str or Path
        The directory (created if missing).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the directory's write lock (see :func:`~neuronmotif.store.lock.directory_lock`)."""
        return directory_lock(self.path)

    # -- opening -------------------------------------------------------------------------------------
    def prepare(self, manifest: dict, overwrite: bool = False) -> None:
        """Create or reopen the directory for a run described by ``manifest``.

        Refuses a directory made by a different model, seed or parameters unless ``overwrite``, and
        never deletes a directory that is not a neuronmotif run.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path / ".write-test", "ok")
            (self.path / ".write-test").unlink()
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write to output directory '{self.path}' ({exc.strerror or exc}); choose a writable "
                "directory with -o.") from exc
        manifest_path = self.path / "run.json"
        if manifest_path.exists():
            old = json.loads(manifest_path.read_text())
            differing = [k for k in _IDENTITY_KEYS if old.get(k) != manifest.get(k)]
            if differing and not overwrite:
                detail = _describe_difference(old, manifest, differing)
                raise RunDirectoryError(
                    f"'{self.path}' holds a run with a different {', '.join(differing)} ({detail}); pass "
                    "--overwrite to replace it, or choose another output directory with -o.")
            if differing:
                self._clear()
            else:
                manifest = {**manifest, "layers": sorted(set(old.get("layers", [])) | set(manifest["layers"]))}
        else:
            others = [child for child in self.path.iterdir() if child.name != LOCK_NAME]
            if not all(map(_left_by_a_start, others)):
                raise RunDirectoryError(
                    f"'{self.path}' is not empty and is not a neuronmotif run directory (no run.json); choose "
                    "an empty or new directory with -o.")
            for child in others:  # what a run killed while opening this directory left
                child.unlink()
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    def manifest(self) -> dict:
        path = self.path / "run.json"
        if not path.exists():
            raise RunDirectoryError(f"'{self.path}' is not a neuronmotif run directory (no run.json).")
        return json.loads(path.read_text())

    def record(self, key: str, value) -> None:
        """Set one top-level entry of run.json (e.g. the parameters of a later stage)."""
        manifest = self.manifest()
        manifest[key] = value
        atomic_write_text(self.path / "run.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    def _clear(self) -> None:
        for child in self.path.iterdir():
            if child.name.startswith("layer_") or child.name in ("run.json",) or child.name.startswith("motifs."):
                shutil.rmtree(child) if child.is_dir() else child.unlink()

    # -- per-neuron partial results ------------------------------------------------------------------
    def layer_dir(self, layer: int) -> Path:
        return self.path / f"layer_{layer}"

    def _partial(self, layer: int, neuron: int) -> Path:
        return self.layer_dir(layer) / ".partial" / f"neuron_{neuron}.npz"

    def has_neuron(self, layer: int, neuron: int) -> bool:
        return self._partial(layer, neuron).exists()

    def save_neuron(self, layer: int, result: NeuronResult, samples: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Persist one neuron's result (and optionally its sample) atomically."""
        meta = {k: getattr(result, k) for k in ("neuron", "status", "note", "n_sequences", "max_activation",
                                                 "consensus_activation", "motif_nb", "seconds")}
        meta["crms"] = [{"n_sequences": c.n_sequences, "max_activation": c.max_activation,
                         "consensus_activation": c.consensus_activation} for c in result.crms]
        ppms = np.stack([c.ppm for c in result.crms]) if result.crms else np.zeros((0, 4, 0))
        if samples is not None:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, tokens=samples[0].astype(np.uint8), acts=samples[1].astype(np.float32))
            atomic_write_bytes(self.layer_dir(layer) / "samples" / f"neuron_{result.neuron}.npz", buffer.getvalue())
        buffer = io.BytesIO()
        np.savez(buffer, ppms=ppms, meta=np.array(json.dumps(meta)))
        atomic_write_bytes(self._partial(layer, result.neuron), buffer.getvalue())

    def load_neuron(self, layer: int, neuron: int) -> NeuronResult:
        with np.load(self._partial(layer, neuron)) as data:
            meta, ppms = json.loads(str(data["meta"])), data["ppms"]
        crms = [CRM(neuron=neuron, index=i, ppm=ppms[i], **c) for i, c in enumerate(meta.pop("crms"))]
        return NeuronResult(crms=crms, **meta)

    # -- finished layers -----------------------------------------------------------------------------
    def layer_done(self, layer: int) -> bool:
        return (self.layer_dir(layer) / "neurons.tsv").exists()

    def finish_layer(self, layer: int, results: list[NeuronResult]) -> None:
        """Write the layer's final files from its neuron results and drop the partial files."""
        results = sorted(results, key=lambda r: r.neuron)
        crms = [(crm_name(layer, r.neuron, c.index), c) for r in results for c in r.crms]
        d = self.layer_dir(layer)
        atomic_write_text(d / "crms.meme", meme_text([(name, c.ppm, c.n_sequences) for name, c in crms]))
        atomic_write_text(d / "crms.tsv", tsv_text(CRM_COLUMNS, [
            [name, c.neuron, c.index, c.n_sequences, fmt(c.max_activation), fmt(c.consensus_activation),
             fmt(c.ratio), c.consensus] for name, c in crms]))
        atomic_write_text(d / "neurons.tsv", tsv_text(NEURON_COLUMNS, [
            [r.neuron, r.status, r.n_sequences, fmt(r.max_activation), fmt(r.consensus_activation),
             fmt(r.ratio), len(r.crms), f"{r.seconds:.3f}", r.motif_nb, r.note] for r in results]))
        shutil.rmtree(d / ".partial", ignore_errors=True)

    def load_layer(self, layer: int) -> list[NeuronResult]:
        """Results of a finished layer, read back from its final files."""
        d = self.layer_dir(layer)
        ppms = read_meme(d / "crms.meme")
        by_neuron: dict[int, list[CRM]] = {}
        for row in read_tsv(d / "crms.tsv"):
            crm = CRM(neuron=int(row["neuron"]), index=int(row["crm_index"]), ppm=ppms[row["crm"]],
                      n_sequences=int(row["n_sequences"]), max_activation=float(row["max_activation"]),
                      consensus_activation=float(row["consensus_activation"]))
            by_neuron.setdefault(crm.neuron, []).append(crm)
        return [NeuronResult(neuron=int(r["neuron"]), status=r["status"], note=r["note"],
                             n_sequences=int(r["n_sequences"]), max_activation=float(r["max_activation"]),
                             consensus_activation=float(r["consensus_activation"]), motif_nb=int(r["motif_nb"]),
                             seconds=float(r["seconds"]), crms=by_neuron.get(int(r["neuron"]), []))
                for r in read_tsv(d / "neurons.tsv")]


def _describe_difference(old: dict, new: dict, keys: list[str]) -> str:
    parts = []
    for key in keys:
        if key == "parameters":
            a, b = old.get(key) or {}, new.get(key) or {}
            names = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            parts.append("parameters " + ", ".join(f"{n}: {a.get(n)!r} -> {b.get(n)!r}" for n in names[:4]))
        elif key == "model_fingerprint":
            parts.append("model weights differ")
        else:
            parts.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    return "; ".join(parts)


def _left_by_a_start(path: Path) -> bool:
    """Whether ``path`` is a file a run killed while opening its directory may leave beside its lock: its
    write test, or a half-written run.json (an atomic write's temporary file); neither is a user's."""
    name = path.name
    half_written = name.startswith(".run.json.") and name.endswith(".tmp")
    return path.is_file() and (name.startswith(".write-test") or half_written)
