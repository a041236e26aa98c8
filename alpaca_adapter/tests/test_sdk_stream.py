"""alpaca-py's TradingStream on a live daphne's `/stream`: a bot receives its own fills."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import msgpack
import pytest
import websockets
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest
from alpaca.trading.stream import TradingStream

from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.integration


def wait_until(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_trading_stream_receives_the_bots_own_order_updates_and_fills(
    daphne, trading_client, api_key, make_user
):
    stock = make_stock("ACME", "100.00")
    alice, bob = make_user("alice"), make_user("bob")
    give_shares(bob, stock, 100)
    key_id, secret = api_key(alice)
    stream = TradingStream(
        key_id, secret, paper=True, url_override=daphne.ws.replace("/ws/", "/stream")
    )
    updates = []

    async def on_update(update):
        updates.append(update)

    stream.subscribe_trade_updates(on_update)
    thread = threading.Thread(target=stream.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: stream._running), daphne.output()
        time.sleep(1)  # the listen request is answered after the server joined the group
        buyer, seller = trading_client(alice), trading_client(bob)
        ask = seller.submit_order(
            LimitOrderRequest(
                symbol="ACME",
                qty=10,
                side=OrderSide.SELL,
                time_in_force=TimeInForce.GTC,
                limit_price=100,
            )
        )
        market = buyer.submit_order(
            MarketOrderRequest(
                symbol="ACME", qty=4, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
            )
        )
        limit = buyer.submit_order(
            LimitOrderRequest(
                symbol="ACME",
                qty=10,
                side=OrderSide.BUY,
                time_in_force=TimeInForce.GTC,
                limit_price=100,
            )
        )
        buyer.cancel_order_by_id(limit.id)
        assert wait_until(lambda: len(updates) >= 5), (updates, daphne.output())
    finally:
        stream.stop()
        thread.join(timeout=15)
    seen = [(u.event, u.order.id, u.qty, u.position_qty) for u in updates]
    assert seen == [
        ("new", market.id, None, None),
        ("fill", market.id, 4.0, 4.0),
        ("new", limit.id, None, None),
        ("partial_fill", limit.id, 6.0, 10.0),
        ("canceled", limit.id, None, None),
    ]
    fill = updates[1]
    assert fill.price == 100.0 and fill.execution_id is not None
    assert fill.timestamp.tzinfo is not None and fill.order.status == "filled"
    assert ask.id not in {u.order.id for u in updates}  # bob's order is not on alice's stream


def test_the_stream_speaks_msgpack_to_a_msgpack_client_and_refuses_a_bad_key(
    daphne, api_key, make_user
):
    key_id, secret = api_key(make_user("alice"))
    url = daphne.ws.replace("/ws/", "/stream")

    async def scenario():
        async with websockets.connect(url) as ws:
            await ws.send(
                msgpack.packb(
                    {"action": "authenticate", "data": {"key_id": key_id, "secret_key": secret}}
                )
            )
            reply = msgpack.unpackb(await ws.recv())
            assert reply == {
                "stream": "authorization",
                "data": {"status": "authorized", "action": "authenticate"},
            }
            await ws.send(
                msgpack.packb({"action": "listen", "data": {"streams": ["trade_updates"]}})
            )
            assert msgpack.unpackb(await ws.recv()) == {
                "stream": "listening",
                "data": {"streams": ["trade_updates"]},
            }
        async with websockets.connect(url) as ws:
            await ws.send(
                json.dumps(
                    {"action": "authenticate", "data": {"key_id": key_id, "secret_key": "wrong"}}
                )
            )
            assert json.loads(await ws.recv())["data"]["status"] == "unauthorized"
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(daphne.ws.replace("/ws/", "/nowhere")):
                pass

    asyncio.run(scenario())
