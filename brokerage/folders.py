"""The folders the settings point at, created by the commands that write there, not on import."""

from __future__ import annotations

from pathlib import Path


def make_var_dirs() -> None:
    """Create VAR_DIR, STATIC_ROOT and the SQLite database's folder (and its test database's)."""
    from django.conf import settings

    folders = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            for name in (database.get("NAME"), database.get("TEST", {}).get("NAME")):
                if name and str(name) != ":memory:" and not str(name).startswith("file:"):
                    folders.append(Path(name).parent)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
