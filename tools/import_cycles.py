"""Fail on any import circle inside the house, including circles inside one app.

import-linter's layer contracts see only the edges between the packages they name; a circle
between two modules of the same app (a service importing the broadcaster that, inside a
function, imports the service back) passes them. This script builds the whole import graph with
grimp (import-linter's own graph builder, so it counts the same imports: top-level and
function-level ones alike) and reports every strongly connected set of modules, with the lines
that close it.

    .venv/bin/python tools/import_cycles.py          # exit 1 and a report when a circle exists

`TYPE_CHECKING`-only imports are left out: they never run, so they cannot make a circle at
import time, and annotations are where a module may name a type from a module that uses it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PACKAGES = (
    "brokerage",
    "core",
    "accounts",
    "marketdata",
    "trading",
    "alpaca_adapter",
    "streams",
    "client",
)


def _present(names: Iterable[str]) -> list[str]:
    root = Path(__file__).resolve().parent.parent
    return [name for name in names if (root / name / "__init__.py").exists()]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion: the sets of two or more modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return found


def _runtime_edges(built: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {module: set() for module in built.modules}
    for importer in built.modules:
        for imported in built.find_modules_directly_imported_by(importer):
            details = built.get_import_details(importer=importer, imported=imported)
            if details and all(_type_checking_only(importer, d["line_number"]) for d in details):
                continue
            edges[importer].add(imported)
    return edges


_SOURCES: dict[str, list[str]] = {}


def _type_checking_only(module: str, line_number: int) -> bool:
    """Whether the import on that line sits under `if TYPE_CHECKING:` (the house's only form)."""
    if module not in _SOURCES:
        # Found beside the top-level package, without importing anything below it.
        top, *rest = module.split(".")
        spec = importlib.util.find_spec(top)
        assert spec is not None and spec.submodule_search_locations, module
        path = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest)
        file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        _SOURCES[module] = file.read_text().splitlines()
    lines = _SOURCES[module]
    indent = len(lines[line_number - 1]) - len(lines[line_number - 1].lstrip())
    if indent == 0:
        return False
    for previous in reversed(lines[: line_number - 1]):
        stripped = previous.strip()
        if not stripped:
            continue
        if len(previous) - len(previous.lstrip()) < indent:
            return stripped.startswith("if TYPE_CHECKING")
    return False


def circles_in(*packages: str) -> tuple[grimp.ImportGraph, list[list[str]]]:
    built = grimp.build_graph(*packages, include_external_packages=False)
    return built, strongly_connected(_runtime_edges(built))


def main() -> int:
    built, circles = circles_in(*_present(PACKAGES))
    if not circles:
        print(f"import circles: none among {len(built.modules)} modules")
        return 0
    for members in circles:
        print(f"import circle among {len(members)} modules:")
        inside = set(members)
        for importer in members:
            for imported in sorted(built.find_modules_directly_imported_by(importer) & inside):
                for detail in built.get_import_details(importer=importer, imported=imported):
                    print(
                        f"  {importer}:{detail['line_number']} -> {imported}  ({detail['line_contents']})"
                    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
