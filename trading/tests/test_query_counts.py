"""Statements per request: the order path stays lean and lists do not grow with their length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trading.tests.factories import give_shares, make_stock, place

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "ACME", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1"}


# On PostgreSQL the trades and both ledgers' entries are one insert (core.db.insert_together);
# SQLite takes one insert each.
INSERTS = 1 if connection.vendor == "postgresql" else 3


def _statements(fn) -> int:
    """Statements run by fn, not counting the savepoint the test's transaction wraps it in."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return sum(1 for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"])


@pytest.fixture
def market(alice, bob):
    acme = make_stock("ACME", "100.00")
    give_shares(bob, acme, 100)
    place(bob, acme, "sell", 10, "101.00")
    place(alice, acme, "buy", 1, "99.00")
    return acme


def test_placing_a_resting_order_takes_eight_statements(market, alice, key_client):
    client = key_client(alice)
    client.get("/api/v1/account")  # the key's last-used stamp is written once a minute

    count = _statements(
        lambda: client.post("/api/v1/orders", {**ORDER, "limit_price": "99.00"}, format="json")
    )

    # key, suspension check, book lock, crossing orders, reserve, insert order, book level,
    # book counters
    assert count == 8


def test_cancelling_an_order_takes_seven_statements(market, alice, key_client):
    client = key_client(alice)
    order = client.post("/api/v1/orders", {**ORDER, "limit_price": "99.00"}, format="json")

    count = _statements(lambda: client.delete(f"/api/v1/orders/{order.json()['id']}"))

    # key, book lock, order, order update, release, book level, book counters
    assert count == 7
    # The last order of a level takes one more: the guarded decrement fails, a delete follows.
    last = client.post("/api/v1/orders", {**ORDER, "limit_price": "98.00"}, format="json")
    assert _statements(lambda: client.delete(f"/api/v1/orders/{last.json()['id']}")) == 8


def test_a_fill_takes_twelve_statements(market, alice, key_client):
    give_shares(alice, market, 1)  # a position in the stock already: the usual case
    client = key_client(alice)
    client.get("/api/v1/account")

    count = _statements(
        lambda: client.post("/api/v1/orders", {**ORDER, "limit_price": "101.00"}, format="json")
    )

    # key, suspension check, book lock, crossing orders, accounts locked, positions locked, the
    # order inserted with its maker updated (one upsert), positions, accounts (each once, cash
    # and reservation), the trade with the share and cash entries, book level, book counters
    assert count == 11 + INSERTS


def test_a_fill_into_a_first_position_adds_its_row(market, alice, key_client):
    client = key_client(alice)
    client.get("/api/v1/account")

    count = _statements(
        lambda: client.post("/api/v1/orders", {**ORDER, "limit_price": "101.00"}, format="json")
    )

    assert count == 13 + INSERTS  # + the new position inserted, then locked


def test_filling_three_makers_writes_them_in_the_same_statements(market, alice, bob, key_client):
    give_shares(alice, market, 1)
    for _ in range(3):
        place(bob, market, "sell", 1, "101.00")  # 10, 1, 1, 1 at 101.00
    client = key_client(alice)
    client.get("/api/v1/account")

    count = _statements(
        lambda: client.post(
            "/api/v1/orders", {**ORDER, "qty": "12", "limit_price": "101.00"}, format="json"
        )
    )

    # three makers filled (the level keeps one order), three trades: one statement a kind
    assert count == 11 + INSERTS


