"""Fixtures for the provider tests: a clock we move by hand, a fake key, mocked HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses

# Looks like a key, is not one; long and odd enough that finding it in a text is no accident.
FAKE_KEY = "fake-key-Zq7Xw3Nd9"


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday, mid-session in New York.
    return FakeClock(datetime(2026, 1, 7, 16, 0, tzinfo=UTC))


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
