"""Finding 8: a market alive from the first minute: the demo maker quotes any stock someone
opens, and a day of one-minute history is back-filled so charts are full."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from marketdata.models import PriceBar
from marketdata.services import history_backfill
from trading.demo import demo_maker_open
from trading.selectors import book_snapshot
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def maker(make_user):
    from accounts.models import Account
    from accounts.services import account_adjust_cash

    user = make_user("maker")
    account = Account.objects.get(user=user)
    account_adjust_cash(account_id=account.pk, amount=Decimal("1000000"), memo="float")
    return user


def test_the_demo_maker_quotes_a_stock_with_an_empty_book_once(maker):
    stock = make_stock("ZQQ", "40.00")
    assert demo_maker_open(symbol="ZQQ") == 10
    book = book_snapshot(stock=stock, depth=10)
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5
    assert Decimal(book["bids"][0]["price"]) < Decimal("40.00") < Decimal(book["asks"][0]["price"])
    assert demo_maker_open(symbol="ZQQ") == 0  # its ladder is there already


def test_opening_an_empty_stock_page_asks_the_demo_maker_to_quote(maker, settings, monkeypatch):
    from trading import tasks

    asked = []
    monkeypatch.setattr(tasks.open_demo_market, "delay", asked.append)
    make_stock("ZQR", "40.00")
    settings.DEMO_MARKET_MAKER = False
    Client().get("/stocks/ZQR/")
    assert asked == []
    settings.DEMO_MARKET_MAKER = True
    Client().get("/stocks/ZQR/")
    assert asked == ["ZQR"]


def test_a_day_of_history_is_back_filled_once_ending_at_the_price():
    stock = make_stock("ZBF", "25.00")
    now = timezone.now()
    assert history_backfill(stocks=[stock], now=now) == 24 * 60
    bars = list(PriceBar.objects.filter(stock=stock).order_by("start"))
    assert len(bars) == 24 * 60
    assert bars[-1].close == Decimal("25.00")
    assert bars[-1].start == now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
    assert all(a.close == b.open for a, b in zip(bars, bars[1:], strict=False))
    assert history_backfill(stocks=[stock], now=now) == 0  # safe to run again
