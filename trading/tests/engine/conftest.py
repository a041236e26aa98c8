"""The engine tests need no Django: they must also run with `-p no:django`."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing() -> None:
    """Shadow trading/tests' autouse fixture of this name: it needs pytest-django's `settings`,
    and nothing here signs anyone up."""
