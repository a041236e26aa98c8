"""Fixtures for the market-data tests: a clean slate in Redis and a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from marketdata.redis_state import redis_client


class Clock:
    """A clock that only moves when a test says so (for providers and the pull alike)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fast_password_hashing(settings):
    """Personas sign up with a password; the production hash is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pull_state() -> Iterator[None]:
    """No lock, budget, cursor or prune mark left over from another test, before or after."""

    def wipe() -> None:
        client = redis_client()
        keys = list(client.scan_iter("marketdata:pull:*"))
        if keys:
            client.delete(*keys)

    wipe()
    yield
    wipe()


@pytest.fixture
def clock() -> Clock:
    # A Wednesday, mid-session in New York.
    return Clock(datetime(2026, 1, 7, 16, 0, tzinfo=UTC))
