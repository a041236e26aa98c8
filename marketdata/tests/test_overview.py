"""The market overview: change since the previous close, the day's range and volume."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from marketdata.models import Stock
from trading.services import order_place
from trading.tests.factories import give_shares, make_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def acme() -> Stock:
    """Priced today between 98.50 and 102.00 by the pull, last at 101.00, closed at 100.00."""
    stock = make_stock(
        "ACME",
        "101.00",
        price_source="simulated",
        price_updated_at=timezone.now(),
        day=timezone.localdate(),
        day_high=Decimal("102.00"),
        day_low=Decimal("98.50"),
    )
    Stock.objects.filter(pk=stock.pk).update(previous_close=Decimal("100.00"))
    stock.refresh_from_db()
    return stock


@pytest.fixture
def traded(acme, alice, bob):
    """Alice sold Bob 30 shares in two trades, one of them below the day's reference low."""
    give_shares(alice, acme, 30)
    for qty, price in ((10, "97.00"), (20, "99.00")):
        order_place(
            user=alice,
            symbol="ACME",
            side="sell",
            type="limit",
            time_in_force="day",
            qty=qty,
            limit_price=price,
        )
        order_place(
            user=bob,
            symbol="ACME",
            side="buy",
            type="limit",
            time_in_force="day",
            qty=qty,
            limit_price=price,
        )
    return acme


def test_the_stock_api_shows_change_day_range_and_volume(traded, key_client, alice):
    response = key_client(alice).get("/api/v1/stocks/ACME")

    body = response.json()
    assert response.status_code == 200
    assert (body["reference_price"], body["previous_close"]) == ("101.0000", "100.0000")
    assert (body["change"], body["change_pct"]) == ("1.0000", "1.00")
    assert (body["day_high"], body["day_low"]) == ("102.0000", "97.0000")
    assert body["volume"] == 30


def test_the_stock_list_shows_the_figures_of_each_stock(traded, key_client, alice):
    make_stock("BOLT", "20.00")

    response = key_client(alice).get("/api/v1/stocks")

    rows = {row["symbol"]: row for row in response.json()["results"]}
    assert rows["ACME"]["volume"] == 30
    assert (rows["BOLT"]["volume"], rows["BOLT"]["day_high"]) == (0, None)


def test_a_range_from_an_earlier_day_is_not_shown_as_today(acme, key_client, alice):
    Stock.objects.filter(pk=acme.pk).update(day=timezone.localdate() - timezone.timedelta(days=1))

    body = key_client(alice).get("/api/v1/stocks/ACME").json()

    assert (body["day_high"], body["day_low"], body["volume"]) == (None, None, 0)


def test_the_home_page_shows_change_day_range_and_volume(traded, client):
    Stock.objects.filter(pk=traded.pk).update(price_stale=True)

    page = client.get("/?q=ACME").content.decode()

    assert "+1.00 (+1.00%)" in page
    assert 'data-field="day_high" data-value="102.0000">102.00</td>' in page
    assert 'data-field="day_low" data-value="97.0000">97.00</td>' in page
    assert 'data-field="volume" data-value="30">30</td>' in page
    assert "stale" in page


def test_the_server_draws_each_rows_sparkline_in_the_box_flat_when_nothing_moved():
    from marketdata.views import sparkline

    assert sparkline([Decimal("1"), Decimal("2")]) == {"path": "M0.0 23.0 L100.0 1.0", "up": True}
    assert sparkline([5, 5, 5])["path"] == "M0.0 12.0 L50.0 12.0 L100.0 12.0"
    assert sparkline([7]) == {"path": "M0.0 12.0 L100.0 12.0", "up": True}
    assert sparkline([3, 1])["up"] is False
    assert sparkline([]) is None


def test_the_markets_page_draws_sparklines_from_the_history_in_one_query(
    client, acme, django_assert_max_num_queries
):
    from datetime import timedelta

    from marketdata.models import PriceBar

    now = timezone.now().replace(second=0, microsecond=0)
    for minutes, close in ((3, "99.00"), (2, "100.00"), (1, "101.00")):
        PriceBar.objects.create(
            stock=acme,
            start=now - timedelta(minutes=minutes),
            open=close,
            high=close,
            low=close,
            close=close,
            source="simulated",
        )
    for n in range(30):
        make_stock(f"ZZ{n:02d}", "10.00")
    with django_assert_max_num_queries(12):
        page = client.get("/").content.decode()
    assert '<span class="spark" data-sparkline="ACME"><svg' in page
    assert 'd="M0.0 23.0 L50.0 12.0 L100.0 1.0" class="spark-up"' in page


def test_the_search_box_suggests_stocks_by_symbol_or_name_as_you_type(client):
    make_stock("ZETA", "10.00")
    make_stock("ZEBR", "10.00")
    make_stock("QQQ", "10.00")
    answer = client.get("/search/suggest.json?q=ze").json()
    assert [r["symbol"] for r in answer["results"]] == ["ZEBR", "ZETA"]
    assert answer["results"][0]["name"] == "ZEBR Corp"
    assert client.get("/search/suggest.json?q=").json() == {"results": []}


def test_the_markets_page_lists_top_gainers_losers_and_the_most_traded(client, alice, bob):
    up = make_stock("ZUP", "110.00")
    down = make_stock("ZDN", "90.00")
    flat = make_stock("ZFL", "50.00")
    Stock.objects.filter(pk__in=[up.pk, down.pk]).update(previous_close=Decimal("100.00"))
    give_shares(alice, flat, 10)
    for side, user in (("sell", alice), ("buy", bob)):
        order_place(
            user=user,
            symbol="ZFL",
            side=side,
            type="limit",
            time_in_force="gtc",
            qty=7,
            limit_price="50.00",
        )
    from marketdata.selectors import market_movers

    movers = market_movers()
    assert [s.symbol for s in movers.gainers] == ["ZUP"]
    assert [s.symbol for s in movers.losers] == ["ZDN"]
    assert [(s.symbol, volume) for s, volume in movers.most_active] == [("ZFL", 7)]
    page = client.get("/").content.decode()
    assert "Top gainers" in page and "+10.00%" in page and "-10.00%" in page
    assert "7 shares" in page
