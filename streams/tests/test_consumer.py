"""The /ws/ consumer against the real ASGI application and the configured Redis channel layer."""

from __future__ import annotations

import contextlib
import time

import pytest
from asgiref.sync import async_to_sync

from core import streams as core_streams
from core.redis import redis_client
from marketdata import streams as md_streams
from streams.tests.conftest import (
    api_key_headers,
    in_thread,
    open_socket,
    place,
    rest_book,
    session_cookie,
)
from trading import broadcast
from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


def levels(side: list[dict]) -> list[tuple[str, str]]:
    return [(lvl["price"], lvl["qty"]) for lvl in side]


def test_a_book_subscriber_gets_a_snapshot_then_one_delta_per_order(alice, bob):
    zwa = make_stock("ZWA", "100.00")
    give_shares(bob, zwa, 20)
    place(bob, zwa, "sell", 10, "101.00")
    place(bob, zwa, "sell", 10, "102.00")

    async def scenario():
        async with open_socket() as ws:
            acked, snapshot = await ws.subscribe("book", "zwa")
            assert acked == {"type": "subscribed", "channel": "book", "symbol": "ZWA"}
            assert snapshot["type"] == "book.snapshot"
            assert snapshot["seq"] == 2
            assert levels(snapshot["asks"]) == [("101.0000", "10"), ("102.0000", "10")]

            # One order sweeps a level and eats into the next: one message, both levels.
            await in_thread(place)(alice, zwa, "buy", 15, "102.00")
            delta = await ws.receive()
            assert await ws.nothing()
            return delta

    delta = run(scenario)
    assert delta["type"] == "book.delta"
    assert (delta["symbol"], delta["first_seq"], delta["seq"]) == ("ZWA", 3, 4)
    assert [(lvl["seq"], lvl["side"], lvl["price"], lvl["qty"]) for lvl in delta["levels"]] == [
        (3, "sell", "101.0000", "0"),
        (4, "sell", "102.0000", "5"),
    ]
    assert isinstance(delta["ts"], float)
    assert rest_book(zwa)["seq"] == 4


def test_trades_arrive_as_one_message_per_order_without_private_details(alice, bob):
    zwa = make_stock("ZWA", "100.00")
    give_shares(bob, zwa, 20)
    place(bob, zwa, "sell", 10, "101.00")
    place(bob, zwa, "sell", 10, "102.00")

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("trades", "ZWA")
            assert snapshot == {
                "type": "trades.snapshot",
                "symbol": "ZWA",
                "seq": 0,
                "trades": [],
                "day": {"volume": 0, "high": None, "low": None},
            }
            await in_thread(place)(alice, zwa, "buy", 15, "102.00")
            message = await ws.receive()
            assert await ws.nothing()
            _, later = await ws.subscribe("trades", "ZWA")  # subscribing again starts afresh
            return message, later

    message, later = run(scenario)
    assert message["type"] == "trades"
    assert (message["first_seq"], message["seq"]) == (1, 2)
    assert [(t["seq"], t["price"], t["qty"], t["taker_side"]) for t in message["trades"]] == [
        (1, "101.0000", "10", "buy"),
        (2, "102.0000", "5", "buy"),
    ]
    assert all(set(t) == set(message["trades"][0]) for t in message["trades"])
    assert not {"buy_order_id", "sell_order_id", "buyer_fee", "seller_fee"} & set(
        message["trades"][0]
    )
    assert later["seq"] == 2
    assert [t["seq"] for t in later["trades"]] == [2, 1]
    # The day so far as of the snapshot's seq: the markets page folds the later trades onto it.
    assert later["day"] == {"volume": 15, "high": "102.0000", "low": "101.0000"}


def _fake_delta(seq: int, price: str, qty: int) -> dict:
    return {"seq": seq, "side": "buy", "price": price, "qty": qty}


