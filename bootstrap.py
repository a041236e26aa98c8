#!/usr/bin/env python3
"""Set up the virtualenv and run the site or the tests, with nothing but Python 3.11+.

    python3 bootstrap.py run      # what `make run` does
    python3 bootstrap.py test     # what `make test` does (extra arguments go to pytest)

The virtualenv lives in .venv and is (re)installed when a requirements file changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
BIN = VENV / "bin"


def _ensure_venv(requirements: str) -> None:
    if not (BIN / "python").exists():
        print(f"creating a virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{Path(requirements).stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing {requirements}", flush=True)
    subprocess.run(
        [
            str(BIN / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
            str(ROOT / requirements),
        ],
        check=True,
    )
    stamp.write_text(digest)


def _ensure_client() -> None:
    """Install the terminal client (`client/`, the `brokerage` command) into the virtualenv.

    Editable and without dependencies (the requirements files carry them), so it is one quick
    step, repeated only when pyproject.toml changes or the command is missing.
    """
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".installed-client"
    if (BIN / "brokerage").exists() and stamp.exists() and stamp.read_text() == digest:
        return
    print("installing the brokerage command", flush=True)
    subprocess.run(
        [
            str(BIN / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "--no-deps",
            "-e",
            str(ROOT),
        ],
        check=True,
    )
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - a newcomer's python3 may be older
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    if not argv or argv[0] not in {"run", "test", "install"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "run":
        _ensure_venv("requirements.txt")
        _ensure_client()
        env = {**os.environ}
        env.setdefault("DJANGO_DEBUG", "true")
        env.setdefault("AUCTION_DEMO_LOTS", "8")  # the demo's rolling house auctions
        env.setdefault("DEMO_MARKET_MAKER", "true")  # the demo maker re-quotes on the clock
        args = [str(BIN / "python"), "manage.py", "runstack", *rest]
        try:
            return subprocess.call(args, env=env)
        except KeyboardInterrupt:
            return 130
    _ensure_venv("requirements-dev.txt")
    _ensure_client()
    if command == "install":
        return 0
    # The front end's pure JavaScript has its own tests (Node's runner); CI always has Node.
    if shutil.which("node"):
        code = subprocess.call(["node", "--test", "static/src/"], stdout=subprocess.DEVNULL)
        if code:
            subprocess.call(["node", "--test", "static/src/"])
            return code
        print("JavaScript unit tests (node --test static/src/): passed")
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
