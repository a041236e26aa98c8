"""Every bad order the issue lists gets a clear 4xx in the one error shape and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketdata.models import Stock
from trading.tests.factories import give_shares, make_stock, place
from trading.tests.snapshots import db_state

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"
GOOD = {"symbol": "ACME", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1"}


@pytest.fixture
def market(alice, bob):
    """ACME at 100.00 (band 90..110, tick 0.01) with a resting ask and a resting bid."""
    acme = make_stock("ACME", "100.00")
    make_stock("HALT", "10.00", status=Stock.Status.HALTED)
    give_shares(bob, acme, 10)
    give_shares(alice, acme, 3)
    place(bob, acme, "sell", 5, "101.00", client_order_id="bob-ask")
    place(alice, acme, "buy", 2, "99.00", client_order_id="alice-bid")
    return acme


def _assert_refused(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert field in body["fields"]


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"qty": "0"}, 400, "invalid_qty", "qty"),
        ({"qty": 0}, 400, "invalid_qty", "qty"),
        ({"qty": "-5"}, 400, "invalid_qty", "qty"),
        ({"qty": -5}, 400, "invalid_qty", "qty"),
        ({"qty": "1.5"}, 400, "invalid_qty", "qty"),
        ({"qty": 1.5}, 400, "invalid_qty", "qty"),
        ({"qty": "abc"}, 400, "invalid_qty", "qty"),
        ({"qty": "1e30"}, 400, "invalid_qty", "qty"),
        ({"qty": 1e30}, 400, "invalid_qty", "qty"),
        ({"qty": "NaN"}, 400, "invalid_qty", "qty"),
        ({"qty": "Infinity"}, 400, "invalid_qty", "qty"),
        ({"qty": "1e-999999999"}, 400, "invalid_qty", "qty"),
        ({"qty": ""}, 400, "invalid_qty", "qty"),
        ({"qty": True}, 400, "invalid_qty", "qty"),
        ({"qty": [1]}, 400, "invalid_qty", "qty"),
        ({"qty": None}, 400, "invalid_request", "qty"),
        ({"qty": "9" * 41}, 400, "invalid_qty", "qty"),
        ({"limit_price": "NaN"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "nan"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "Infinity"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "-Infinity"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "-100.00"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "0"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "100.005"}, 422, "price_off_tick", "limit_price"),
        ({"limit_price": 100.005}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "abc"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "120.00"}, 422, "price_outside_band", "limit_price"),
        ({"limit_price": "89.99"}, 422, "price_outside_band", "limit_price"),
        ({"limit_price": "1e400"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "1e-400"}, 400, "invalid_price", "limit_price"),
        ({"limit_price": "100.0000000000000000000000000001"}, 400, "invalid_price", None),
        ({"limit_price": "100." + "0" * 40}, 400, "invalid_price", "limit_price"),
        ({"type": "limit", "limit_price": None}, 422, "limit_price_required", "limit_price"),
        ({"type": "market", "limit_price": "100.00"}, 422, "limit_price_not_allowed", None),
        ({"symbol": "NOPE"}, 422, "unknown_symbol", "symbol"),
        ({"symbol": ""}, 400, "invalid_request", "symbol"),
        ({"symbol": "HALT", "limit_price": "10.00"}, 422, "symbol_halted", None),
        ({"side": "hold"}, 400, "invalid_side", "side"),
        ({"type": "stop"}, 400, "invalid_type", "type"),
        ({"time_in_force": "forever"}, 400, "invalid_time_in_force", "time_in_force"),
        (
            {"time_in_force": "fok", "qty": "6", "limit_price": "101.00"},
            422,
            "fok_not_fillable",
            None,
        ),
        ({"side": "sell", "qty": "4", "limit_price": "100.00"}, 403, "insufficient_qty", "qty"),
        ({"qty": "2000"}, 403, "insufficient_buying_power", None),
        ({"client_order_id": "alice-bid"}, 422, "duplicate_client_order_id", "client_order_id"),
        ({"client_order_id": "x" * 129}, 400, "invalid_request", "client_order_id"),
    ],
    ids=lambda v: repr(v)[:60] if isinstance(v, dict) else None,
)
def test_a_bad_order_is_refused_with_its_code_and_changes_nothing(
    market, alice, key_client, changes, status, code, field
):
    client = key_client(alice)
    body = {**GOOD, "limit_price": "100.00", **changes}
    before = db_state()

    response = client.post(ORDERS, body, format="json")

    _assert_refused(response, status, code, field)
    assert db_state() == before


@pytest.mark.parametrize(
    "raw",
    [
        b'{"symbol": "ACME", "qty": ',
        b"not json at all",
        b'{"symbol": "ACME", "side": "buy", "qty": 1, "type": "limit", "limit_price": NaN}',
        b'{"symbol": "ACME", "side": "buy", "qty": Infinity}',
        b"\xff\xfe\x00",
    ],
)
def test_a_malformed_json_body_is_a_400_never_a_500(market, alice, key_client, raw):
    before = db_state()

    response = key_client(alice).post(ORDERS, raw, content_type="application/json")

    _assert_refused(response, 400, "malformed_request")
    assert db_state() == before


@pytest.mark.parametrize("raw", [b"[]", b'"a string"', b"null", b"42"])
def test_a_json_body_that_is_not_an_object_is_a_400(market, alice, key_client, raw):
    before = db_state()

    response = key_client(alice).post(ORDERS, raw, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
    assert db_state() == before


def test_cancelling_someone_elses_order_is_a_404_that_reveals_nothing(market, bob, key_client):
    from trading.models import Order

    alices = Order.objects.get(client_order_id="alice-bid")
    before = db_state()

    response = key_client(bob).delete(f"{ORDERS}/{alices.id}")

    _assert_refused(response, 404, "not_found")
    # The same answer as for an id that does not exist at all.
    missing = key_client(bob).delete(f"{ORDERS}/00000000-0000-0000-0000-000000000000")
    assert missing.json() == response.json()
    assert db_state() == before


@pytest.mark.parametrize("order_id", ["not-a-uuid", "1"])
def test_an_order_id_that_is_not_a_uuid_is_a_404(market, alice, key_client, order_id):
    response = key_client(alice).delete(f"{ORDERS}/{order_id}")

    _assert_refused(response, 404, "not_found")


def test_a_nul_in_an_order_id_is_refused_before_any_lookup(market, alice, key_client):
    response = key_client(alice).delete(f"{ORDERS}/%00")

    _assert_refused(response, 400, "invalid_characters")


def test_cancelling_a_filled_order_is_refused_and_changes_nothing(market, alice, key_client):
    client = key_client(alice)
    filled = client.post(ORDERS, {**GOOD, "qty": "5", "limit_price": "101.00"}, format="json")
    assert filled.json()["status"] == "filled"
    before = db_state()

    response = client.delete(f"{ORDERS}/{filled.json()['id']}")

    _assert_refused(response, 422, "order_not_cancelable")
    assert db_state() == before


def test_cancelling_a_cancelled_order_again_is_refused(market, alice, key_client):
    client = key_client(alice)
    placed = client.post(ORDERS, {**GOOD, "limit_price": "98.00"}, format="json").json()
    assert client.delete(f"{ORDERS}/{placed['id']}").status_code == 204

    response = client.delete(f"{ORDERS}/{placed['id']}")

    _assert_refused(response, 422, "order_not_cancelable")


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"qty": "0"}, 400, "invalid_qty"),
        ({"qty": "abc"}, 400, "invalid_qty"),
        ({"limit_price": "NaN"}, 400, "invalid_price"),
        ({"limit_price": "500.00"}, 422, "price_outside_band"),
        ({"qty": "5000"}, 403, "insufficient_buying_power"),
        ({"time_in_force": "always"}, 400, "invalid_time_in_force"),
        ({"qty": "3", "client_order_id": "bob-ask"}, 200, None),  # another user's id: no clash
        ({"qty": "3", "client_order_id": "alice-bid"}, 422, "duplicate_client_order_id"),
        ({}, 422, "nothing_to_replace"),
    ],
)
def test_a_bad_replace_is_refused_and_leaves_the_old_order_open(
    market, alice, key_client, changes, status, code
):
    from trading.models import Order

    bid = Order.objects.get(client_order_id="alice-bid")
    before = db_state()

    response = key_client(alice).patch(f"{ORDERS}/{bid.id}", changes, format="json")

    if code is None:
        assert response.status_code == status
        return
    _assert_refused(response, status, code)
    assert db_state() == before


def test_a_limit_price_with_trailing_zeros_on_the_tick_is_accepted(market, alice, key_client):
    response = key_client(alice).post(ORDERS, {**GOOD, "limit_price": "99.5000000"}, format="json")

    assert response.status_code == 200
    assert Decimal(response.json()["limit_price"]) == Decimal("99.5")
