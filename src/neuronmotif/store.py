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
import errno
import fcntl
import io
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import RunDirectoryError
from .ppm import CRM

NEURON_COLUMNS = ["neuron", "status", "n_sequences", "max_activation", "consensus_activation", "ratio",
                  "n_crms", "seconds", "motif_nb", "note"]
CRM_COLUMNS = ["crm", "neuron", "crm_index", "n_sequences", "max_activation", "consensus_activation", "ratio",
               "consensus"]
#: keys of run.json that must agree for a run directory to be resumed
_IDENTITY_KEYS = ("model_fingerprint", "seed", "parameters")
#: held while a process writes to a run directory; says who holds it
LOCK_NAME = ".neuronmotif.lock"
#: run directories this process has locked, with the lock file's descriptor and a nesting count
_HELD: dict[Path, list[int]] = {}


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
        return self.consensus_activation / self.max_activation if self.max_activation > 0 else 0.0


def crm_name(layer: int, neuron: int, index: int) -> str:
    """'L<l>_N<n>_C<c>', the name of a CRM in every output file."""
    return f"L{layer}_N{neuron}_C{index}"


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _file_mode() -> int:
    """The mode a plain ``open(path, 'w')`` would give: 0o666 less the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    The file gets the mode the user's umask gives new files (``mkstemp`` alone would make it 0600,
    unreadable to a group or a web server).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def meme_text(motifs: list[tuple[str, np.ndarray, int]]) -> str:
    """MEME text format for (name, ppm (4, L), nsites) triples; one row per position, columns ACGT."""
    out = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "", "Background letter frequencies",
           "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    for name, ppm, nsites in motifs:
        out.append(f"MOTIF {name}")
        out.append(f"letter-probability matrix: alength= 4 w= {ppm.shape[1]} nsites= {nsites} E= 0")
        out.extend(" ".join(f"{v:.6f}" for v in column) for column in ppm.T)
        out.append("")
    return "\n".join(out) + "\n"


def read_meme(path: Path) -> dict[str, np.ndarray]:
    """Motifs of a MEME text file as name -> (4, L) PPM, the name being the MOTIF line's first word."""
    from memelite.io import read_meme as memelite_read_meme

    return {key.split()[0]: ppm for key, ppm in memelite_read_meme(str(path)).items()}


def tsv_text(columns: list[str], rows: list[list]) -> str:
    return "\t".join(columns) + "\n" + "".join("\t".join(str(v) for v in row) + "\n" for row in rows)


class RunDirectory:
    """A neuronmotif output directory.

    Parameters
    ----------
    path : str or Path
        The directory (created if missing).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- one writer at a time ------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's write lock: a second process is refused, naming the first.

        The lock is a kernel lock (``flock``) on ``OUT/.neuronmotif.lock``, so a run that was killed
        leaves no stale lock: its file may remain, but the next run takes it over. The file records
        the holder's pid, host, start time and command line for the message. Nested calls in one
        process (``run`` then ``annotate``) share the lock.
        """
        key = self.path.resolve()
        if key in _HELD:
            _HELD[key][1] += 1
            try:
                yield
            finally:
                _HELD[key][1] -= 1
            return
        fd = self._acquire()
        _HELD[key] = [fd, 1]
        try:
            yield
        finally:
            del _HELD[key]
            with contextlib.suppress(OSError):
                (self.path / LOCK_NAME).unlink()
            os.close(fd)

    def _acquire(self) -> int:
        path = self.path / LOCK_NAME
        while True:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, _file_mode())
            except OSError as exc:
                raise RunDirectoryError(
                    f"cannot write to output directory '{self.path}' ({exc.strerror or exc}); choose a writable "
                    "directory (-o), or copy a finished run somewhere writable to re-annotate it.") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise RunDirectoryError(f"cannot lock run directory '{self.path}' ({exc.strerror}).") from exc
                raise RunDirectoryError(
                    f"'{self.path}' is in use by another neuronmotif process ({_holder(path)}); wait for it to "
                    "finish, or write to another directory with -o.") from None
            # the holder before us may have removed the file between our open and our lock: lock the new one
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime(
            "%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)[:300]})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        return fd

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
        elif any(child.name != LOCK_NAME for child in self.path.iterdir()):
            raise RunDirectoryError(
                f"'{self.path}' is not empty and is not a neuronmotif run directory (no run.json); choose an "
                "empty or new directory with -o.")
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
            [name, c.neuron, c.index, c.n_sequences, _fmt(c.max_activation), _fmt(c.consensus_activation),
             _fmt(c.ratio), c.consensus] for name, c in crms]))
        atomic_write_text(d / "neurons.tsv", tsv_text(NEURON_COLUMNS, [
            [r.neuron, r.status, r.n_sequences, _fmt(r.max_activation), _fmt(r.consensus_activation),
             _fmt(r.ratio), len(r.crms), f"{r.seconds:.3f}", r.motif_nb, r.note] for r in results]))
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


def _holder(lock_path: Path) -> str:
    """'pid 123 on host h since 2026-12-01 10:00:00, running neuronmotif run ...' from a lock file."""
    try:
        info = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "unknown process"
    return (f"pid {info.get('pid')} on host {info.get('host')} since {info.get('since')}, running "
            f"'{info.get('command', '?')}'")


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = Path(path).read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]


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
