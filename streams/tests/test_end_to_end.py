"""End to end: a real daphne, real HTTP orders from several bots at once, real websocket clients."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from decimal import Decimal

import pytest

from streams.tests.client import StreamClient
from streams.tests.conftest import Bot, Daphne, in_thread, place
from trading.models import Order, Trade
from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.integration


def trade_flow(bot: Bot, symbol: str, seed: int, orders: int) -> None:
    """Limit orders around 100, some crossing, a few market orders: every kind of book change."""
    rng = random.Random(seed)
    for _ in range(orders):
        side = rng.choice(("buy", "sell"))
        if rng.random() < 0.1:
            bot.order(symbol, side, rng.randint(1, 5))
        else:
            offset = Decimal(rng.randint(-30, 30)) / 100
            bot.order(symbol, side, rng.randint(1, 20), str(Decimal("100.00") + offset))


def in_parallel(*jobs) -> None:
    errors: list[BaseException] = []

    def run(job):
        try:
            job()
        except BaseException as exc:  # surfaced in the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors


def test_books_rebuilt_from_snapshot_and_deltas_equal_the_rest_book_while_bots_trade(
    daphne: Daphne, make_user
):
    stock = make_stock("ZEE", "100.00")
    traders = [make_user(name) for name in ("alice", "bob", "dave", "erin")]
    for trader in traders:
        give_shares(trader, stock, 10_000)
    bots = [Bot(daphne, trader) for trader in traders]
    charlie = Bot(daphne, make_user("charlie"))  # subscribed to his orders, never trades
    origin = daphne.http
    public = [{"channel": "book", "symbol": "ZEE"}, {"channel": "trades", "symbol": "ZEE"}]
    # Some orders rest before anyone subscribes, so snapshots are not empty.
    trade_flow(bots[0], "ZEE", seed=1, orders=10)

    async def scenario():
        watchers = [StreamClient(daphne.ws, public, origin=origin) for _ in range(3)]
        private = [
            StreamClient(
                daphne.ws, [*public, {"channel": "orders"}], origin=origin, headers=b.ws_headers
            )
            for b in [*bots, charlie]
        ]
        clients = watchers + private
        for client in clients:
            client.start()
        try:
            for client in clients:
                assert await client.wait_for(
                    lambda c=client: "ZEE" in c.books and c.books["ZEE"].synced
                )
            await asyncio.to_thread(
                in_parallel,
                *[
                    lambda b=b, i=i: trade_flow(b, "ZEE", seed=100 + i, orders=30)
                    for i, b in enumerate(bots)
                ],
            )
            rest = await asyncio.to_thread(bots[0].book, "ZEE")
            for client in clients:
                assert await client.wait_for(lambda c=client: c.books["ZEE"].seq == rest["seq"])
            return rest, clients
        finally:
            for client in clients:
                await client.stop()

    rest, clients = asyncio.run(scenario())

    expected = {
        "seq": rest["seq"],
        "bids": [(lvl["price"], lvl["qty"]) for lvl in rest["bids"]],
        "asks": [(lvl["price"], lvl["qty"]) for lvl in rest["asks"]],
    }
    assert rest["bids"] and rest["asks"]
    trades = Trade.objects.filter(stock=stock)
    assert trades.count() > 10
    trade_seqs = sorted(trades.values_list("seq", flat=True))
    for client in clients:
        assert client.books["ZEE"].as_rest() == expected
        assert client.errors == []
        assert client.gaps == 0
        # Every trade once, in order, after the snapshot each client started from.
        start = client.trade_seqs["ZEE"][0]
        assert client.trade_seqs["ZEE"][1:] == [s for s in trade_seqs if s > start]

    for client, trader in zip(clients[3:7], traders, strict=True):
        own = {str(pk) for pk in Order.objects.filter(user=trader).values_list("id", flat=True)}
        seen = {event["order"]["id"] for event in client.order_events}
        assert seen and seen <= own, "a user received someone else's order"
        # Every fill of theirs arrived exactly once, with the right quantity.
        got = Counter()
        for event in client.order_events:
            for fill in event["fills"]:
                got[(event["order"]["id"], fill["trade_seq"])] += int(fill["qty"])
        want = Counter()
        for t in trades.filter(buyer=trader).values("buy_order_id", "seq", "qty"):
            want[(str(t["buy_order_id"]), t["seq"])] += t["qty"]
        for t in trades.filter(seller=trader).values("sell_order_id", "seq", "qty"):
            want[(str(t["sell_order_id"]), t["seq"])] += t["qty"]
        assert got == want
    assert clients[7].order_events == []


def test_a_client_comes_back_after_a_server_restart_and_resyncs(daphne: Daphne, alice, bob):
    stock = make_stock("ZEF", "50.00")
    give_shares(bob, stock, 1000)
    alice_bot, bob_bot = Bot(daphne, alice), Bot(daphne, bob)
    bob_bot.order("ZEF", "sell", 10, "50.50")

    async def scenario():
        client = StreamClient(
            daphne.ws, [{"channel": "book", "symbol": "ZEF"}], origin=daphne.http, base_delay=0.1
        )
        client.start()
        try:
            assert await client.wait_for(
                lambda: "ZEF" in client.books and client.books["ZEF"].seq == 1
            )
            await asyncio.to_thread(daphne.stop)
            assert await client.wait_for(lambda: client._ws is None)
            # Changes while the server is down are published to nobody: only a fresh snapshot
            # after the reconnect can bring them.
            await in_thread(place)(alice, stock, "buy", 4, "50.50")
            await in_thread(place)(bob, stock, "sell", 7, "50.60")
            await asyncio.to_thread(daphne.start)
            assert await client.wait_for(lambda: client.connects >= 2, timeout=30)
            await asyncio.to_thread(alice_bot.order, "ZEF", "buy", 1, "49.00")
            rest = await asyncio.to_thread(alice_bot.book, "ZEF")
            assert await client.wait_for(lambda: client.books["ZEF"].seq == rest["seq"])
            return client, rest
        finally:
            await client.stop()

    client, rest = asyncio.run(scenario())
    assert client.connects == 2
    assert client.books["ZEF"].as_rest() == {
        "seq": rest["seq"],
        "bids": [(lvl["price"], lvl["qty"]) for lvl in rest["bids"]],
        "asks": [(lvl["price"], lvl["qty"]) for lvl in rest["asks"]],
    }
    assert client.books["ZEF"].as_rest()["asks"] == [("50.5000", "6"), ("50.6000", "7")]
