#!/usr/bin/env python3
"""Set up the virtualenv and run the site or the tests, with nothing but Python 3.11+.

    python3 bootstrap.py run      # what `make run` does
    python3 bootstrap.py test     # what `make test` does (extra arguments go to pytest)

The virtualenv lives in .venv and is (re)installed when a requirements file changes. The
packages go in with uv (pinned in requirements-bootstrap.txt, installed from PyPI into the
virtualenv once, by this Python's own pip), which installs them several times faster than
pip; where uv cannot be had or fails, the virtualenv's pip does it all.
BROKERAGE_INSTALLER=pip chooses pip.
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


PIP_INSTALL = ["install", "--disable-pip-version-check", "-q"]


def _ensure_venv(requirements: str) -> None:
    if not (BIN / "python").exists():
        print(f"creating a virtualenv in {VENV}", flush=True)
        # Without pip: ensurepip takes seconds, and pip is only needed where uv is not.
        venv.EnvBuilder(with_pip=False).create(VENV)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{Path(requirements).stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing {requirements}", flush=True)
    _install(["-r", str(ROOT / requirements)])
    stamp.write_text(digest)


def _install(args: list[str]) -> None:
    """`pip install args` into the virtualenv: by uv when it can be had, else by pip."""
    uv = _uv()
    if uv is not None:
        command = [uv, "pip", "install", "--quiet", "--python", str(BIN / "python"), *args]
        if subprocess.run(command, env=_uv_environment()).returncode == 0:
            return
        print("uv could not install them; pip will", flush=True)
    subprocess.run([*_venv_pip(), *PIP_INSTALL, *args], check=True)


def _venv_pip() -> list[str]:
    """The virtualenv's pip, put there by ensurepip the first time it is needed."""
    pip = [str(BIN / "python"), "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        ensurepip = [str(BIN / "python"), "-m", "ensurepip", "--default-pip"]
        subprocess.run(ensurepip, stdout=subprocess.DEVNULL, check=True)
    return pip


def _uv() -> str | None:
    """The virtualenv's uv (installed by pip from requirements-bootstrap.txt), or None."""
    if os.environ.get("BROKERAGE_INSTALLER", "uv").strip().lower() == "pip":
        return None
    uv = BIN / "uv"
    if not uv.exists():
        pinned = [*PIP_INSTALL, "-r", str(ROOT / "requirements-bootstrap.txt")]
        # This Python's own pip installs into the virtualenv (pip 22.3+'s --python); where it
        # has none, or an older one, the virtualenv's pip does.
        here = [sys.executable, "-m", "pip", "--python", str(BIN / "python"), *pinned]
        quiet = subprocess.DEVNULL
        if subprocess.run(here, stdout=quiet, stderr=quiet).returncode != 0:
            subprocess.run([*_venv_pip(), *pinned], stdout=quiet, stderr=quiet)
    return str(uv) if uv.exists() else None  # None: no uv for this platform, or no PyPI


def _uv_environment() -> dict[str, str]:
    """The environment for uv, with pip's index settings given in uv's names.

    uv reads no pip configuration: a machine that points pip at a mirror or a folder of
    wheels through the environment keeps them.
    """
    env = {**os.environ}
    for pip_name, uv_name, separator in (
        ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", " "),
        ("PIP_EXTRA_INDEX_URL", "UV_INDEX", " "),
        ("PIP_FIND_LINKS", "UV_FIND_LINKS", ","),
    ):
        values = env.get(pip_name, "").split()  # pip separates a list's values by spaces
        if values and uv_name not in env:
            env[uv_name] = separator.join(values)
    return env


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
    _install(["--no-deps", "-e", str(ROOT)])
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
