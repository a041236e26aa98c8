"""`/api/v2` in-process: Alpaca's shapes (parsed by the SDK's own models) and its refusals."""

from __future__ import annotations

import uuid

import pytest
from alpaca.trading.models import Asset, Calendar, Clock, Order, Position, TradeAccount
from pydantic import TypeAdapter

from trading.models import Order as OrderRow
from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db):
    return make_stock("ACME", "100.00")


def test_the_account_parses_as_the_sdks_trade_account_with_true_values(alice, key_client):
    response = key_client(alice).get("/api/v2/account")
    assert response.status_code == 200, response.content
    account = TradeAccount(**response.json())
    assert account.status == "ACTIVE" and account.currency == "USD"
    assert account.cash == "100000" and account.buying_power == "100000"
    assert account.equity == "100000" and account.last_equity == "100000"
    assert account.multiplier == "1" and account.pattern_day_trader is False


def test_a_limit_order_answers_every_alpaca_field_with_utc_times(alice, key_client, acme):
    body = {
        "symbol": "ACME",
        "qty": 10.0,
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "limit_price": 99.5,
    }
    response = key_client(alice).post("/api/v2/orders", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    order = Order(**data)
    assert order.order_class == "simple" and order.status == "new" and order.qty == "10"
    assert data["created_at"].endswith("Z") and data["submitted_at"] == data["created_at"]
    assert data["limit_price"] == "99.5" and data["extended_hours"] is False
    assert (
        data["asset_id"]
        == Asset(**key_client(alice).get("/api/v2/assets/ACME").json()).id.__str__()
    )


def test_a_notional_market_buy_is_sized_against_the_book(alice, bob, key_client, acme):
    give_shares(bob, acme, 100)
    place(bob, acme, "sell", 3, "100.00")
    place(bob, acme, "sell", 10, "101.00")
    body = {
        "symbol": "ACME",
        "notional": 503,
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
    }
    response = key_client(alice).post("/api/v2/orders", body, format="json")
    assert response.status_code == 200, response.content
    order = Order(**response.json())
    # 3 at 100 = 300, then 203 buys 2 more at 101.
    assert order.qty == "5" and order.filled_qty == "5" and order.status == "filled"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"type": "stop", "stop_price": 90}, 422, "unsupported_order_type"),
        (
            {"type": "stop_limit", "limit_price": 90, "stop_price": 91},
            422,
            "unsupported_order_type",
        ),
        ({"type": "trailing_stop", "trail_percent": 1}, 422, "unsupported_order_type"),
        ({"time_in_force": "opg"}, 422, "unsupported_time_in_force"),
        ({"time_in_force": "cls"}, 422, "unsupported_time_in_force"),
        (
            {"order_class": "bracket", "take_profit": {"limit_price": 120}},
            422,
            "unsupported_order_class",
        ),
        ({"time_in_force": "forever"}, 422, "invalid_time_in_force"),
        ({"type": "iceberg"}, 422, "invalid_type"),
        ({"side": "short"}, 422, "invalid_side"),
        ({"notional": 100}, 422, "qty_and_notional"),
        ({"qty": None}, 422, "qty_required"),
        (
            {"qty": None, "notional": 100, "type": "limit", "limit_price": 99},
            422,
            "notional_not_allowed",
        ),
        ({"qty": 1.5}, 422, "invalid_qty"),
        # (A market buy reserves what the book's walk costs: against an empty book, nothing.)
        ({"qty": 10_000, "type": "limit", "limit_price": 100}, 403, "insufficient_buying_power"),
        ({"side": "sell"}, 403, "insufficient_qty"),
        ({"symbol": "NOPE"}, 422, "unknown_symbol"),
    ],
)
def test_bad_orders_are_refused_in_alpacas_shape_and_nothing_is_placed(
    alice, key_client, acme, body, status, reason
):
    order = {"symbol": "ACME", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}
    response = key_client(alice).post("/api/v2/orders", {**order, **body}, format="json")
    assert response.status_code == status, response.content
    data = response.json()
    assert isinstance(data["code"], int) and data["message"]
    assert data["reason"] == reason or reason == "unknown_symbol"
    assert not OrderRow.objects.exists()