def test_deltas_published_out_of_commit_order_reach_the_client_in_seq_order():
    make_stock("ZWB", "50.00")

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("book", "ZWB")
            assert snapshot["seq"] == 0
            # Two commits whose on_commit publishers raced: the second reaches Redis first.
            await in_thread(broadcast.publish_market)("ZWB", [_fake_delta(3, "49.00", 7)], [], [])
            await in_thread(broadcast.publish_market)(
                "ZWB", [_fake_delta(1, "49.50", 5), _fake_delta(2, "49.40", 3)], [], []
            )
            first, second = await ws.receive(), await ws.receive()
            assert await ws.nothing()
            return first, second

    first, second = run(scenario)
    assert (first["first_seq"], first["seq"]) == (1, 2)
    assert (second["first_seq"], second["seq"]) == (3, 3)


def test_deltas_already_in_the_snapshot_are_not_sent_again(alice):
    zwb = make_stock("ZWB", "50.00")
    place(alice, zwb, "buy", 5, "49.50")

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("book", "ZWB")
            assert snapshot["seq"] == 1
            # A publisher that was slow: its change is already in the snapshot.
            await in_thread(broadcast.publish_market)("ZWB", [_fake_delta(1, "49.50", 5)], [], [])
            return await ws.nothing(timeout=1)

    assert run(scenario)


def test_a_lost_delta_is_repaired_by_a_fresh_snapshot(alice, monkeypatch):
    zwc = make_stock("ZWC", "20.00")

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("book", "ZWC")
            assert snapshot["seq"] == 0
            published = broadcast.publish_market
            monkeypatch.setattr(broadcast, "publish_market", lambda *args: None)
            await in_thread(place)(alice, zwc, "buy", 5, "19.50")  # its message is lost
            monkeypatch.setattr(broadcast, "publish_market", published)
            await in_thread(place)(alice, zwc, "buy", 3, "19.40")
            # Held back, waiting for seq 1, which never comes: a fresh snapshot instead.
            repaired = await ws.receive(timeout=5)
            assert await ws.nothing(timeout=1.5)
            return repaired

    repaired = run(scenario)
    assert repaired["type"] == "book.snapshot"
    assert repaired["seq"] == 2
    assert levels(repaired["bids"]) == [("19.5000", "5"), ("19.4000", "3")]
    assert repaired == {"type": "book.snapshot", "depth": 1000, **rest_book(zwc)}


def test_the_book_depth_can_be_limited(alice):
    zwc = make_stock("ZWC", "20.00")
    for price in ("19.50", "19.40", "19.30"):
        place(alice, zwc, "buy", 1, price)

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("book", "ZWC", depth=2)
            return snapshot

    snapshot = run(scenario)
    assert (snapshot["depth"], snapshot["seq"]) == (2, 3)
    assert levels(snapshot["bids"]) == [("19.5000", "1"), ("19.4000", "1")]


def test_the_orders_channel_refuses_a_socket_without_authentication():
    async def scenario():
        async with open_socket() as ws:
            assert ws.hello["user"] is None
            await ws.send({"action": "subscribe", "channel": "orders"})
            error = await ws.receive()
            await ws.send({"action": "ping"})
            return error, await ws.receive()

    error, pong = run(scenario)
    assert error["type"] == "error" and error["code"] == "auth_required"
    assert pong["type"] == "pong"


