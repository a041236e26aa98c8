"""Staff run the market from the admin: every page loads, and the money tools go through services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, CashEntry, User
from trading.models import Order, Position
from trading.services import order_place
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    User.objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    client.login(username="boss", password="boss-pass-123")
    return client


@pytest.mark.parametrize(
    "model",
    [
        "accounts_user",
        "accounts_account",
        "accounts_cashentry",
        "accounts_apikey",
        "marketdata_stock",
        "trading_order",
        "trading_trade",
        "trading_position",
        "trading_shareentry",
        "trading_bookstate",
        "trading_auction",
    ],
)
def test_every_changelist_loads(staff_client, alice, model):
    assert staff_client.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_staff_adjust_cash_and_it_is_in_the_ledger(staff_client, alice):
    account = Account.objects.get(user=alice)
    url = reverse("admin:accounts_account_adjust_cash", args=[account.pk])

    response = staff_client.post(url, {"amount": "-250.00", "memo": "Correction"})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.cash == Decimal("99750.00")
    assert CashEntry.objects.filter(
        account=account, kind="adjustment", amount=Decimal("-250.00")
    ).exists()


def test_staff_cannot_take_cash_below_zero(staff_client, alice):
    account = Account.objects.get(user=alice)
    url = reverse("admin:accounts_account_adjust_cash", args=[account.pk])
    response = staff_client.post(url, {"amount": "-200000.00", "memo": "Oops"})
    assert response.status_code == 200
    assert "negative" in response.content.decode()
    account.refresh_from_db()
    assert account.cash == Decimal("100000.00")


def test_staff_grant_shares(staff_client, alice):
    make_stock("ACME", "10.00")
    response = staff_client.post(
        reverse("admin:trading_position_grant"),
        {"user": alice.pk, "symbol": "ACME", "qty": "40", "memo": "Welcome gift"},
    )
    assert response.status_code == 302
    assert Position.objects.get(user=alice, stock__symbol="ACME").qty == 40


def test_staff_halt_a_stock_and_orders_are_refused(staff_client, alice):
    stock = make_stock("ACME", "10.00")
    staff_client.post(
        reverse("admin:marketdata_stock_changelist"),
        {"action": "halt", "_selected_action": [stock.pk]},
    )
    stock.refresh_from_db()
    assert stock.is_halted
    with pytest.raises(Exception, match="halted"):
        order_place(
            user=alice,
            symbol="ACME",
            side="buy",
            type="limit",
            time_in_force="day",
            qty=1,
            limit_price="10",
        )


def test_staff_cancel_an_order(staff_client, alice):
    make_stock("ACME", "10.00")
    order = order_place(
        user=alice,
        symbol="ACME",
        side="buy",
        type="limit",
        time_in_force="gtc",
        qty=5,
        limit_price="9.50",
    )
    staff_client.post(
        reverse("admin:trading_order_changelist"),
        {"action": "cancel_orders", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    assert (order.status, order.reason) == (Order.Status.CANCELED, "staff_requested")
    assert Account.objects.get(user=alice).reserved_cash == 0


def _stock_form(stock, **changes) -> dict:
    """The stock's admin change form as staff would submit it, with `changes` typed in."""
    fields = {
        "symbol": stock.symbol,
        "name": stock.name,
        "isin": stock.isin,
        "exchange": stock.exchange,
        "status": stock.status,
        "tick_size": stock.tick_size,
        "lot_size": stock.lot_size,
        "band_pct": stock.band_pct,
        "reference_price": stock.reference_price,
        "previous_close": stock.previous_close or "",
    }
    return {**{k: "" if v is None else str(v) for k, v in fields.items()}, **changes}


def test_staff_cannot_move_the_tick_under_resting_orders(staff_client, alice):
    acme = make_stock("ACME", "10.00")
    order_place(
        user=alice, symbol="ACME", side="buy", type="limit", time_in_force="gtc", qty=5,
        limit_price="9.51",
    )  # fmt: skip
    url = reverse("admin:marketdata_stock_change", args=[acme.pk])

    refused = staff_client.post(url, _stock_form(acme, tick_size="0.05"), follow=True)

    assert "1 resting order would be off a tick of $0.05; cancel it first." in (
        refused.content.decode()
    )
    acme.refresh_from_db()
    assert acme.tick_size == Decimal("0.01")

    staff_client.post(url, _stock_form(acme, tick_size="0.01", lot_size="5", band_pct="0.2"))
    acme.refresh_from_db()
    assert (acme.lot_size, acme.band_pct) == (5, Decimal("0.2"))


def test_staff_set_a_stocks_listing_exchange_and_alpaca_clients_see_it(staff_client, alice):
    from accounts.services import api_key_create

    acme = make_stock("ACME", "10.00")
    url = reverse("admin:marketdata_stock_change", args=[acme.pk])
    saved = staff_client.post(url, _stock_form(acme, exchange="NYSE"))
    assert saved.status_code == 302, saved.content
    key, secret = api_key_create(user=alice, name="bot")
    headers = {"HTTP_APCA_API_KEY_ID": key.key_id, "HTTP_APCA_API_SECRET_KEY": secret}
    asset = staff_client.get("/v2/assets/ACME", **headers).json()
    assert asset["exchange"] == "NYSE"
    refused = staff_client.post(url, _stock_form(acme, exchange="LSE"))
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    acme.refresh_from_db()
    assert acme.exchange == "NYSE"


def test_staff_create_a_house_auction_see_its_bids_and_cancel_it(staff_client, alice, settings):
    from trading.auctions.services.bids import auction_bid_place
    from trading.models import Auction

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("ACME", "100.00")
    created = staff_client.post(
        reverse("admin:trading_auction_create"),
        {"symbol": "ACME", "qty": "10", "reserve_price": "95.00", "duration_seconds": "300"},
    )
    assert created.status_code == 302
    auction = Auction.objects.get()
    auction_bid_place(user=alice, auction_id=auction.pk, max_price="96.00")
    page = staff_client.get(reverse("admin:trading_auction_change", args=[auction.pk]))
    assert "96.0000" in page.content.decode()  # staff see every maximum

    staff_client.post(
        reverse("admin:trading_auction_changelist"),
        {"action": "cancel_auctions", "_selected_action": [auction.pk]},
    )
    auction.refresh_from_db()
    assert auction.status == "canceled"
    assert Account.objects.get(user=alice).reserved_cash == 0
