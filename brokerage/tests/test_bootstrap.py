"""bootstrap.py's installer: uv where it can be had, pip where it cannot or fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import bootstrap


class Runs:
    """subprocess.run as bootstrap calls it: records each command, answers as told."""

    def __init__(self, bin_dir: Path, *, uv_installs: bool, uv_works: bool = True) -> None:
        self.bin_dir = bin_dir
        self.uv_installs = uv_installs
        self.uv_works = uv_works
        self.commands: list[list[str]] = []

    def __call__(self, command, **kwargs) -> subprocess.CompletedProcess:
        self.commands.append([str(part) for part in command])
        code = 0
        if "requirements-bootstrap.txt" in " ".join(self.commands[-1]):
            if self.uv_installs:
                (self.bin_dir / "uv").touch()
            else:
                code = 1  # no wheel of uv here, or PyPI out of reach
        elif command[0] == str(self.bin_dir / "uv") and not self.uv_works:
            code = 2
        return subprocess.CompletedProcess(command, code)

    def installers(self) -> list[str]:
        """Which tool installed the requirements, in order ("uv" or "pip")."""
        return [
            "uv" if c[0].endswith("/uv") else "pip"
            for c in self.commands
            if "requirements.txt" in " ".join(c)
        ]


@pytest.fixture
def venv_bin(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setattr(bootstrap, "BIN", bin_dir)
    monkeypatch.delenv("BROKERAGE_INSTALLER", raising=False)
    return bin_dir


def test_uv_installs_the_requirements_once_pip_has_installed_uv(venv_bin, monkeypatch):
    runs = Runs(venv_bin, uv_installs=True)
    monkeypatch.setattr(bootstrap.subprocess, "run", runs)

    bootstrap._install(["-r", "requirements.txt"])

    assert runs.installers() == ["uv"]
    assert "--python" in runs.commands[-1]  # into the virtualenv, not uv's own environment


def test_pip_installs_the_requirements_where_uv_cannot_be_had(venv_bin, monkeypatch):
    runs = Runs(venv_bin, uv_installs=False)
    monkeypatch.setattr(bootstrap.subprocess, "run", runs)

    bootstrap._install(["-r", "requirements.txt"])

    assert runs.installers() == ["pip"]


def test_pip_takes_over_when_uv_fails(venv_bin, monkeypatch):
    runs = Runs(venv_bin, uv_installs=True, uv_works=False)
    monkeypatch.setattr(bootstrap.subprocess, "run", runs)

    bootstrap._install(["-r", "requirements.txt"])

    assert runs.installers() == ["uv", "pip"]


def test_brokerage_installer_pip_never_asks_for_uv(venv_bin, monkeypatch):
    monkeypatch.setenv("BROKERAGE_INSTALLER", "pip")
    runs = Runs(venv_bin, uv_installs=True)
    monkeypatch.setattr(bootstrap.subprocess, "run", runs)

    bootstrap._install(["-r", "requirements.txt"])

    assert runs.installers() == ["pip"]
    assert not any("requirements-bootstrap.txt" in " ".join(c) for c in runs.commands)


def test_uv_is_given_pips_index_and_wheel_folders_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels /srv/wheels")
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    monkeypatch.delenv("UV_FIND_LINKS", raising=False)

    env = bootstrap._uv_environment()

    assert env["UV_DEFAULT_INDEX"] == "https://mirror.example/simple"
    assert env["UV_FIND_LINKS"] == "/opt/wheels,/srv/wheels"
