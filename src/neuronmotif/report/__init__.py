"""Stage 7: ``OUT/report.html``, one self-contained page per run directory (finished or partial).

>>> from neuronmotif.report import write_report
>>> write_report("demo_out")          # doctest: +SKIP
PosixPath('demo_out/report.html')
"""

from __future__ import annotations

from pathlib import Path

from ..store import atomic_write_text
from .collect import collect
from .page import page_html

REPORT_NAME = "report.html"


def write_report(path: str | Path) -> Path:
    """Write ``report.html`` into a run directory from its files; returns the report's path.

    Parameters
    ----------
    path : str or Path
        A run directory (``OUT`` of ``neuronmotif run``); a partial one shows what is finished.

    Raises
    ------
    RunDirectoryError
        When ``path`` has no ``run.json``.
    """
    out = Path(path) / REPORT_NAME
    atomic_write_text(out, page_html(collect(path)))
    return out


__all__ = ["REPORT_NAME", "collect", "page_html", "write_report"]
