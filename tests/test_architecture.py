"""The shape of the package (issue 13): imports point one way, modules stay small, privates stay home.

These walk the source with :mod:`ast`, counting imports inside functions too: a lazy import
that dodges a cycle at import time is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zoning"

#: The numba kernel is one algorithm whose kernels share private state; it may be longer.
LONG_MODULES_ALLOWED = {"zoning.polyarea"}
MAX_LINES = 620


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_assets" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """Return (module imported from, name imported) for every ``zoning`` import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            if module.split(".")[0] == "zoning":
                found.extend((module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(
                (alias.name, "") for alias in node.names if alias.name.split(".")[0] == "zoning"
            )
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, imported in _imports(name, path):
            target = f"{module}.{imported}" if f"{module}.{imported}" in MODULES else module
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walker_finds_a_cycle_it_is_shown():
    """The cycle finder is not vacuous: a hand-made loop of three is found, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_inside_zoning():
    """Imports between modules of ``zoning`` form no cycle (counting imports in functions).

    A module importing from its own package's ``__init__`` while that ``__init__`` re-exports the
    module would be a cycle too: modules of a package import each other by their full names.
    """
    assert _cycles(_graph()) == []


def test_no_module_is_too_long():
    """One job per module: none over ~600 lines except the numba kernel."""
    long = {
        name: n
        for name, path in MODULES.items()
        if name not in LONG_MODULES_ALLOWED
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_private_name_is_imported_from_another_module():
    """``from zoning.x import _y`` in another module means ``_y`` is not private: name it."""
    leaks = []
    for name, path in MODULES.items():
        for module, imported in _imports(name, path):
            if imported.startswith("_") and not imported.startswith("__") and module != name:
                leaks.append(f"{name}: from {module} import {imported}")
    assert leaks == []


@pytest.mark.parametrize(
    "name", ["zoning.screening", "zoning.stats", "zoning.io", "zoning.run", "zoning.spec"]
)
def test_the_redesigned_packages_exist(name):
    """The packages of the redesign are packages (a folder with modules), not single files."""
    assert MODULES[name].name == "__init__.py"
