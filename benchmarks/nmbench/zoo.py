"""The ground-truth benchmark's model zoo: planted grammar sets x architectures, trained once and cached.

* :func:`bd10_like` - a 10-conv-layer network shaped like the paper's BD-10 (pool 2 after every 2nd conv);
* :data:`ZOO` - the models (architecture x planted grammar set), trained once by :func:`cached_model` and
  cached under :func:`cache_dir`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from neuronmotif.datasets.models import BassetLike, train
from neuronmotif.datasets.simulate import CPG_DEPLETED, DATA_VERSION, Grammar, SimulatedData, simulate
from neuronmotif.errors import NeuronMotifError
from neuronmotif.store import atomic_write_bytes, atomic_write_text


# -- the benchmark's model zoo: planted grammar sets x architectures, trained once and cached --------------------
def bd10_like(n_tasks: int = 1, channels=(128, 128, 160, 160, 256, 256, 384, 384, 512, 512)) -> BassetLike:
    """A BD-10-shaped model: kernel 7 then 3s, pool 2 after every second conv, BatchNorm everywhere."""
    kernels = (7,) + (3,) * (len(channels) - 1)
    pools = tuple(2 if i % 2 == 1 and i < len(channels) - 1 else 1 for i in range(len(channels)))
    return BassetLike(n_tasks, channels, kernels, pools)


@dataclass(frozen=True)
class GrammarSet:
    """Planted grammar tasks and the background they sit in.

    Attributes
    ----------
    name : str
    grammars : tuple of Grammar
    gc : float
    dinucleotide : tuple or None
        (4, 4) first-order background as nested tuples (see :data:`neuronmotif.datasets.simulate.CPG_DEPLETED`).
    """

    name: str
    grammars: tuple[Grammar, ...]
    gc: float = 0.5
    dinucleotide: tuple | None = None


GRAMMAR_SETS = {
    # the demo's: a single motif, and a hard ordered heterotypic pair on one strand, uniform background
    "A": GrammarSet("A", (Grammar("CEBPB", ["MA0466.4"]),
                          Grammar("ESRRB-3bp-KLF1", ["MA0141.4", "MA0493.3"], [(3, 3)]))),
    # both strands, a CpG-depleted background, a long motif, a flexible homotypic pair and the Sox-Oct pair
    "B": GrammarSet("B", (Grammar("CTCF", ["MA0139.2"], strands="+-"),
                          Grammar("FOXA2-2to6bp-FOXA2", ["MA0047.4", "MA0047.4"], [(2, 6)], strands="+-"),
                          Grammar("SOX2-1bp-POU5F1", ["MA0143.5", "MA1115.2"], [(1, 1)], strands="+-")),
                    dinucleotide=tuple(map(tuple, CPG_DEPLETED))),
    # held out (session 18: first run after the rule stage was built, no code tuned on it before): four TFs
    # none of A or B uses; a weak matrix alone (GATA1), a hard pair, a flexible tandem, a palindrome's pair
    "C": GrammarSet("C", (Grammar("GATA1", ["MA0035.5"], strands="+-"),
                          Grammar("TEAD1-5bp-RUNX1", ["MA0090.4", "MA0002.3"], [(5, 5)]),
                          Grammar("ELK1-3to7bp-ELK1", ["MA0028.3", "MA0028.3"], [(3, 7)], strands="+-"),
                          Grammar("NFKB1-6bp-IRF1", ["MA0105.4", "MA0050.4"], [(6, 6)]))),
    # held out (session 19, first run before any code change that session): a long motif alone (REST, 20 bp), a
    # flexible ordered heterotypic pair, a hard pair on both strands, a palindrome's hard pair
    "D": GrammarSet("D", (Grammar("REST", ["MA0138.3"], strands="+-"),
                          Grammar("MEF2C-4to10bp-MYOD1", ["MA0497.2", "MA0499.3"], [(4, 10)]),
                          Grammar("NFYA-10bp-SP1", ["MA0060.4", "MA0079.5"], [(10, 10)], strands="+-"),
                          Grammar("USF1-2bp-HNF4A", ["MA0093.4", "MA0114.5"], [(2, 2)]))),
    # held out (session 21, first run before any code change that session): a long near-palindrome alone (TP53,
    # 18 bp), a long motif's hard pair on both strands, a flexible pair ending in a 7-bp motif, a hard tandem
    "E": GrammarSet("E", (Grammar("TP53", ["MA0106.3"], strands="+-"),
                          Grammar("SRF-3bp-ETS1", ["MA0083.3", "MA0098.4"], [(3, 3)], strands="+-"),
                          Grammar("TCF7L2-5to12bp-NR2F2", ["MA0523.2", "MA1111.2"], [(5, 12)]),
                          Grammar("YY1-6bp-YY1", ["MA0095.4", "MA0095.4"], [(6, 6)]))),
    # held out (session 23, first run before any code change that session): a three-motif chain with two hard
    # gaps (STAT3 a palindrome), a zinc finger alone on both strands, a flexible pair on both strands
    "F": GrammarSet("F", (Grammar("EGR1", ["MA0162.5"], strands="+-"),
                          Grammar("STAT3-3bp-GFI1-5bp-HNF1A", ["MA0144.3", "MA0038.3", "MA0046.3"], [(3, 3), (5, 5)]),
                          Grammar("SPI1-2to6bp-CDX2", ["MA0080.7", "MA0465.3"], [(2, 6)], strands="+-"))),
}


@dataclass(frozen=True)
class ZooEntry:
    """One benchmark model: an architecture trained on a grammar set.

    Attributes
    ----------
    name : str
    architecture : str
        'basset' (3 conv layers, pools 3 and 4) or 'bd10' (8 conv layers, pool 2 after every second).
    grammar_set : str
        Key of :data:`GRAMMAR_SETS`.
    channels : int
        Channels of every conv layer.
    length : int
        Sequence length (bp).
    n_per_task : int
        Positives (and hard negatives) per task.
    epochs : int
    seed : int
    """

    name: str
    architecture: str
    grammar_set: str
    channels: int = 16
    length: int = 150
    n_per_task: int = 4000
    epochs: int = 8
    seed: int = 0

    def data(self) -> SimulatedData:
        """The simulated data set (deterministic in the seed)."""
        gs = GRAMMAR_SETS[self.grammar_set]
        transitions = None if gs.dinucleotide is None else np.array(gs.dinucleotide)
        return simulate(list(gs.grammars), self.n_per_task, self.length, seed=self.seed, gc=gs.gc,
                        dinucleotide=transitions)

    def build(self) -> BassetLike:
        """An untrained model of this architecture."""
        n_tasks = len(GRAMMAR_SETS[self.grammar_set].grammars)
        torch.manual_seed(self.seed)
        if self.architecture == "basset":
            return BassetLike(n_tasks, (self.channels,) * 3, (9, 5, 5), (3, 4, 1))
        if self.architecture == "bd10":
            return bd10_like(n_tasks, (self.channels,) * 8)
        raise NeuronMotifError(f"zoo entry {self.name!r}: unknown architecture {self.architecture!r} "
                               "(use 'basset' or 'bd10').")

    def key(self) -> str:
        """Cache key: changes whenever anything that shapes the trained weights changes."""
        text = json.dumps([asdict(self), asdict(GRAMMAR_SETS[self.grammar_set]), torch.__version__, DATA_VERSION],
                          default=str)
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


ZOO = {e.name: e for e in (ZooEntry("basset-A", "basset", "A"), ZooEntry("bd10-B", "bd10", "B"),
                           ZooEntry("basset-B", "basset", "B"), ZooEntry("bd10-A", "bd10", "A"),
                           ZooEntry("basset-C", "basset", "C"), ZooEntry("bd10-C", "bd10", "C"),
                           ZooEntry("basset-D", "basset", "D"), ZooEntry("bd10-D", "bd10", "D"),
                           ZooEntry("basset-E", "basset", "E"), ZooEntry("bd10-E", "bd10", "E"),
                           ZooEntry("basset-F", "basset", "F"), ZooEntry("bd10-F", "bd10", "F"))}


def cache_dir() -> Path:
    """Where trained zoo models live: ``$NEURONMOTIF_CACHE`` or ``~/.cache/neuronmotif`` (never in the repo)."""
    return Path(os.environ.get("NEURONMOTIF_CACHE", Path.home() / ".cache" / "neuronmotif")) / "zoo"


def cached_model(entry: ZooEntry, root: Path | None = None) -> tuple[BassetLike, dict]:
    """The trained model of a zoo entry, from the cache or trained now and cached.

    Returns
    -------
    (model in eval mode, metadata) ; metadata holds the validation AUROC of each task, the training
    time (s), the entry and the versions.
    """
    folder = (root or cache_dir()) / entry.key()
    model = entry.build()
    weights, meta_file = folder / "model.pt", folder / "meta.json"
    if weights.exists() and meta_file.exists():
        model.load_state_dict(torch.load(weights, map_location="cpu"))
        return model.eval(), json.loads(meta_file.read_text())
    data = entry.data()
    start = time.perf_counter()
    aurocs = train(model, data.tokens, data.labels, epochs=entry.epochs, seed=entry.seed)
    meta = {"entry": asdict(entry), "grammars": [g.name for g in data.grammars], "valid_auroc": aurocs,
            "train_seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__}
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    atomic_write_bytes(weights, buffer.getvalue())
    atomic_write_text(meta_file, json.dumps(meta, indent=2))
    return model.eval(), meta
