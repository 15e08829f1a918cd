"""The package's shape: imports point one way, modules stay small, and the library loads no CLI code."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "neuronmotif"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The neuronmotif modules a file imports, at any depth of the file (function-level imports too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c.split(".")[0] == "neuronmotif" and c in MODULES)
    return found - {name}


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_the_package_has_no_import_cycle():
    graph = {name: _imports(path) for name, path in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_walker_sees_imports_inside_functions():
    """The cycle test would be blind without this: the CLI imports its stages inside its commands."""
    assert {"neuronmotif.pipeline", "neuronmotif.model.loading"} <= _imports(MODULES["neuronmotif.cli"])


def test_every_module_is_under_400_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) >= 400}
    assert not long, long


def test_import_neuronmotif_loads_no_cli_benchmark_or_heavy_optional_code():
    code = ("import sys, neuronmotif; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'rich', 'click', 'nmbench', 'tangermeme', 'modiscolite', 'sklearn', 'pyjaspar', 'distributed', "
            "'playwright'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_the_curated_api_is_importable():
    import neuronmotif

    for name in neuronmotif.__all__:
        assert getattr(neuronmotif, name) is not None, name
