"""Today's P&L: since the previous close for the shares held at the day's start (the market's
midnight, `market_day_start`), from their trade price for today's buys, up to their trade price
for today's sells. Every expected figure below is worked out by hand in the comments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketdata.models import Stock
from marketdata.selectors import market_day_start
from trading.models import Trade
from trading.selectors import account_summary, positions_for
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(alice, bob, charlie):
    held = make_stock("ZTP", "100.00")
    Stock.objects.filter(pk=held.pk).update(previous_close=Decimal("98.00"))
    give_shares(alice, held, 20)
    give_shares(bob, held, 100)
    # Yesterday alice bought 4 at 97.00: by today they are shares held at the day's start.
    place(bob, held, "sell", 4, "97.00")
    place(alice, held, "buy", 4, "97.00")
    Trade.objects.filter(stock=held).update(executed_at=market_day_start() - timedelta(hours=3))
    # Today: alice buys 10 at 101.00 from bob, then sells 5 at 102.00 to charlie (the last
    # trade, inside the ±10% band around 100.00: the mark is 102.00).
    place(bob, held, "sell", 10, "101.00")
    place(alice, held, "buy", 10, "101.00")
    place(alice, held, "sell", 5, "102.00")
    place(charlie, held, "buy", 5, "102.00")
    # A second stock alice held at the day's start and sold out of today: 10 at 51.00, its
    # previous close 50.00.
    sold = make_stock("ZTQ", "50.00")  # previous close 50.00 too
    give_shares(alice, sold, 10)
    place(alice, sold, "sell", 10, "51.00")
    place(bob, sold, "buy", 10, "51.00")
    return held


def test_todays_pl_per_position_and_in_total_by_hand(day, alice, charlie):
    (view,) = positions_for(user=alice)
    # 20 granted + 4 yesterday + 10 − 5 today = 29 shares, 24 of them held at the day's start.
    assert view.position.qty == 29
    assert view.current_price == Decimal("102.00")
    # 29 × 102 − 24 × 98 − 10 × 101 + 5 × 102 = 2958 − 2352 − 1010 + 510 = 106
    # (the 24 old shares 4.00 up each: 96; the 10 bought today 1.00 up each: 10).
    assert view.today_pl == Decimal("106.0000")
    # Sold out of ZTQ: 10 × 51 − 10 × 50 = 10 more for the day, though no longer held.
    assert account_summary(user=alice)["today_pl"] == Decimal("116.0000")
    # Charlie bought 5 at 102.00 today and it still marks at 102.00: nothing yet today.
    (bought,) = positions_for(user=charlie)
    assert bought.today_pl == Decimal("0.0000")
    assert account_summary(user=charlie)["today_pl"] == Decimal("0.0000")


def test_without_a_previous_close_shares_held_since_before_today_have_no_todays_pl(alice, bob):
    stock = make_stock("ZTN", "20.00")
    Stock.objects.filter(pk=stock.pk).update(previous_close=None)
    give_shares(alice, stock, 10)
    (view,) = positions_for(user=alice)
    assert view.today_pl is None
    assert account_summary(user=alice)["today_pl"] is None
    # Bought today only: measured from the trade price, no previous close needed.
    give_shares(bob, stock, 10)
    place(bob, stock, "sell", 3, "21.00")
    place(alice, stock, "buy", 3, "21.00")
    (bobs,) = positions_for(user=bob)
    assert bobs.today_pl is None  # bob's 7 left were held at the day's start


def test_the_api_reports_todays_pl_on_the_account_and_each_position(day, alice, key_client):
    client = key_client(alice)
    assert client.get("/api/v1/account").json()["today_pl"] == "116.0000"
    (position,) = client.get("/api/v1/positions").json()
    assert position["today_pl"] == "106.0000"
    assert client.get("/api/v1/positions/ZTP").json()["today_pl"] == "106.0000"