def test_each_user_gets_their_own_order_updates_and_fills_and_nobody_elses(alice, bob, charlie):
    zwd = make_stock("ZWD", "10.00")
    give_shares(bob, zwd, 100)
    alice_cookie = session_cookie(alice)
    bob_key = api_key_headers(bob)
    from accounts.services import api_key_create

    charlie_key, charlie_secret = api_key_create(user=charlie, name="charlie bot")

    async def scenario():
        async with (
            open_socket(alice_cookie) as a,
            open_socket(bob_key) as b,
            open_socket() as c,
        ):
            assert (a.hello["user"], a.hello["auth"]) == ("alice", "session")
            assert (b.hello["user"], b.hello["auth"]) == ("bob", "api_key")
            await c.send(
                {"action": "auth", "key_id": charlie_key.key_id, "secret_key": charlie_secret}
            )
            assert (await c.receive())["type"] == "authenticated"
            for ws in (a, b, c):
                await ws.subscribe("orders")

            ask = await in_thread(place)(bob, zwd, "sell", 30, "10.10")
            bob_new = await b.receive()
            bid = await in_thread(place)(alice, zwd, "buy", 20, "10.20")
            alice_fill, bob_fill = await a.receive(), await b.receive()
            nothing = [await ws.nothing(timeout=1) for ws in (a, b, c)]
            return ask, bid, bob_new, alice_fill, bob_fill, nothing

    ask, bid, bob_new, alice_fill, bob_fill, nothing = run(scenario)
    assert nothing == [True, True, True]
    assert bob_new["type"] == "orders"
    assert [(e["event"], e["order"]["id"], e["order"]["status"]) for e in bob_new["events"]] == [
        ("new", str(ask.id), "new")
    ]
    [mine] = alice_fill["events"]
    assert (mine["event"], mine["order"]["id"], mine["order"]["status"]) == (
        "fill",
        str(bid.id),
        "filled",
    )
    assert [(f["side"], f["price"], f["qty"], f["liquidity"]) for f in mine["fills"]] == [
        ("buy", "10.1000", "20", "taker")
    ]
    [theirs] = bob_fill["events"]
    assert (theirs["event"], theirs["order"]["id"], theirs["order"]["status"]) == (
        "partial_fill",
        str(ask.id),
        "partially_filled",
    )
    assert (theirs["order"]["id"], theirs["order"]["status"], theirs["order"]["filled_qty"]) == (
        str(ask.id),
        "partially_filled",
        "20",
    )
    assert [(f["side"], f["liquidity"]) for f in theirs["fills"]] == [("sell", "maker")]
    # Neither side's message names the other's order.
    assert str(ask.id) not in str(alice_fill) and str(bid.id) not in str(bob_fill)


def test_a_wrong_api_key_in_the_headers_closes_the_socket(alice):
    headers = [(b"apca-api-key-id", b"BKNOPE"), (b"apca-api-secret-key", b"nope")]

    async def scenario():
        from channels.testing import WebsocketCommunicator

        from brokerage.asgi import application
        from streams.tests.conftest import BROWSER_HEADERS

        communicator = WebsocketCommunicator(
            application, "/ws/", headers=[*BROWSER_HEADERS, *headers]
        )
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        error = await communicator.receive_json_from(timeout=5)
        closed = await communicator.receive_output(timeout=5)
        await communicator.wait()
        return error, closed

    error, closed = run(scenario)
    assert error["code"] == "auth_failed"
    assert closed == {"type": "websocket.close", "code": 4401}


def test_a_wrong_api_key_in_a_message_is_an_error_not_a_sign_in(alice):
    async def scenario():
        async with open_socket() as ws:
            await ws.send({"action": "auth", "key_id": "BKNOPE", "secret_key": "nope", "id": 7})
            error = await ws.receive()
            await ws.send({"action": "subscribe", "channel": "orders"})
            return error, await ws.receive()

    error, refused = run(scenario)
    assert (error["code"], error["id"]) == ("auth_failed", 7)
    assert refused["code"] == "auth_required"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"action": "dance"}', "unknown_action"),
        ('{"action": "subscribe", "channel": "gossip", "symbol": "ZWE"}', "unknown_channel"),
        ('{"action": "subscribe", "channel": "book", "symbol": "NOPE"}', "unknown_symbol"),
        ('{"action": "subscribe", "channel": "book", "symbol": "../../x"}', "unknown_symbol"),
        ('{"action": "subscribe", "channel": "book"}', "unknown_symbol"),
        ('{"action": "subscribe", "channel": "auction", "auction_id": "x"}', "unknown_auction"),
        ('{"action": "subscribe", "channel": "book", "symbol": "ZWE", "depth": 0}', "bad_depth"),
        ('{"action": "unsubscribe", "channel": "book", "symbol": "ZWE"}', "not_subscribed"),
        ('{"action": "auth", "key_id": 5}', "bad_auth"),
        (
            '{"action": "subscribe", "channel": "quotes", "symbol": "ZWE", "pad": "'
            + "x" * 5000
            + '"}',
            "frame_too_large",
        ),
    ],
)
def test_a_bad_message_gets_an_error_and_the_socket_keeps_working(frame, code):
    make_stock("ZWE", "5.00")

    async def scenario():
        async with open_socket() as ws:
            await ws.send_text(frame)
            error = await ws.receive()
            await ws.send({"action": "subscribe", "channel": "quotes", "symbol": "ZWE"})
            return error, await ws.receive()

    error, acked = run(scenario)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    assert acked["type"] == "subscribed"