def test_a_bid_takes_six_to_eight_statements_whatever_the_auction_has_seen(alice, bob, key_client):
    from trading.auctions.services.create import auction_create

    make_stock("ACME", "140.00")  # bids up to 150.00 stay inside the collar
    lot = auction_create(seller=None, symbol="ACME", qty=10, reserve_price="95.00")
    first, second = key_client(alice), key_client(bob)
    first.get("/api/v1/account")
    second.get("/api/v1/account")
    url = f"/api/v1/auctions/{lot.pk}/bids"

    def bid(client, price):
        return lambda: client.post(url, {"max_price": price}, format="json")

    # key, auction locked (with its stock), account locked, reserve, insert bid, auction
    assert _statements(bid(first, "95.00")) == 6
    # + the leader read, and the leader outbid (its reservation and the new one: one UPDATE)
    assert _statements(bid(second, "97.00")) == 8
    # outbid at once: key, auction, leader, account, insert bid, auction (nothing reserved)
    assert _statements(bid(first, "96.00")) == 6
    # under the minimum: key, auction, leader, the bidder's recent refusals counted, the
    # refused bid kept
    assert _statements(bid(first, "90.00")) == 5
    # Many bids later, a bid costs the same: nothing is read per earlier bid.
    for i in range(20):
        bidder = (first, second)[i % 2]
        assert bid(bidder, f"{100 + 2 * i}.00")().status_code == 201
    assert _statements(bid(first, "150.00")) == 8


@pytest.mark.parametrize(
    "path", ["/api/v1/orders?status=all", "/api/v1/fills", "/api/v1/positions", "/api/v1/account"]
)
def test_a_list_costs_the_same_for_one_row_as_for_twenty(alice, bob, key_client, path):
    stocks = [make_stock(f"S{i:02d}", "50.00") for i in range(20)]
    for stock in stocks[:1]:
        give_shares(bob, stock, 1)
        place(bob, stock, "sell", 1, "50.00")
        place(alice, stock, "buy", 1, "50.00")
    client = key_client(alice)
    client.get(path)
    one = _statements(lambda: client.get(path))

    for stock in stocks[1:]:
        give_shares(bob, stock, 1)
        place(bob, stock, "sell", 1, "50.00")
        place(alice, stock, "buy", 1, "50.00")
    twenty = _statements(lambda: client.get(path))

    assert twenty == one


def test_listing_replaced_orders_reads_their_replacements_in_the_same_query(alice, key_client):
    from trading.services import order_replace

    acme = make_stock("ACME", "100.00")
    client = key_client(alice)
    order = place(alice, acme, "buy", 1, "90.00")
    order = order_replace(user=alice, order_id=order.id, limit_price="90.10")
    client.get("/api/v1/orders?status=all")
    one = _statements(lambda: client.get("/api/v1/orders?status=all"))

    for i in range(10):
        order = order_replace(user=alice, order_id=order.id, limit_price=f"90.{i + 20}")
    response = client.get("/api/v1/orders?status=all")
    ten = _statements(lambda: client.get("/api/v1/orders?status=all"))

    assert ten == one
    replaced = [o for o in response.json() if o["status"] == "replaced"]
    assert len(replaced) == 11 and all(o["replaced_by"] for o in replaced)


def test_cancelling_all_costs_the_same_for_one_order_as_for_twenty(alice, key_client):
    acme = make_stock("ACME", "100.00")
    client = key_client(alice)
    client.get("/api/v1/account")
    place(alice, acme, "buy", 1, "90.00")
    one = _statements(lambda: client.delete("/api/v1/orders"))

    for i in range(20):
        place(alice, acme, "buy", 1, f"90.{i:02d}")
    twenty = _statements(lambda: client.delete("/api/v1/orders"))

    # One symbol: each order is one UPDATE, and each emptied book level two statements.
    assert twenty == one + 19 + 2 * 19


def test_a_snapshot_costs_a_fixed_number_of_statements_a_symbol(alice, bob, key_client):
    """The heaviest market-data read: its cost grows by the same few statements per symbol
    (the data range read once for the three bars, the two daily bars in one read)."""
    for symbol in ("ACME", "BOLT", "CORE"):
        stock = make_stock(symbol, "100.00")
        give_shares(bob, stock, 10)
        for _ in range(3):
            place(bob, stock, "sell", 1, "100.00")
            place(alice, stock, "buy", 1, "100.00")
    client = key_client(alice)
    client.get("/api/v2/account")  # the key's last-used write, out of the way

    def snapshots(symbols):
        return lambda: client.get(f"/api/v2/stocks/snapshots?symbols={symbols}")

    one, three = _statements(snapshots("ACME")), _statements(snapshots("ACME,BOLT,CORE"))
    assert (three - one) / 2 == 15
