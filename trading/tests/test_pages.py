"""The trading pages as a signed-in person uses them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from conftest import PASSWORD
from trading.models import Order
from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db):
    return make_stock("ACME", "100.00")


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)


def _bob_offers_20_at_101_50(client, bob, acme) -> None:
    """Bob signs in, sells 20 ACME at 101.50 through the ticket, and signs out."""
    give_shares(bob, acme, 50)
    _login(client, bob)
    client.post(
        reverse("stock", args=["ACME"]),
        {
            "side": "sell",
            "type": "limit",
            "qty": "20",
            "limit_price": "101.50",
            "time_in_force": "gtc",
        },
    )
    client.logout()


def test_the_stock_page_shows_the_book_and_the_ticket(client, alice, bob, acme):
    _bob_offers_20_at_101_50(client, bob, acme)

    _login(client, alice)
    page = client.get(reverse("stock", args=["acme"])).content.decode()

    assert 'data-price="101.5000"' in page
    assert "Buying power" in page and "$100,000.00" in page
    assert 'id="order-ticket"' in page


def test_buying_through_the_ticket_fills_and_says_so(client, alice, bob, acme):
    _bob_offers_20_at_101_50(client, bob, acme)
    _login(client, alice)

    response = client.post(
        reverse("stock", args=["ACME"]),
        {"side": "buy", "type": "market", "qty": "5", "limit_price": "", "time_in_force": "day"},
        follow=True,
    )

    assert "Buy 5 ACME: filled at an average $101.50." in response.content.decode()
    assert Account.objects.get(user=alice).cash == Decimal("100000") - Decimal("507.50")


def test_a_refused_order_is_a_form_error_and_changes_nothing(client, alice, acme):
    _login(client, alice)

    response = client.post(
        reverse("stock", args=["ACME"]),
        {
            "side": "buy",
            "type": "limit",
            "qty": "1.5",
            "limit_price": "100",
            "time_in_force": "day",
        },
    )

    assert response.status_code == 200
    assert "Quantity must be a whole number of shares." in response.content.decode()
    assert not Order.objects.exists()


def test_a_price_outside_the_band_names_the_band(client, alice, acme):
    _login(client, alice)
    response = client.post(
        reverse("stock", args=["ACME"]),
        {"side": "buy", "type": "limit", "qty": "1", "limit_price": "150", "time_in_force": "day"},
    )
    assert "between $90.00 and $110.00 (within 10% of the reference price)" in (
        response.content.decode()
    )


def test_the_portfolio_lists_positions_and_open_orders_and_cancels(client, alice, acme):
    give_shares(alice, acme, 30)
    _login(client, alice)
    client.post(
        reverse("stock", args=["ACME"]),
        {
            "side": "buy",
            "type": "limit",
            "qty": "10",
            "limit_price": "99.00",
            "time_in_force": "gtc",
        },
    )
    order = Order.objects.get(user=alice)

    page = client.get(reverse("portfolio")).content.decode()
    assert f'data-order-id="{order.id}"' in page
    assert 'data-symbol="ACME"' in page
    assert "$99,010.00" in page  # buying power: 100,000 less the 990.00 reserved

    client.post(reverse("order-cancel", args=[order.id]))
    order.refresh_from_db()
    assert order.status == "canceled"
    assert Account.objects.get(user=alice).reserved_cash == 0


def test_the_order_history_needs_a_log_in(client):
    response = client.get(reverse("orders"))
    assert response.status_code == 302


def test_a_user_who_suspended_their_trading_is_told_so_by_the_ticket(client, alice, acme):
    from trading.services.configuration import configuration_update

    configuration_update(user=alice, changes={"suspend_trade": True})
    _login(client, alice)

    response = client.post(
        reverse("stock", args=["ACME"]),
        {
            "side": "buy",
            "type": "limit",
            "qty": "1",
            "limit_price": "99.00",
            "time_in_force": "gtc",
        },
    )

    assert response.status_code == 200
    assert "Trading is suspended by your account&#x27;s configuration." in response.content.decode()
    assert not Order.objects.filter(user=alice).exists()