def test_a_binary_frame_gets_an_error():
    async def scenario():
        async with open_socket() as ws:
            await ws.communicator.send_to(bytes_data=b"\x00\x01")
            return await ws.receive()

    assert run(scenario)["code"] == "binary_not_supported"


def test_more_than_fifty_subscriptions_are_refused():
    symbols = [f"ZS{i:02d}" for i in range(13)]
    for symbol in symbols:
        make_stock(symbol, "5.00")

    async def scenario():
        async with open_socket() as ws:
            for symbol in symbols[:12]:
                for channel in ("book", "trades", "quotes", "candles"):
                    await ws.subscribe(channel, symbol)
            await ws.subscribe("book", symbols[12])
            await ws.subscribe("trades", symbols[12])
            await ws.send({"action": "subscribe", "channel": "quotes", "symbol": symbols[12]})
            refused = await ws.receive()
            # Subscribing again to a stream it has is not a new subscription.
            await ws.subscribe("book", symbols[0])
            return refused

    refused = run(scenario)
    assert refused["code"] == "too_many_subscriptions"


def test_repeated_errors_close_the_socket():
    async def scenario():
        async with open_socket() as ws:
            codes = []
            for _ in range(10):
                await ws.send_text("nonsense")
                codes.append((await ws.receive())["code"])
            codes.append((await ws.receive())["code"])
            closed = await ws.communicator.receive_output(timeout=5)
            return codes, closed

    codes, closed = run(scenario)
    assert codes == ["bad_json"] * 10 + ["too_many_errors"]
    assert closed == {"type": "websocket.close", "code": 4008}


def test_quotes_and_candles_are_relayed_to_their_subscribers():
    zwf = make_stock("ZWF", "30.00")
    make_stock("ZWE", "5.00")

    async def scenario():
        async with open_socket() as ws, open_socket() as other:
            _, current = await ws.subscribe("quotes", "ZWF")
            await ws.subscribe("candles", "ZWF")
            await other.subscribe("quotes", "ZWE")  # another symbol: hears nothing of ZWF
            zwf.reference_price = zwf.reference_price + 1
            await in_thread(md_streams.publish_quotes)([md_streams.quote_payload(zwf)])
            quote = await ws.receive()
            await in_thread(md_streams.publish_candle)(
                {
                    "symbol": "ZWF",
                    "interval": "1m",
                    "start": "2026-01-02T15:30:00Z",
                    "open": "30",
                    "high": "31",
                    "low": "30",
                    "close": "31",
                    "volume": "0",
                }
            )
            candle = await ws.receive()
            assert await other.nothing()
            return current, quote, candle

    current, quote, candle = run(scenario)
    assert (current["type"], current["symbol"], current["price"]) == ("quote", "ZWF", "30.0000")
    assert (quote["type"], quote["price"], quote["change"]) == ("quote", "31.00", "1.00")
    assert (candle["type"], candle["symbol"], candle["close"]) == ("candle", "ZWF", "31")


