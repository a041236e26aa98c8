"""Market-data settings as a process sees them at start-up (each case a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "settings-test-key-Rk29Xq7"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MARKETDATA_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_provider_that_needs_a_key_refuses_to_start_without_one():
    result = manage("check", MARKETDATA_PROVIDER="finnhub")

    assert result.returncode != 0
    assert (
        "MARKETDATA_PROVIDER=finnhub needs MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE"
        in result.stderr
    )


def test_an_unknown_provider_is_named_with_the_choices():
    result = manage("check", MARKETDATA_PROVIDER="bloomberg")

    assert result.returncode != 0
    assert "MARKETDATA_PROVIDER='bloomberg' is not a provider" in result.stderr
    assert "simulated, finnhub" in result.stderr


def test_a_key_file_is_read_and_the_key_never_printed(tmp_path):
    key_file = tmp_path / "finnhub.key"
    key_file.write_text(f"{KEY}\n")

    check = manage("check", MARKETDATA_PROVIDER="finnhub", MARKETDATA_API_KEY_FILE=str(key_file))
    shown = manage(
        "diffsettings", MARKETDATA_PROVIDER="finnhub", MARKETDATA_API_KEY_FILE=str(key_file)
    )

    assert check.returncode == 0, check.stderr
    assert shown.returncode == 0, shown.stderr
    assert "MARKETDATA_PROVIDER = 'finnhub'" in shown.stdout
    assert "MARKETDATA_API_KEY = Secret('***')" in shown.stdout
    assert KEY not in check.stdout + check.stderr + shown.stdout + shown.stderr


def test_a_missing_key_file_is_an_error_that_names_it(tmp_path):
    missing = tmp_path / "nope.key"

    result = manage("check", MARKETDATA_PROVIDER="finnhub", MARKETDATA_API_KEY_FILE=str(missing))

    assert result.returncode != 0
    assert f"MARKETDATA_API_KEY_FILE={str(missing)!r} cannot be read" in result.stderr


def test_the_simulator_needs_no_key():
    result = manage("check")

    assert result.returncode == 0, result.stderr
