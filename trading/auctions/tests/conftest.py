"""Auction test helpers: a clock the tests move, and a house lot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trading.auctions.services.create import auction_create
from trading.tests.factories import make_stock


class Clock:
    """The server's clock, standing still until a test moves it."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas sign up with a password; the production hash costs ~0.3 s a user here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_collar(settings):
    """These tests bid far over ACME's 100.00 to test other rules; the collar has its own
    tests (test_refusals_and_sweep.py), which turn it back on."""
    settings.AUCTION_COLLAR_PCT = 0


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def acme(db):
    return make_stock("ACME", "100.00")


@pytest.fixture
def lot(acme, clock, settings):
    """The house offers 10 ACME for 300 s, reserve 100.00, opening at 90.00."""
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    return auction_create(
        seller=None, symbol="ACME", qty=10, reserve_price="100.00", start_price="90.00"
    )
