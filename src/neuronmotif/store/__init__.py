"""The run directory (:mod:`.rundir`), its lock (:mod:`.lock`) and its file formats (:mod:`.formats`)."""

from .formats import atomic_write_bytes, atomic_write_text, meme_text, read_meme, read_tsv, tsv_text
from .lock import LOCK_NAME, directory_lock
from .rundir import CRM_COLUMNS, NEURON_COLUMNS, NeuronResult, RunDirectory

__all__ = ["CRM_COLUMNS", "LOCK_NAME", "NEURON_COLUMNS", "NeuronResult", "RunDirectory", "atomic_write_bytes",
           "atomic_write_text", "directory_lock", "meme_text", "read_meme", "read_tsv", "tsv_text"]
