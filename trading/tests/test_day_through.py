"""A trades snapshot's day: today's figures counting trades up to the snapshot's seq only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketdata.selectors import market_day_start
from trading.models import Trade
from trading.selectors import day_through
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(alice, bob):
    stock = make_stock("ZDT", "100.00")
    give_shares(bob, stock, 100)
    for qty, price in ((10, "101.00"), (5, "99.50"), (7, "100.20")):
        place(bob, stock, "sell", qty, price)
        place(alice, stock, "buy", qty, price)
    return stock


def test_the_day_counts_trades_up_to_the_seq_and_no_further(traded):
    assert day_through(stock=traded, trade_seq=3).volume == 22
    two = day_through(stock=traded, trade_seq=2)
    assert (two.volume, two.high, two.low, two.trades) == (
        15,
        Decimal("101.0000"),
        Decimal("99.5000"),
        2,
    )
    assert day_through(stock=traded, trade_seq=0).volume == 0


def test_yesterdays_trades_do_not_count_and_the_reference_range_does(traded):
    Trade.objects.filter(seq=1).update(executed_at=market_day_start() - timedelta(minutes=5))
    traded.day = timezone.localtime(timezone.now()).date()
    traded.day_high, traded.day_low = Decimal("100.8000"), Decimal("98.0000")
    day = day_through(stock=traded, trade_seq=3)
    assert (day.volume, day.high, day.low) == (12, Decimal("100.8000"), Decimal("98.0000"))
