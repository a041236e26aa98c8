"""The stream client on its own, against a small scripted websocket server in this process."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal

import websockets

from client.stream import Book, Stream, StreamError, backoff_delay
from client.tests.contract import valid
from client.watch import Printer


def hello(user: str | None) -> dict:
    return valid(
        {
            "type": "hello",
            "user": user,
            "auth": "session" if user else None,
            "channels": ["book", "trades", "quotes", "candles", "auction", "orders"],
            "limits": {"max_subscriptions": 50, "max_frame_bytes": 4096, "max_book_depth": 1000},
        }
    )


def snapshot(seq: int, asks: list[tuple[str, str]], bids=()) -> dict:
    return valid(
        {
            "type": "book.snapshot",
            "depth": 50,
            "symbol": "ZED",
            "seq": seq,
            "asks": [{"price": p, "qty": q, "orders": 1} for p, q in asks],
            "bids": [{"price": p, "qty": q, "orders": 1} for p, q in bids],
        }
    )


def delta(first: int, last: int, levels: list[tuple[str, str, str]]) -> dict:
    return valid(
        {
            "type": "book.delta",
            "symbol": "ZED",
            "first_seq": first,
            "seq": last,
            "levels": [
                {"side": side, "price": p, "qty": q, "orders": 1, "seq": first + i}
                for i, (side, p, q) in enumerate(levels)
            ],
            "ts": 0.0,
        }
    )


def test_a_book_applies_deltas_in_order_and_reports_a_gap():
    book = Book("ZED")
    book.load(snapshot(4, [("101.0000", "5")], [("99.0000", "3")]))

    assert book.apply(delta(5, 5, [("buy", "99.5000", "2")]))
    assert book.apply(delta(6, 6, [("sell", "101.0000", "0")]))
    assert book.apply(delta(6, 6, [("sell", "102.0000", "9")]))  # already had it: ignored
    assert book.best_bid == (Decimal("99.5"), Decimal("2"))
    assert book.best_ask is None
    assert book.seq == 6
    assert not book.apply(delta(8, 8, [("buy", "98.0000", "1")]))
    assert not book.synced


def test_back_off_has_full_jitter_under_a_growing_cap():
    rng = random.Random(7)
    delays = [[backoff_delay(n, 0.5, 30, rng) for _ in range(200)] for n in range(8)]

    for n, batch in enumerate(delays):
        assert all(0 <= d <= min(30, 0.5 * 2**n) for d in batch)
    assert max(delays[0]) < 0.5 < max(delays[3])  # the ceiling rises with the attempts
    assert len({round(d, 6) for d in delays[5]}) == 200  # spread out, not in lockstep


class ScriptedServer:
    """Sends `hello`, then one script of messages per connection; records what clients send."""

    def __init__(self, scripts: list[list[dict]]) -> None:
        self.scripts = scripts
        self.received: list[dict] = []
        self.connections = 0

    async def handler(self, ws) -> None:
        script = self.scripts[min(self.connections, len(self.scripts) - 1)]
        self.connections += 1
        await ws.send(json.dumps(hello(None)))
        subscribed = 0
        async for raw in ws:
            message = json.loads(raw)
            self.received.append(message)
            subscribed += 1
            if subscribed == 1:
                for item in script:
                    if item.get("type") == "close":
                        await ws.close()
                        return
                    await ws.send(json.dumps(valid(item)))
            elif message.get("channel") == "book":  # asked for a fresh snapshot
                await ws.send(json.dumps(snapshot(20, [("103.0000", "1")])))


async def collect(server: ScriptedServer, until, **stream_kwargs) -> tuple[Stream, list[dict]]:
    async with websockets.serve(server.handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        stream = Stream(
            f"ws://127.0.0.1:{port}/ws/", symbols=["ZED"], channels=("book",), **stream_kwargs
        )
        events = []

        async def run():
            async for event in stream.events():
                events.append(event)
                if until(events):
                    await stream.close()
                    return

        await asyncio.wait_for(run(), timeout=10)
        return stream, events


def test_a_gap_in_the_book_asks_for_a_fresh_snapshot_and_starts_over_from_it():
    server = ScriptedServer(
        [
            [
                snapshot(1, [("101.0000", "5")]),
                delta(2, 2, [("buy", "99.0000", "1")]),
                delta(4, 4, [("buy", "98.0000", "1")]),
            ]
        ]
    )

    stream, events = asyncio.run(
        collect(server, lambda ev: sum(e["type"] == "book.snapshot" for e in ev) == 2)
    )

    assert [e["type"] for e in events] == [
        "connected",
        "book.snapshot",
        "book.delta",
        "book.delta",
        "resync",
        "book.snapshot",
    ]
    assert events[4]["had_seq"] == 2 and events[4]["got_first_seq"] == 4
    assert server.received == [
        {"action": "subscribe", "channel": "book", "symbol": "ZED", "depth": 50},
        {"action": "subscribe", "channel": "book", "symbol": "ZED", "depth": 50},
    ]
    book = stream.books["ZED"]
    assert (book.seq, book.levels("sell"), book.bids) == (20, [(Decimal("103"), Decimal("1"))], {})


def test_a_dropped_connection_is_retried_and_subscribed_again():
    server = ScriptedServer([[{"type": "close"}], [snapshot(3, [("101.0000", "5")])]])

    _, events = asyncio.run(
        collect(server, lambda ev: ev[-1]["type"] == "book.snapshot", base_delay=0.05)
    )

    assert [e["type"] for e in events] == [
        "connected",
        "disconnected",
        "connected",
        "book.snapshot",
    ]
    assert events[1]["reason"] == "the server closed the connection"
    assert events[2]["reconnect"] is True
    assert server.connections == 2
    assert len(server.received) == 2


def test_an_unknown_symbol_ends_the_stream_with_the_servers_message():
    error = valid({"type": "error", "code": "unknown_symbol", "message": "Unknown symbol 'ZED'."})
    server = ScriptedServer([[error]])

    try:
        asyncio.run(collect(server, lambda ev: False))
    except StreamError as exc:
        assert exc.message == "Unknown symbol 'ZED'. (unknown_symbol)"
        assert exc.kind == "refused"
    else:
        raise AssertionError("the stream went on")


def test_no_server_at_the_start_is_an_error_not_an_endless_wait():
    from client.tests.conftest import free_port

    async def first_event():
        stream = Stream(f"ws://127.0.0.1:{free_port()}/ws/", symbols=["ZED"])
        async for event in stream.events():
            return event

    try:
        asyncio.run(first_event())
    except StreamError as exc:
        assert exc.kind == "unreachable"
        assert "is the server running?" in exc.message
    else:
        raise AssertionError("no error")


def test_the_printer_shows_trades_missed_while_away_once():
    printer = Printer()
    trade = {
        "symbol": "ZED",
        "price": "100.5000",
        "qty": "3",
        "maker_side": "sell",
        "taker_side": "buy",
        "time": "2026-01-05T15:00:00+00:00",
        "auction_id": None,
    }
    day = {"volume": 3, "high": "100.5000", "low": "100.5000"}
    first = valid(
        {
            "type": "trades.snapshot",
            "symbol": "ZED",
            "seq": 1,
            "trades": [{**trade, "seq": 1}],
            "day": day,
        }
    )
    live = valid(
        {
            "type": "trades",
            "symbol": "ZED",
            "first_seq": 2,
            "seq": 2,
            "ts": 0,
            "trades": [{**trade, "seq": 2}],
        }
    )
    again = valid(
        {
            "type": "trades.snapshot",
            "symbol": "ZED",
            "seq": 3,
            "trades": [{**trade, "seq": 3, "qty": "7"}, {**trade, "seq": 2}, {**trade, "seq": 1}],
            "day": {**day, "volume": 10},
        }
    )

    shown = [printer.lines(m, {}) for m in (first, live, again, live)]

    assert [len(lines) for lines in shown] == [0, 1, 1, 0]
    assert shown[2][0].endswith("ZED    trade  7 @ 100.50  buy")


ORDER = {
    "id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
    "client_order_id": None,
    "symbol": "ZED",
    "side": "buy",
    "type": "limit",
    "time_in_force": "gtc",
    "qty": "1",
    "filled_qty": "0",
    "filled_avg_price": None,
    "limit_price": "100.0000",
    "status": "new",
    "reason": "",
    "created_at": "2026-01-05T15:00:00Z",
    "updated_at": "2026-01-05T15:00:00Z",
    "filled_at": None,
    "canceled_at": None,
    "expired_at": None,
    "replaced_at": None,
    "replaces": None,
    "fees": "0",
}


def orders_message(seq: int) -> dict:
    event = {"event": "new", "order": ORDER, "fills": []}
    return valid({"type": "orders", "symbol": "ZED", "events": [event], "ts": 0.0, "seq": seq})


def orders_snapshot(seq: int, missed: list[dict], since_seq: int | None) -> dict:
    return valid(
        {
            "type": "orders.snapshot",
            "seq": seq,
            "orders": [],
            "since_seq": since_seq,
            "missed": missed,
            "missed_complete": True,
        }
    )


class OrdersServer:
    """Two connections, as two servers behind a load balancer would answer: the first drops
    after seq 4; the second replays what came after the client's `since_seq`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.connections = 0

    async def handler(self, ws) -> None:
        self.connections += 1
        first = self.connections == 1
        await ws.send(json.dumps(hello("zed")))
        message = json.loads(await ws.recv())
        self.received.append(message)
        if first:
            snap = orders_snapshot(3, [], None)
            for item in (snap, orders_message(4)):
                await ws.send(json.dumps(item))
            await ws.close()
            return
        missed = [orders_message(n) for n in (4, 5, 6, 7)]
        snap = orders_snapshot(7, missed, message.get("since_seq"))
        # 7 again live (committed while the snapshot was read), then 8, then a gap to 10.
        for item in (snap, orders_message(7), orders_message(8), orders_message(10)):
            await ws.send(json.dumps(item))
        resubscribe = json.loads(await ws.recv())
        self.received.append(resubscribe)
        replay = orders_snapshot(10, [orders_message(9), orders_message(10)], 8)
        await ws.send(json.dumps(replay))
        await ws.wait_closed()


def test_orders_resume_after_a_reconnect_with_since_seq_and_nothing_twice():
    server = OrdersServer()

    async def run() -> list[dict]:
        async with websockets.serve(server.handler, "127.0.0.1", 0) as ws_server:
            port = ws_server.sockets[0].getsockname()[1]
            stream = Stream(f"ws://127.0.0.1:{port}/ws/", channels=(), orders=True, base_delay=0.05)
            events: list[dict] = []
            async for event in stream.events():
                events.append(event)
                if event.get("seq") == 10 and event["type"] == "orders":
                    await stream.close()
            return events

    events = asyncio.run(asyncio.wait_for(run(), timeout=10))

    seqs = [e["seq"] for e in events if e["type"] == "orders"]
    assert seqs == [4, 5, 6, 7, 8, 9, 10]
    assert server.received == [
        {"action": "subscribe", "channel": "orders"},
        {"action": "subscribe", "channel": "orders", "since_seq": 4},
        {"action": "subscribe", "channel": "orders", "since_seq": 8},
    ]
