"""The clock's price pull acts once a period, however many beats send it."""

from __future__ import annotations

import time

import pytest

from marketdata import tasks
from marketdata.models import Stock
from trading.tests.factories import make_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pull_state")]


def _prices() -> dict[str, str]:
    return {s.symbol: str(s.reference_price) for s in Stock.objects.all()}


def test_a_second_pull_in_the_same_period_changes_nothing(settings):
    settings.MARKETDATA_PROVIDER = "simulated"
    settings.PRICE_PULL_SECONDS = 5
    make_stock("ACME", "100.00")
    make_stock("BOLT", "20.00")

    first = tasks.pull_prices()
    after_first = _prices()
    second = tasks.pull_prices()  # the other host's beat, in the tick the lock changed hands

    assert first["skipped"] is False and first["updated"] >= 1
    assert second["skipped"] is True
    assert _prices() == after_first


def test_the_next_period_pulls_again(settings):
    settings.MARKETDATA_PROVIDER = "simulated"
    settings.PRICE_PULL_SECONDS = 0.5
    make_stock("ACME", "100.00")

    assert tasks.pull_prices()["skipped"] is False
    time.sleep(0.45)  # past the lease (0.8 of a period)

    assert tasks.pull_prices()["skipped"] is False
