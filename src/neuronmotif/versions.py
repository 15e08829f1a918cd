"""Versions of Python, neuronmotif and the libraries that shape its results (recorded in every output)."""

from __future__ import annotations

import platform
from importlib import metadata

#: the distributions whose versions are recorded
RECORDED = ("neuronmotif", "torch", "numpy", "scikit-learn", "memelite", "pyjaspar")


def versions() -> dict[str, str]:
    """Python's version and that of each :data:`RECORDED` distribution ('not installed' when absent)."""
    out = {"python": platform.python_version()}
    for name in RECORDED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
