"""The settings as a process sees them at start-up (each case runs in a fresh interpreter)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p7Wq!v2#Lr9zT4xN8mK1sB6yH3cF5gJ0dA-eU_iO%oR&tY*wQ@nX$lZ^kV(pM)jS",
    "DJANGO_ALLOWED_HOSTS": "brokerage.example",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_malformed_boolean_stops_the_process():
    result = _manage("check", DJANGO_DEBUG="ture")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='ture' is not a boolean" in result.stderr


def test_check_deploy_passes_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def _without_services(tmp_path: Path) -> dict[str, str]:
    """The environment of a fresh checkout: no REDIS_URL, no DATABASE_URL, no var/ yet."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MARKETDATA_")) and k not in ("REDIS_URL", "DATABASE_URL")
    }
    return {**clean, "DJANGO_DEBUG": "true", "BROKERAGE_VAR_DIR": str(tmp_path / "var")}


def test_importing_the_settings_starts_nothing_creates_nothing_and_builds_no_provider(tmp_path):
    code = (
        "import os, sys, brokerage.settings as s; "
        "print(s.REDIS_URL); print(os.environ.get('REDIS_URL')); "
        "print(sorted(m for m in sys.modules "
        "if m == 'brokerage.embedded_redis' or m.startswith('marketdata')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_without_services(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["redis://127.0.0.1:6379/0", "None", "[]"]
    assert not (tmp_path / "var").exists()


def test_django_checks_pass_without_redis_or_a_var_folder(tmp_path):
    env = _without_services(tmp_path)
    for args in (["check"], ["makemigrations", "--check", "--dry-run"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_migrate_creates_the_folder_of_the_sqlite_database(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--plan"],
        cwd=ROOT,
        env=_without_services(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "var" / "db.sqlite3").is_file()


def test_the_suite_runs_the_test_settings_with_the_fast_hasher(settings):
    # pytest-django lets an environment variable win over the pyproject key; `--ds` in addopts
    # keeps `brokerage.celery`'s default from quietly bringing back the slow hasher.
    assert settings.SETTINGS_MODULE == "brokerage.settings_test"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
