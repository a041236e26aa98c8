"""The pages and reads behind the trading screens: the equity curve, the activity page, the
watchlist star, positions valued at the last trade, the product 404, and the demo maker."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import account_adjust_cash
from conftest import PASSWORD
from trading import selectors
from trading.demo import LADDER_STEPS, MAKER, demo_maker_requote
from trading.models import OPEN_STATUSES, Order, Watchlist
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(alice, bob):
    """alice bought 10 ZSC at 101 from bob; the reference price is still 100."""
    stock = make_stock("ZSC", "100.00")
    give_shares(bob, stock, 50)
    place(bob, stock, "sell", 10, "101.00")
    place(alice, stock, "buy", 10, "101.00")
    return stock


def test_a_position_is_valued_at_the_last_trade_and_says_so(alice, traded):
    [view] = selectors.positions_for(user=alice)
    assert view.current_price == Decimal("101.00")
    assert view.price_source == "last_trade"


def test_a_position_never_traded_here_falls_back_to_the_reference_price(alice):
    stock = make_stock("ZNT", "42.00")
    give_shares(alice, stock, 5)
    [view] = selectors.positions_for(user=alice)
    assert (view.current_price, view.price_source) == (Decimal("42.00"), "reference")


def test_the_equity_curve_follows_the_ledger_and_ends_at_todays_equity(client, alice, traded):
    client.login(username="alice", password=PASSWORD)
    points = client.get(reverse("portfolio-equity")).json()["points"]
    equities = [Decimal(p["equity"]) for p in points]
    summary = selectors.account_summary(user=alice)
    assert equities[0] == Decimal("100000.00")  # the opening deposit
    assert equities[-1] == summary["equity"]
    # Buying at 101 moves cash into shares marked at 101: equity is unchanged.
    assert equities[-2] == Decimal("100000.00")


def test_granted_shares_count_in_the_equity_curve_from_the_start(client, alice):
    stock = make_stock("ZGR", "50.00")
    give_shares(alice, stock, 100)
    client.login(username="alice", password=PASSWORD)
    points = client.get(reverse("portfolio-equity")).json()["points"]
    assert [Decimal(p["equity"]) for p in points] == [Decimal("105000.00")] * 2


def test_the_activity_page_lists_fills_and_cash_movements(client, alice, traded):
    client.login(username="alice", password=PASSWORD)
    page = client.get(reverse("activity")).content.decode()
    assert "Bought 10 ZSC" in page
    assert "Trade settlement" in page
    assert "Opening deposit" in page


def test_a_star_adds_a_stock_to_the_watchlist_shown_first_and_a_second_removes_it(client, alice):
    make_stock("ZWL", "10.00")
    client.login(username="alice", password=PASSWORD)
    client.post(reverse("watch-toggle", args=["ZWL"]))
    assert list(Watchlist.objects.get(user=alice).stocks.values_list("symbol", flat=True)) == [
        "ZWL"
    ]
    assert "Your watchlist" in client.get(reverse("home")).content.decode()
    answer = client.post(
        reverse("watch-toggle", args=["ZWL"]), HTTP_ACCEPT="application/json"
    ).json()
    assert answer == {"symbol": "ZWL", "watching": False}


def test_an_unknown_stock_gets_the_products_404_page_even_in_debug(client, settings):
    settings.DEBUG = True
    response = client.get("/stocks/NOPE/")
    assert response.status_code == 404
    assert "No stock called NOPE" in response.content.decode()


def test_the_ticket_offers_numeric_keypads_and_one_spelling_of_canceled(client, alice):
    make_stock("ZKP", "10.00")
    client.login(username="alice", password=PASSWORD)
    page = client.get("/stocks/ZKP/").content.decode()
    assert 'inputmode="numeric"' in page and 'inputmode="decimal"' in page
    assert "Good till canceled" in page and "cancelled" not in page
    assert "<script>" not in page and "onclick" not in page  # a script-src 'self' CSP holds


@pytest.fixture
def maker(db):
    user = User.objects.create_user(username=MAKER, password=PASSWORD)  # opens its account
    account_adjust_cash(account_id=user.account.pk, amount=Decimal("900000"), memo="Maker cash")
    return user


def _maker_quotes(stock):
    return sorted(
        (o.side, o.limit_price)
        for o in Order.objects.filter(user__username=MAKER, stock=stock, status__in=OPEN_STATUSES)
    )


def test_the_demo_maker_requotes_around_a_moved_reference_price(maker):
    stock = make_stock("ZMM", "100.00")
    give_shares(maker, stock, 5000)
    place(maker, stock, "buy", 1, "99.00")  # it has quoted this stock before
    assert demo_maker_requote() == 1
    quotes = _maker_quotes(stock)
    assert len(quotes) == 2 * LADDER_STEPS
    assert max(p for s, p in quotes if s == "buy") == Decimal("99.90")
    assert min(p for s, p in quotes if s == "sell") == Decimal("100.10")
    # Quotes still centred: nothing to do.
    assert demo_maker_requote() == 0
    stock.reference_price = Decimal("110.00")
    stock.save()
    assert demo_maker_requote() == 1
    quotes = _maker_quotes(stock)
    assert max(p for s, p in quotes if s == "buy") == Decimal("109.89")
    assert min(p for s, p in quotes if s == "sell") == Decimal("110.11")


def test_the_orders_page_filters_by_status_side_and_symbol(client, alice, traded):
    other = make_stock("ZOT", "10.00")
    place(alice, other, "buy", 1, "9.00")
    client.login(username="alice", password=PASSWORD)
    open_only = client.get(reverse("orders"), {"status": "open"}).content.decode()
    assert "ZOT" in open_only and ">ZSC<" not in open_only
    zsc = client.get(reverse("orders"), {"symbol": "zsc", "side": "buy"}).content.decode()
    assert ">ZSC<" in zsc and ">ZOT<" not in zsc