def test_unsubscribing_stops_the_stream(alice):
    zwg = make_stock("ZWG", "30.00")

    async def scenario():
        async with open_socket() as ws:
            await ws.subscribe("book", "ZWG")
            await ws.send({"action": "unsubscribe", "channel": "book", "symbol": "ZWG", "id": "u1"})
            acked = await ws.receive()
            await in_thread(place)(alice, zwg, "buy", 1, "29.00")
            return acked, await ws.nothing(timeout=1)

    acked, nothing = run(scenario)
    assert acked == {"type": "unsubscribed", "channel": "book", "symbol": "ZWG", "id": "u1"}
    assert nothing


def test_watched_symbols_lists_the_symbols_someone_streams():
    make_stock("ZWH", "30.00")
    make_stock("ZWI", "30.00")
    redis_client(timeout=2).delete(core_streams.WATCHED_KEY)

    async def scenario():
        async with open_socket() as ws:
            await ws.subscribe("trades", "ZWH")
            return await in_thread(core_streams.watched_symbols)()

    watched = run(scenario)
    assert "ZWH" in watched and "ZWI" not in watched
    # Nobody refreshes it any more: once its time to live has passed it is no longer listed.
    time.sleep(0.01)
    assert "ZWH" not in core_streams.watched_symbols(max_age=0.005)


def test_a_layer_outage_answers_unavailable_and_keeps_the_socket(monkeypatch):
    make_stock("ZWJ", "30.00")
    from channels_redis.pubsub import RedisPubSubLoopLayer

    async def refuse(self, group, channel):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(RedisPubSubLoopLayer, "group_add", refuse)

    async def scenario():
        async with open_socket() as ws:
            await ws.send({"action": "subscribe", "channel": "book", "symbol": "ZWJ", "id": 1})
            error = await ws.receive()
            await ws.send({"action": "ping"})
            return error, await ws.receive()

    error, pong = run(scenario)
    assert (error["type"], error["code"], error["id"]) == ("error", "unavailable", 1)
    assert pong["type"] == "pong"


def test_a_level_changed_live_carries_its_order_count(alice, bob):
    zwa = make_stock("ZWA", "100.00")
    give_shares(bob, zwa, 20)
    place(bob, zwa, "sell", 10, "101.00")

    async def scenario():
        async with open_socket() as ws:
            await ws.subscribe("book", "ZWA")
            await in_thread(place)(bob, zwa, "sell", 5, "101.00")
            return await ws.receive()

    delta = run(scenario)
    assert [(lvl["price"], lvl["qty"], lvl["orders"]) for lvl in delta["levels"]] == [
        ("101.0000", "15", 2)
    ]


def _handshake(headers: list[tuple[bytes, bytes]]) -> bool:
    from channels.testing import WebsocketCommunicator

    from brokerage.asgi import application

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    return run(scenario)


def test_a_program_without_an_origin_header_may_connect():
    assert _handshake([(b"host", b"testserver")]) is True


def test_a_page_on_another_site_may_not_open_a_socket():
    assert _handshake([(b"host", b"testserver"), (b"origin", b"https://evil.example")]) is False


