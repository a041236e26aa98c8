"""The client talks to the server only over the wire: it imports none of the server's code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[1]
SERVER_PACKAGES = {
    "accounts",
    "trading",
    "marketdata",
    "brokerage",
    "django",
    "rest_framework",
    "channels",
}


def test_the_client_source_imports_nothing_of_the_server():
    found = []
    for path in sorted(CLIENT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((path.name, node.module or ""))
    assert ("api.py", "requests") in found, "the scan found no imports"
    assert [(f, m) for f, m in found if m.split(".")[0] in SERVER_PACKAGES] == []


def test_importing_every_command_loads_no_django():
    code = (
        "import sys, client.cli, client.tui, client.watch; "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_PACKAGES!r}); "
        "assert not bad, bad"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
