"""After a failed connection attempt, a process waits before trying the database again, and
fails at once meanwhile: requests queued behind one thread do not each wait out a timeout."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection

from core.postgres import base

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db,
]


@pytest.fixture
def unreachable(settings):
    """A second connection to a port where nothing listens, with a 30 s pause."""
    settings.DATABASE_RETRY_SECONDS = 30
    wrapper = base.DatabaseWrapper({**connection.settings_dict, "PORT": "1"}, alias="unreachable")
    base.reset_pause()
    yield wrapper
    base.reset_pause()


def test_the_first_attempt_fails_and_the_next_fails_at_once_without_trying(unreachable):
    with pytest.raises(OperationalError) as first:
        unreachable.ensure_connection()
    assert "moments ago" not in str(first.value)

    start = time.monotonic()
    with pytest.raises(OperationalError) as second:
        unreachable.ensure_connection()

    assert "could not be reached moments ago" in str(second.value)
    assert time.monotonic() - start < 0.1


def test_after_the_pause_it_tries_again(unreachable, settings):
    settings.DATABASE_RETRY_SECONDS = 0.2
    with pytest.raises(OperationalError):
        unreachable.ensure_connection()
    time.sleep(0.25)

    with pytest.raises(OperationalError) as again:
        unreachable.ensure_connection()

    assert "moments ago" not in str(again.value)  # a real attempt, refused by the port
