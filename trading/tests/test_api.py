"""The trading REST API as a bot sees it: orders, account, positions, fills, book, trades."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"


@pytest.fixture
def acme():
    return make_stock("ACME", "100.00")


def _post_order(client, **fields):
    body = {"symbol": "ACME", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1"}
    body.update(fields)
    return client.post(ORDERS, body, format="json")


def test_placing_a_limit_order_answers_an_alpaca_shaped_order(acme, alice, key_client):
    response = _post_order(key_client(alice), qty="3", limit_price="99.50", client_order_id="c-1")

    assert response.status_code == 200
    order = response.json()
    assert order["client_order_id"] == "c-1"
    assert (order["symbol"], order["side"], order["order_type"], order["type"]) == (
        "ACME",
        "buy",
        "limit",
        "limit",
    )
    assert (order["qty"], order["filled_qty"], order["status"]) == ("3", "0", "new")
    assert Decimal(order["limit_price"]) == Decimal("99.50")
    assert isinstance(order["limit_price"], str)  # money is a decimal string, never a float
    assert order["time_in_force"] == "gtc" and order["filled_avg_price"] is None


def test_a_market_order_that_fills_reports_its_average_price(acme, alice, bob, key_client):
    give_shares(bob, acme, 4)
    place(bob, acme, "sell", 2, "100.00")
    place(bob, acme, "sell", 2, "101.00")

    response = _post_order(key_client(alice), type="market", qty="4", time_in_force="day")

    assert response.status_code == 200
    order = response.json()
    assert (order["status"], order["filled_qty"]) == ("filled", "4")
    assert Decimal(order["filled_avg_price"]) == Decimal("100.50")
    assert order["filled_at"] is not None


def test_an_order_can_be_read_by_id_and_by_client_order_id(acme, alice, key_client):
    client = key_client(alice)
    placed = _post_order(client, limit_price="99.00", client_order_id="mine-1").json()

    by_id = client.get(f"{ORDERS}/{placed['id']}")
    by_client_id = client.get(f"{ORDERS}:by_client_order_id", {"client_order_id": "mine-1"})

    assert by_id.status_code == by_client_id.status_code == 200
    assert by_id.json() == by_client_id.json()
    assert by_id.json()["id"] == placed["id"]


def test_another_users_order_cannot_be_read(acme, alice, bob, key_client):
    placed = _post_order(key_client(alice), limit_price="99.00", client_order_id="a-1").json()

    assert key_client(bob).get(f"{ORDERS}/{placed['id']}").status_code == 404
    response = key_client(bob).get(f"{ORDERS}:by_client_order_id", {"client_order_id": "a-1"})
    assert response.status_code == 404


def test_listing_orders_filters_by_status_symbol_and_side(acme, alice, key_client):
    zeta = make_stock("ZETA", "20.00")
    give_shares(alice, zeta, 5)
    client = key_client(alice)
    open_bid = _post_order(client, limit_price="99.00").json()
    canceled = _post_order(client, limit_price="98.00").json()
    client.delete(f"{ORDERS}/{canceled['id']}")
    zeta_ask = _post_order(client, symbol="ZETA", side="sell", limit_price="21.00").json()

    def ids(**params):
        response = client.get(ORDERS, params)
        assert response.status_code == 200
        return {o["id"] for o in response.json()}

    assert ids() == {open_bid["id"], zeta_ask["id"]}
    assert ids(status="closed") == {canceled["id"]}
    assert ids(status="all") == {open_bid["id"], canceled["id"], zeta_ask["id"]}
    assert ids(status="all", symbols="ZETA") == {zeta_ask["id"]}
    assert ids(status="all", side="buy") == {open_bid["id"], canceled["id"]}
    assert len(ids(status="all", limit=1)) == 1
    assert client.get(ORDERS, {"status": "weird"}).status_code == 400


def test_deleting_an_order_cancels_it(acme, alice, key_client):
    client = key_client(alice)
    placed = _post_order(client, limit_price="99.00").json()

    response = client.delete(f"{ORDERS}/{placed['id']}")

    assert response.status_code == 204
    order = client.get(f"{ORDERS}/{placed['id']}").json()
    assert (order["status"], order["reason"]) == ("canceled", "user_requested")
    assert order["canceled_at"] is not None


def test_deleting_all_orders_answers_each_cancelled_order(acme, alice, key_client):
    client = key_client(alice)
    a = _post_order(client, limit_price="99.00").json()
    b = _post_order(client, limit_price="98.00").json()

    response = client.delete(ORDERS)

    assert response.status_code == 207
    assert {item["id"] for item in response.json()} == {a["id"], b["id"]}
    assert {item["body"]["status"] for item in response.json()} == {"canceled"}
    assert client.get(ORDERS).json() == []


def test_patching_an_order_replaces_it(acme, alice, key_client):
    client = key_client(alice)
    old = _post_order(client, qty="5", limit_price="99.00").json()

    response = client.patch(f"{ORDERS}/{old['id']}", {"limit_price": "99.50"}, format="json")

    assert response.status_code == 200
    new = response.json()
    assert new["id"] != old["id"] and new["replaces"] == old["id"]
    assert (new["qty"], Decimal(new["limit_price"])) == ("5", Decimal("99.50"))
    old_now = client.get(f"{ORDERS}/{old['id']}").json()
    assert old_now["status"] == "replaced"
    assert old_now["replaced_by"] == new["id"]
    assert old_now["replaced_at"] is not None


def test_the_account_shows_cash_reserved_cash_and_buying_power(acme, alice, key_client):
    client = key_client(alice)
    _post_order(client, qty="10", limit_price="99.00")

    account = client.get("/api/v1/account").json()

    assert Decimal(account["cash"]) == Decimal("100000")
    assert Decimal(account["reserved_cash"]) == Decimal("990")
    assert Decimal(account["buying_power"]) == Decimal("99010")
    assert Decimal(account["equity"]) == Decimal("100000")
    assert (account["status"], account["currency"], account["open_orders"]) == ("ACTIVE", "USD", 1)


def test_the_account_values_positions_at_the_last_trade(acme, alice, bob, key_client):
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "95.00")
    place(alice, acme, "buy", 10, "95.00")

    account = key_client(alice).get("/api/v1/account").json()

    # The last trade (95.00) is what the shares would fetch here, not the reference (100).
    assert Decimal(account["cash"]) == Decimal("99050")
    assert Decimal(account["long_market_value"]) == Decimal("950")
    assert Decimal(account["equity"]) == Decimal("100000")


def test_positions_show_quantity_cost_and_profit(acme, alice, bob, key_client):
    give_shares(bob, acme, 10)
    place(bob, acme, "sell", 10, "95.00")
    place(alice, acme, "buy", 10, "95.00")
    place(alice, acme, "sell", 4, "105.00")
    client = key_client(alice)

    listed = client.get("/api/v1/positions").json()
    one = client.get("/api/v1/positions/acme").json()

    assert listed == [one]
    assert (one["symbol"], one["qty"], one["qty_available"], one["side"]) == (
        "ACME",
        "10",
        "6",
        "long",
    )
    assert Decimal(one["avg_entry_price"]) == Decimal("95")
    assert Decimal(one["cost_basis"]) == Decimal("950")
    assert Decimal(one["market_value"]) == Decimal("950")  # at the last trade, 95.00
    assert Decimal(one["unrealized_pl"]) == Decimal("0")


def test_a_position_not_held_is_404(acme, alice, key_client):
    response = key_client(alice).get("/api/v1/positions/ACME")

    assert response.status_code == 404
    assert response.json()["code"] == "position_not_found"


def test_fills_show_each_side_its_own_execution(acme, alice, bob, key_client):
    give_shares(bob, acme, 3)
    ask = place(bob, acme, "sell", 3, "100.00")
    bid = place(alice, acme, "buy", 3, "100.00")

    alices = key_client(alice).get("/api/v1/fills").json()
    bobs = key_client(bob).get("/api/v1/fills").json()

    assert [(f["side"], f["liquidity"], f["qty"], f["order_id"]) for f in alices] == [
        ("buy", "taker", "3", str(bid.id))
    ]
    assert [(f["side"], f["liquidity"], f["order_id"]) for f in bobs] == [
        ("sell", "maker", str(ask.id))
    ]
    assert Decimal(alices[0]["price"]) == Decimal("100")


def test_the_book_shows_aggregated_levels_best_first_with_its_sequence(
    acme, alice, bob, charlie, key_client
):
    api_client = key_client(charlie)
    give_shares(bob, acme, 10)
    place(alice, acme, "buy", 2, "99.00")
    place(charlie, acme, "buy", 3, "99.00")
    place(alice, acme, "buy", 1, "98.00")
    place(bob, acme, "sell", 4, "101.00")
    place(bob, acme, "sell", 6, "100.50")

    response = api_client.get("/api/v1/stocks/ACME/book")
    assert response.status_code == 200, response.content
    book = response.json()

    assert book["symbol"] == "ACME" and book["seq"] == 5
    assert [(lvl["price"], lvl["qty"], lvl["orders"]) for lvl in book["bids"]] == [
        ("99.0000", "5", 2),
        ("98.0000", "1", 1),
    ]
    assert [(lvl["price"], lvl["qty"]) for lvl in book["asks"]] == [
        ("100.5000", "6"),
        ("101.0000", "4"),
    ]
    shallow = api_client.get("/api/v1/stocks/ACME/book", {"depth": 1}).json()
    assert len(shallow["bids"]) == len(shallow["asks"]) == 1
    assert api_client.get("/api/v1/stocks/ACME/book", {"depth": 0}).status_code == 400
    assert api_client.get("/api/v1/stocks/NOPE/book").status_code == 404


def test_the_trades_endpoint_lists_the_latest_trades_newest_first(acme, alice, bob, key_client):
    api_client = key_client(bob)
    give_shares(bob, acme, 5)
    place(bob, acme, "sell", 2, "100.00")
    place(bob, acme, "sell", 3, "100.10")
    place(alice, acme, "buy", 5, "100.10")

    trades = api_client.get("/api/v1/stocks/ACME/trades").json()

    assert [(t["seq"], t["qty"], t["taker_side"]) for t in trades] == [
        (2, "3", "buy"),
        (1, "2", "buy"),
    ]


def test_the_order_endpoints_need_authentication(acme, api_client):
    for method, path in [
        ("get", ORDERS),
        ("post", ORDERS),
        ("get", "/api/v1/account"),
        ("get", "/api/v1/stocks/ACME/book"),
    ]:
        response = getattr(api_client, method)(path)
        assert response.status_code in (401, 403)
        assert set(response.json()) == {"code", "message", "fields"}


def test_a_session_user_can_trade_through_the_api(acme, alice, client):
    client.force_login(alice)

    response = client.post(
        ORDERS,
        {"symbol": "ACME", "side": "buy", "type": "limit", "qty": "1", "limit_price": "99.00"},
        content_type="application/json",
    )

    # Session callers need a CSRF token like any browser form; the test client skips the check.
    assert response.status_code == 200


def test_the_openapi_schema_describes_the_order_endpoints(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/orders", "/api/v1/orders/{order_id}", "/api/v1/account"} <= set(
        schema["paths"]
    )
    assert "post" in schema["paths"]["/api/v1/orders"]


def test_the_interactive_docs_page_renders(api_client):
    assert api_client.get("/api/docs/").status_code == 200


def test_a_user_who_suspended_their_trading_is_refused_an_order(acme, alice, key_client):
    from trading.services.configuration import configuration_update

    configuration_update(user=alice, changes={"suspend_trade": True})

    response = _post_order(key_client(alice), limit_price="99.50")

    assert response.status_code == 403
    assert response.json()["code"] == "trading_suspended"
    assert response.json()["message"] == "Trading is suspended by your account's configuration."
    assert not alice.orders.exists()