def test_a_patch_on_a_filled_order_is_refused_and_changes_nothing(alice, bob, key_client, acme):
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "100.00")
    filled = place(alice, acme, "buy", 10, "100.00")
    response = key_client(alice).patch(f"/api/v2/orders/{filled.id}", {"qty": 5}, format="json")
    assert response.status_code == 422 and response.json()["code"] == 42210000
    filled.refresh_from_db()
    assert filled.status == "filled" and filled.qty == 10


def test_a_malformed_order_id_or_an_unknown_path_is_a_json_404(alice, key_client):
    client = key_client(alice)
    for path in ("/api/v2/orders/not-a-uuid", f"/api/v2/orders/{uuid.uuid4()}", "/api/v2/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == 40410000


def test_a_wrong_method_is_a_json_405(alice, key_client):
    response = key_client(alice).put("/api/v2/account", {}, format="json")
    assert response.status_code == 405 and response.json()["code"] == 40510000


def test_missing_credentials_are_a_401_in_alpacas_shape(api_client):
    response = api_client.get("/api/v2/account")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in (40110000, 40310000)


def test_positions_parse_and_close_by_percentage_and_asset_id(alice, bob, key_client, acme):
    give_shares(alice, acme, 10)
    place(bob, acme, "buy", 10, "100.00")
    client = key_client(alice)
    positions = TypeAdapter(list[Position]).validate_python(client.get("/api/v2/positions").json())
    assert [(p.symbol, p.qty, p.exchange) for p in positions] == [("ACME", "10", "OTC")]
    closing = client.delete(f"/api/v2/positions/{positions[0].asset_id}?percentage=50")
    assert closing.status_code == 200, closing.content
    order = Order(**closing.json())
    assert order.side == "sell" and order.qty == "5" and order.status == "filled"
    assert client.get("/api/v2/positions/ACME").json()["qty"] == "5"


def test_closing_a_position_you_do_not_have_is_a_404(alice, key_client, acme):
    response = key_client(alice).delete("/api/v2/positions/ACME")
    assert response.status_code == 404 and response.json()["code"] == 40410000


def test_assets_clock_and_calendar_parse(alice, key_client, acme):
    client = key_client(alice)
    assets = TypeAdapter(list[Asset]).validate_python(client.get("/api/v2/assets").json())
    assert [a.symbol for a in assets] == ["ACME"] and assets[0].tradable
    assert client.get("/api/v2/assets?asset_class=crypto").json() == []
    clock = Clock(**client.get("/api/v2/clock").json())
    assert clock.next_close > clock.next_open or clock.is_open
    days = client.get("/api/v2/calendar?start=2024-11-27&end=2024-12-02").json()
    sessions = TypeAdapter(list[Calendar]).validate_python(days)
    # Thanksgiving is a holiday; the Friday after closes early.
    assert [d["date"] for d in days] == ["2024-11-27", "2024-11-29", "2024-12-02"]
    assert days[1]["close"] == "13:00" and sessions[0].open.hour == 9


def test_v1_and_the_streams_write_times_in_utc_with_z_too(alice, key_client, acme):
    from trading.broadcast import order_payload

    body = {
        "symbol": "ACME",
        "qty": "1",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "limit_price": "99.00",
    }
    data = key_client(alice).post("/api/v1/orders", body, format="json").json()
    assert data["created_at"].endswith("Z") and data["submitted_at"].endswith("Z")
    order = OrderRow.objects.get()
    assert order_payload(order, "ACME")["created_at"].endswith("Z")


def test_a_suspended_account_is_refused_orders_replacements_and_closes(alice, key_client, acme):
    client = key_client(alice)
    give_shares(alice, acme, 10)
    resting = place(alice, acme, "buy", 1, "99.00")
    client.patch("/api/v2/account/configurations", {"suspend_trade": True}, format="json")
    order = {"symbol": "ACME", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"}

    refusals = [
        client.post("/api/v2/orders", order, format="json"),
        client.patch(f"/api/v2/orders/{resting.id}", {"qty": 2}, format="json"),
        client.delete("/api/v2/positions/ACME"),
    ]

    for response in refusals:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == 40310000
        assert response.json()["reason"] == "trading_suspended"
        assert response.json()["message"] == "trading is suspended by the account's configuration"
    assert OrderRow.objects.filter(user=alice).count() == 1
