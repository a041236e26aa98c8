"""Every websocket endpoint bounds one socket: a flood is closed with 4008 and its queue
dropped; deep nesting or junk costs one error answer, not the socket; a consumer that dies
still releases its relay groups and watched symbols; `/stream` authenticates once."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from alpaca_adapter.tests.test_data_stream import Client, api_key
from brokerage.asgi import application
from core.redis import redis_client
from streams import guard
from streams.relay import relay
from streams.tests.conftest import BROWSER_HEADERS, LAYER_PREFIX, in_thread
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


async def flood(ws: WebsocketCommunicator, frames: int, frame: str) -> dict:
    """Queue `frames` frames without reading any answer; return the first close sent."""
    for _ in range(frames):
        await ws.send_to(text_data=frame)
    while True:
        out = await ws.receive_output(5)
        if out["type"] == "websocket.close":
            return out


@pytest.mark.parametrize(
    "path, frame",
    [
        ("/ws/", '{"action": "ping"}'),
        ("/stream", '{"action": "listen", "data": {"streams": []}}'),
        ("/v2/iex", '{"action": "subscribe", "trades": ["AAPL"]}'),
    ],
)
def test_a_flooding_socket_is_closed_with_4008_and_its_queue_dropped(db, path, frame):
    async def scenario():
        ws = WebsocketCommunicator(application, path, headers=BROWSER_HEADERS)
        assert (await ws.connect(timeout=5))[0]
        before = guard.stats["flood_closed_queue"]
        closed = await flood(ws, 5000, frame)
        inbox = ws.input_queue
        left = inbox.qsize()
        await ws.disconnect()
        return closed, left, guard.stats["flood_closed_queue"] - before

    closed, left, counted = run(scenario)
    assert closed == {"type": "websocket.close", "code": 4008}
    assert left <= 1  # the 5,000 frames were dropped at once, not kept until read
    assert counted == 1


def test_deep_nesting_and_junk_on_the_data_stream_cost_an_answer_not_the_socket(alice):
    make_stock("AAPL", "270.00")

    async def scenario():
        async with Client() as client:
            await client.auth(alice)
            await client.ws.send_to(text_data="[" * 50_000)  # over the frame limit
            assert (await client.receive())[0]["code"] == 400
            await client.ws.send_to(text_data="[" * 20_000)  # under it: the parser recurses
            assert (await client.receive())[0]["code"] == 400
            await client.send({"action": "subscribe", "trades": ["AAPL", "NOSUCH"]})
            answer = (await client.receive())[0]
            assert answer["T"] == "subscription" and answer["trades"] == ["AAPL"]

    run(scenario)


def test_a_consumer_that_dies_still_releases_its_groups_and_watched_symbols(alice):
    make_stock("AAPL", "270.00")
    make_stock("MSFT", "480.00")

    async def scenario():
        client = Client()
        await client.__aenter__()
        await client.auth(alice)
        await client.send({"action": "subscribe", "trades": ["AAPL"], "quotes": ["MSFT"]})
        await client.receive()
        held = {g: len(m) for g, m in relay().members.items() if m}
        subscribed = redis_subscriptions()
        # Kill it as a crash would: the consumer's task ends with an exception, not a
        # websocket.disconnect.
        client.ws.future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await client.ws.future
        await asyncio.sleep(0.3)
        left = {g: len(m) for g, m in relay().members.items() if m}
        return held, subscribed, left, redis_subscriptions()

    def redis_subscriptions() -> dict[str, int]:
        """Redis subscribers of each group's pub/sub channel (the layer's group membership)."""
        groups = ("market.AAPL", "market.MSFT")
        counts = redis_client().pubsub_numsub(*(f"{LAYER_PREFIX}__group__{g}" for g in groups))
        return {group: count for group, (_, count) in zip(groups, counts, strict=True)}

    before = guard.stats["crashed_released"]
    held, subscribed, left, unsubscribed = run(scenario)
    assert held == {"market.AAPL": 1, "market.MSFT": 1}
    assert subscribed == {"market.AAPL": 1, "market.MSFT": 1}
    assert left == {}
    assert unsubscribed == {"market.AAPL": 0, "market.MSFT": 0}
    assert guard.stats["crashed_released"] == before + 1


def test_the_trading_stream_authenticates_once_and_survives_junk(alice, bob):
    async def scenario():
        ws = WebsocketCommunicator(application, "/stream")
        assert (await ws.connect(timeout=5))[0]
        replies = []

        async def say(message) -> dict:
            await ws.send_to(text_data=message if isinstance(message, str) else json.dumps(message))
            reply = json.loads((await ws.receive_output(5))["text"])
            replies.append(reply)
            return reply

        for user in (alice, bob):
            key_id, secret = await in_thread(api_key)(user)
            await say({"action": "authenticate", "data": {"key_id": key_id, "secret_key": secret}})
        await say({"action": "listen", "data": 5})
        await say({"action": "listen", "data": {"streams": 5}})
        await say({"action": "authenticate", "data": {"key_id": "BK\u0000x", "secret_key": "s"}})
        await say("{" * 10_000)
        await ws.disconnect()
        return replies

    replies = run(scenario)
    assert replies[0]["data"]["status"] == "authorized"
    assert replies[1] == {"stream": "error", "data": {"error": "already authenticated"}}
    assert (
        replies[2]["stream"] == "error" and "data must be an object" in replies[2]["data"]["error"]
    )
    assert (
        replies[3]["stream"] == "error" and "streams must be a list" in replies[3]["data"]["error"]
    )
    assert replies[4] == {"stream": "error", "data": {"error": "already authenticated"}}
    assert replies[5]["stream"] == "error"


def test_a_nul_in_a_key_id_matches_no_key_and_reaches_no_query(alice):
    from accounts.services import api_key_authenticate

    assert api_key_authenticate(key_id="BK\u0000abc", secret="x") is None
    assert api_key_authenticate(key_id="x" * 10_000, secret="x") is None


def test_a_socket_that_holds_nothing_and_says_nothing_is_closed_when_idle(db, settings):
    settings.WS_IDLE_SECONDS = 1.0

    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/", headers=BROWSER_HEADERS)
        assert (await ws.connect(timeout=5))[0]
        await ws.receive_json_from(timeout=5)  # hello
        out = await ws.receive_output(timeout=5)
        await ws.disconnect()
        return out

    before = guard.stats["idle_closed"]
    assert run(scenario) == {"type": "websocket.close", "code": 4000}
    assert guard.stats["idle_closed"] == before + 1
