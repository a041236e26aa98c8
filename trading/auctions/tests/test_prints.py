"""Auction prints are told apart from trades: in candles, on the REST tape and on the stream."""

from __future__ import annotations

import pytest

from trading import broadcast
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_close
from trading.models import Position
from trading.tests.factories import give_shares

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(lot, alice, bob, clock, monkeypatch, django_capture_on_commit_callbacks):
    """The lot sold to alice at its close; the stream messages its close published."""
    published = []
    monkeypatch.setattr(broadcast, "publish_market", lambda *args: published.append(args))
    auction_bid_place(user=alice, auction_id=lot.pk, max_price="105.00")
    clock.now = lot.ends_at
    with django_capture_on_commit_callbacks(execute=True):
        auction_close(auction_id=lot.pk)
    clock.advance(60)
    return lot, published


def test_the_candle_holding_an_auction_print_says_so(sold, api_client):
    lot, _ = sold
    candles = api_client.get("/api/v1/stocks/ACME/candles?interval=1m").json()["candles"]

    traded = [c for c in candles if c["source"] == "trades"]
    assert [(c["trades"], c["auction_prints"], c["volume"]) for c in traded] == [(1, 1, 10)]
    assert {c["auction_prints"] for c in candles if c["source"] == "reference"} <= {0}


def test_a_bar_of_ordinary_trades_has_no_auction_print(acme, alice, bob, api_client):
    from trading.services import order_place

    give_shares(bob, acme, 5)
    order_place(
        user=bob,
        symbol="ACME",
        side="sell",
        type="limit",
        qty="5",
        limit_price="100",
        time_in_force="day",
    )
    order_place(
        user=alice,
        symbol="ACME",
        side="buy",
        type="limit",
        qty="5",
        limit_price="100",
        time_in_force="day",
    )

    candles = api_client.get("/api/v1/stocks/ACME/candles?interval=1m").json()["candles"]
    assert [(c["trades"], c["auction_prints"]) for c in candles] == [(1, 0)]


def test_the_tape_names_the_auction_a_print_closed(sold, key_client, alice):
    lot, _ = sold
    trades = key_client(alice).get("/api/v1/stocks/ACME/trades").json()
    assert [(t["qty"], t["auction_id"]) for t in trades] == [("10", lot.pk)]


def test_the_trades_stream_message_says_it_is_an_auction_print(sold, alice):
    lot, published = sold
    (symbol, _deltas, trades, _orders, positions), *_ = published
    # The winner's shares after the print, told with it (for trade_updates' position_qty).
    assert positions[alice.pk] == Position.objects.get(user=alice, stock=lot.stock).qty
    message = broadcast.trades_message(symbol, trades, ts=0)

    assert message["type"] == "trades"
    assert [(t["price"], t["qty"], t["auction_id"]) for t in message["trades"]] == [
        ("100.0000", "10", lot.pk)
    ]
    assert "buyer_fee" not in message["trades"][0]  # still the public tape
