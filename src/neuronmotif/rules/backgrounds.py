"""Backgrounds from a user's sequences: the dinucleotide statistics of a FASTA file.

Rules are measured on random backgrounds. Uniform bases are the default; given sequences
(``--positives FILE.fa``), the backgrounds follow their first-order (dinucleotide) statistics, the
usual control of a dinucleotide shuffle, drawn fresh for every experiment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import NeuronMotifError

BASES = {"A": 0, "C": 1, "G": 2, "T": 3}


def read_fasta(path: str | Path) -> list[str]:
    """The sequences of a FASTA file, upper case (no parsing beyond '>' headers and sequence lines)."""
    path = Path(path)
    if not path.is_file():
        raise NeuronMotifError(f"positives file '{path}' does not exist; give a FASTA file of sequences.")
    sequences: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith(">"):
            sequences.append("")
        elif line:
            if not sequences:
                raise NeuronMotifError(f"'{path}' is not FASTA: its first sequence line has no '>' header before it.")
            sequences[-1] += line.upper()
    sequences = [s for s in sequences if s]
    if not sequences:
        raise NeuronMotifError(f"'{path}' holds no sequence; give a FASTA file ('>name' lines, then bases).")
    return sequences


def dinucleotide_background(path: str | Path, pseudo: float = 1.0) -> tuple[tuple[float, ...], ...]:
    """The (4, 4) first-order transition matrix (row: base, column: next base; A, C, G, T) of a FASTA
    file's sequences, counting only adjacent pairs of A, C, G and T (N and other letters break pairs)."""
    counts = np.full((4, 4), pseudo)
    n_pairs = 0
    for seq in read_fasta(path):
        codes = np.array([BASES.get(b, -1) for b in seq])
        ok = (codes[:-1] >= 0) & (codes[1:] >= 0)
        np.add.at(counts, (codes[:-1][ok], codes[1:][ok]), 1)
        n_pairs += int(ok.sum())
    if n_pairs == 0:
        raise NeuronMotifError(f"'{path}' has no two adjacent A, C, G or T bases to estimate a background from.")
    t = counts / counts.sum(axis=1, keepdims=True)
    return tuple(tuple(float(round(x, 6)) for x in row) for row in t)
