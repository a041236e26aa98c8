"""The engine is standard-library Python: no Django, no third-party imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
REPO = ENGINE.parents[1]


def test_importing_the_engine_loads_no_django() -> None:
    code = (
        "import sys, trading.engine; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); "
        "assert not bad, bad"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_engine_source_imports_only_the_standard_library_and_itself() -> None:
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((path.name, node.module or ""))
    assert found, "the scan found no imports at all"
    outside = [
        (name, module)
        for name, module in found
        if module.split(".")[0] not in sys.stdlib_module_names
        and module.split(".")[0] != "__future__"
        and not (module == "trading.engine" or module.startswith("trading.engine."))
    ]
    assert outside == []
