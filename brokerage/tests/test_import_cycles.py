"""The circle check CI runs (`tools/import_cycles.py`): it finds circles inside one package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "tools" / "import_cycles.py")
assert spec is not None and spec.loader is not None
import_cycles = importlib.util.module_from_spec(spec)
spec.loader.exec_module(import_cycles)


def _package(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, text in files.items():
        (root / name / f"{module}.py").write_text(text)


def test_a_circle_closed_inside_a_function_is_found(tmp_path, monkeypatch):
    # The shape the house had: service -> events -> broadcast -> (in a function) service.
    _package(
        tmp_path,
        "circlepkg",
        {
            "service": "from circlepkg import events\n",
            "events": "from circlepkg import broadcast\n",
            "broadcast": "def f():\n    from circlepkg.service import g\n    return g\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _, circles = import_cycles.circles_in("circlepkg")
    assert circles == [["circlepkg.broadcast", "circlepkg.events", "circlepkg.service"]]


def test_imports_under_type_checking_make_no_circle(tmp_path, monkeypatch):
    _package(
        tmp_path,
        "typedpkg",
        {
            "a": "from typedpkg import b\n",
            "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typedpkg.a import X\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _, circles = import_cycles.circles_in("typedpkg")
    assert circles == []


def test_strongly_connected_sets_only_of_two_or_more():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d", "a"}, "e": set()}
    assert import_cycles.strongly_connected(graph) == [["a", "b", "c"]]


def test_the_house_has_no_import_circle():
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "import_cycles.py")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "import circles: none" in run.stdout