def test_a_depth_limited_book_stays_equal_to_rest_at_that_depth(alice, bob):
    """Finding 9: when the best level leaves a depth=1 window, the next one enters."""
    from trading.selectors import book_snapshot
    from trading.services import order_cancel

    zwk = make_stock("ZWK", "20.00")
    best = place(alice, zwk, "buy", 1, "19.50")
    place(alice, zwk, "buy", 2, "19.40")

    def apply(book: dict, message: dict) -> dict:
        if message["type"] == "book.snapshot":
            return {"bids": levels(message["bids"]), "asks": levels(message["asks"])}
        for lvl in message["levels"]:
            key = "bids" if lvl["side"] == "buy" else "asks"
            side = [x for x in book[key] if x[0] != lvl["price"]]
            if lvl["qty"] != "0":
                side.append((lvl["price"], lvl["qty"]))
            book[key] = sorted(side, key=lambda x: float(x[0]), reverse=key == "bids")
        return book

    async def scenario():
        async with open_socket() as ws:
            _, snapshot = await ws.subscribe("book", "ZWK", depth=1)
            book = apply({}, snapshot)
            await in_thread(order_cancel)(user=alice, order_id=best.id)
            book = apply(book, await ws.receive())
            after_cancel = dict(book)
            await in_thread(place)(alice, zwk, "buy", 3, "19.45")  # a better one enters
            book = apply(book, await ws.receive())
            await in_thread(place)(alice, zwk, "buy", 4, "19.10")  # outside the window
            book = apply(book, await ws.receive())
            return after_cancel, book

    after_cancel, book = run(scenario)
    assert after_cancel["bids"] == [("19.4000", "2")]
    rest = book_snapshot(stock=zwk, depth=1)
    assert book == {"bids": levels(rest["bids"]), "asks": levels(rest["asks"])}
    assert book["bids"] == [("19.4500", "3")]


def test_the_orders_channel_numbers_each_users_messages_and_replays_what_a_client_missed(
    alice, bob
):
    """Finding 8: a client reconnecting with the last seq it saw gets what it missed."""
    zwm = make_stock("ZWM", "10.00")
    give_shares(bob, zwm, 100)
    key = api_key_headers(bob)

    async def scenario():
        async with open_socket(key) as ws:
            _, first = await ws.subscribe("orders")
            await in_thread(place)(bob, zwm, "sell", 1, "10.50")
            one = await ws.receive()
            await in_thread(place)(bob, zwm, "sell", 1, "10.60")
            two = await ws.receive()
        # Offline meanwhile: two more orders, and alice fills one of the resting ones.
        await in_thread(place)(bob, zwm, "sell", 1, "10.70")
        await in_thread(place)(alice, zwm, "buy", 1, "10.50")
        async with open_socket(key) as ws:
            await ws.send({"action": "subscribe", "channel": "orders", "since_seq": two["seq"]})
            await ws.receive()
            again = await ws.receive()
        return first, one, two, again

    first, one, two, again = run(scenario)
    assert first["type"] == "orders.snapshot" and first["orders"] == []
    assert (one["seq"], two["seq"]) == (first["seq"] + 1, first["seq"] + 2)
    assert again["type"] == "orders.snapshot" and again["missed_complete"]
    assert [m["seq"] for m in again["missed"]] == [two["seq"] + 1, two["seq"] + 2]
    assert again["seq"] == two["seq"] + 2
    missed_events = [e["event"] for m in again["missed"] for e in m["events"]]
    assert missed_events == ["new", "fill"]
    # The snapshot's open orders: 10.60 and 10.70 rest; 10.50 was filled.
    assert sorted(o["limit_price"] for o in again["orders"]) == ["10.6000", "10.7000"]


def test_many_depth_limited_watchers_share_one_snapshot_read_when_their_window_moves(alice):
    """160 `depth: 10` subscribers each read their own snapshot at every window change; one
    read a process now serves every socket whose window the same delta moved."""
    from streams.snapshots import shared_snapshots

    zwq = make_stock("ZWQ", "20.00")
    place(alice, zwq, "buy", 1, "19.50")
    place(alice, zwq, "buy", 1, "19.40")

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            sockets = [await stack.enter_async_context(open_socket()) for _ in range(12)]
            for ws in sockets:
                await ws.subscribe("book", "ZWQ", depth=2)
            reads = shared_snapshots().reads
            await in_thread(place)(alice, zwq, "buy", 5, "19.45")  # pushes 19.40 out of windows
            snapshots = [await ws.receive_until("book.snapshot") for ws in sockets]
            return shared_snapshots().reads - reads, [s for s, _ in snapshots]

    reads, snapshots = run(scenario)
    assert reads == 1
    assert {tuple(levels(s["bids"])) for s in snapshots} == {(("19.5000", "1"), ("19.4500", "5"))}
