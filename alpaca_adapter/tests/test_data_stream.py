"""The `/v2/iex` data stream in-process: Alpaca's protocol over our trades, book and bars."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import msgpack
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from alpaca_adapter.streams import market_data as data_stream
from brokerage.asgi import application
from streams.tests.conftest import in_thread, place
from trading.models import Trade
from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


class Client:
    """A data-stream client speaking JSON, or msgpack when it says so at the handshake."""

    def __init__(self, binary: bool = False) -> None:
        headers = [(b"content-type", b"application/msgpack")] if binary else []
        self.binary = binary
        self.ws = WebsocketCommunicator(application, "/v2/iex", headers=headers)

    async def __aenter__(self) -> Client:
        connected, _ = await self.ws.connect(timeout=5)
        assert connected
        assert await self.receive() == [{"T": "success", "msg": "connected"}]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.disconnect()

    async def send(self, message: dict) -> None:
        if self.binary:
            await self.ws.send_to(bytes_data=msgpack.packb(message))
        else:
            await self.ws.send_to(text_data=json.dumps(message))

    async def receive(self, timeout: float = 5) -> list[dict]:
        frame = await self.ws.receive_output(timeout)
        assert frame["type"] == "websocket.send", frame
        if self.binary:
            return msgpack.unpackb(frame["bytes"])
        return json.loads(frame["text"])

    async def auth(self, user) -> None:
        key_id, secret = await in_thread(api_key)(user)
        await self.send({"action": "auth", "key": key_id, "secret": secret})
        assert await self.receive() == [{"T": "success", "msg": "authenticated"}]


def api_key(user) -> tuple[str, str]:
    from accounts.services import api_key_create

    key, secret = api_key_create(user=user, name="data stream")
    return key.key_id, secret


def test_a_client_gets_our_trades_and_the_top_of_our_book_as_it_moves(alice, bob):
    zda = make_stock("ZDA", "100.00")
    give_shares(bob, zda, 100)

    async def scenario():
        async with Client() as client:
            await client.send({"action": "subscribe", "trades": ["ZDA"]})
            assert await client.receive() == [
                {"T": "error", "code": 401, "msg": "not authenticated"}
            ]
            await client.auth(alice)
            await client.send({"action": "subscribe", "trades": ["zda"], "quotes": ["ZDA"]})
            subscription = (await client.receive())[0]
            assert subscription["T"] == "subscription"
            assert subscription["trades"] == subscription["quotes"] == ["ZDA"]
            assert subscription["bars"] == [] and subscription["corrections"] == ["ZDA"]

            await in_thread(place)(bob, zda, "sell", 10, "101.00")
            [quote] = await client.receive()
            await in_thread(place)(alice, zda, "buy", 4, "101.00")
            trade_frame = await client.receive()
            await in_thread(place)(alice, zda, "buy", 1, "99.00")
            [bid] = await client.receive()
            assert await client.ws.receive_nothing(0.3)
            return quote, trade_frame, bid

    quote, trade_frame, bid = run(scenario)
    assert quote["T"] == "q" and quote["S"] == "ZDA"
    assert (quote["bp"], quote["bs"], quote["ap"], quote["as"]) == (0, 0, 101.0, 10)
    assert quote["t"].endswith("Z") and quote["ax"] == "D"
    # The fill is a trade, and it moved the ask's size: one frame with both.
    trade, moved = trade_frame
    executed = Trade.objects.get(stock=zda)
    assert trade == {
        "T": "t",
        "S": "ZDA",
        "t": executed.executed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "x": "D",
        "p": 101.0,
        "s": 4,
        "c": ["@"],
        "i": executed.seq,
    }
    assert (moved["T"], moved["ap"], moved["as"]) == ("q", 101.0, 6)
    assert (bid["bp"], bid["bs"], bid["ap"], bid["as"]) == (99.0, 1, 101.0, 6)


def test_a_msgpack_client_is_answered_in_msgpack_with_msgpack_times(alice, bob):
    zdb = make_stock("ZDB", "100.00")
    give_shares(bob, zdb, 10)

    async def scenario():
        async with Client(binary=True) as client:
            await client.auth(alice)
            await client.send({"action": "subscribe", "trades": ["ZDB"]})
            assert (await client.receive())[0]["trades"] == ["ZDB"]
            await in_thread(place)(bob, zdb, "sell", 2, "100.00")
            await in_thread(place)(alice, zdb, "buy", 2, "100.00")
            [trade] = await client.receive()
            await client.send({"action": "unsubscribe", "trades": ["ZDB"]})
            assert (await client.receive())[0]["trades"] == []
            await in_thread(place)(bob, zdb, "sell", 1, "100.00")
            await in_thread(place)(alice, zdb, "buy", 1, "100.00")
            assert await client.ws.receive_nothing(0.5)
            return trade

    trade = run(scenario)
    assert isinstance(trade["t"], msgpack.Timestamp)
    assert trade["t"].to_datetime() == Trade.objects.get(stock=zdb, seq=1).executed_at
    assert (trade["p"], trade["s"]) == (100.0, 2)


def test_each_closed_minute_brings_its_bar_and_the_days_bar(alice, bob, monkeypatch):
    zdc = make_stock("ZDC", "100.00")
    give_shares(bob, zdc, 10)
    place(bob, zdc, "sell", 3, "100.00")
    place(alice, zdc, "buy", 3, "100.00")
    minute = datetime(2026, 1, 6, 15, 1, tzinfo=UTC)
    Trade.objects.filter(stock=zdc).update(executed_at=minute + timedelta(seconds=30))
    monkeypatch.setattr(data_stream, "seconds_until_next_bar", lambda: 0.05)
    monkeypatch.setattr(data_stream, "closed_minute", lambda: minute)

    async def scenario():
        async with Client() as client:
            await client.auth(alice)
            await client.send({"action": "subscribe", "bars": ["ZDC"], "dailyBars": ["ZDC"]})
            await client.receive()
            frame = await client.receive()
            assert await client.ws.receive_nothing(0.3)  # each minute once
            return frame

    bar, daily = run(scenario)
    assert bar == {
        "T": "b",
        "S": "ZDC",
        "t": "2026-01-06T15:01:00Z",
        "o": 100.0,
        "h": 100.0,
        "l": 100.0,
        "c": 100.0,
        "v": 3,
        "n": 1,
        "vw": 100.0,
    }
    assert (daily["T"], daily["t"], daily["v"]) == ("d", "2026-01-06T05:00:00Z", 3)


def test_bad_keys_wildcards_and_junk_are_refused_with_alpacas_codes(alice):
    async def scenario():
        async with Client() as client:
            await client.send({"action": "auth", "key": "BKnope", "secret": "wrong"})
            assert await client.receive() == [{"T": "error", "code": 402, "msg": "auth failed"}]
            assert (await client.ws.receive_output(5))["type"] == "websocket.close"
        async with Client() as client:
            await client.auth(alice)
            await client.send({"action": "auth", "key": "x", "secret": "y"})
            assert (await client.receive())[0]["code"] == 403
            await client.send({"action": "subscribe", "trades": ["*"]})
            assert (await client.receive())[0]["code"] == 410
            await client.ws.send_to(text_data="not json")
            assert (await client.receive())[0]["code"] == 400
            await client.send({"action": "subscribe", "quotes": "AAPL"})
            assert (await client.receive())[0]["code"] == 400

    run(scenario)
