"""Plain file formats of a run directory, written atomically: MEME text, TSV, bytes.

Every file is written to a temporary name in the same directory and renamed, so an interrupted run never
leaves a half-written file; it gets the mode the user's umask gives new files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def fmt(value: float) -> str:
    """A float as written in TSV files (6 significant digits)."""
    return f"{value:.6g}"


def file_mode() -> int:
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
        os.fchmod(fd, file_mode())
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


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = Path(path).read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line]
