"""The auction stream: two bidders see each other's bids live and in order, the outbid one is
told, and nobody sees another's maximum or name."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from streams.tests.conftest import in_thread, open_socket, session_cookie
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.create import auction_create
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_bidders_see_each_others_bids_live_and_the_outbid_one_is_told(alice, bob, settings):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("ZAU", "50.00")
    lot = auction_create(seller=None, symbol="ZAU", qty=10, reserve_price="48.00")
    bid = in_thread(auction_bid_place)
    alice_cookie, bob_cookie = session_cookie(alice), session_cookie(bob)

    async def drain(ws) -> list[dict]:
        """Every message until the socket has been quiet for half a second."""
        got = []
        while not await ws.nothing(timeout=0.5):
            got.append(await ws.receive())
        return got

    async def scenario():
        async with (
            open_socket(alice_cookie) as a,
            open_socket(bob_cookie) as b,
            open_socket() as watcher,
        ):
            for ws in (a, b):
                await ws.send({"action": "subscribe", "channel": "orders"})
                assert (await ws.receive())["type"] == "subscribed"
                assert (await ws.receive())["type"] == "orders.snapshot"
            for ws in (a, b, watcher):
                await ws.send({"action": "subscribe", "channel": "auction", "auction_id": lot.pk})
                assert (await ws.receive())["type"] == "subscribed"
                snapshot = await ws.receive()
                assert snapshot["type"] == "auction.snapshot"
            await watcher.send({"action": "subscribe", "channel": "auction"})  # the index too
            assert (await watcher.receive())["type"] == "subscribed"
            index = await watcher.receive()

            await bid(user=alice, auction_id=lot.pk, max_price="49.00")
            await bid(user=bob, auction_id=lot.pk, max_price="49.50")
            seen = {"alice": await drain(a), "bob": await drain(b)}
            watched = await drain(watcher)
            return snapshot, index, seen, watched

    snapshot, index, seen, watched = async_to_sync(scenario)()

    assert snapshot["auction"]["min_next_bid"] == snapshot["auction"]["start_price"]
    assert snapshot["server_time"] and snapshot["ends_at"]
    assert [a["id"] for a in index["auctions"]] == [lot.pk]
    public = [m for m in watched if m["type"] == "auction"]
    # Each subscription (the auction, the index) delivers every event once, in seq order.
    assert sorted(m["seq"] for m in public) == [2, 2, 3, 3]
    for name in ("alice", "bob"):
        assert [m["seq"] for m in seen[name] if m["type"] == "auction"] == [2, 3]
    in_order = sorted({(m["seq"], m["event"], m["auction"]["current_price"]) for m in public})
    assert in_order == [
        (2, "bid", "48.0000"),  # alice alone: her maximum reaches the reserve, so she stands at it
        (3, "bid", "49.1000"),  # bob beats her 49.00 by the 0.10 step (below 50), under 49.50
    ]
    assert len(watched) == 4  # 2 bids, each through the auction's group and the index
    alice_standings = [m["event"] for m in seen["alice"] if m["type"] == "auction.standing"]
    assert alice_standings == ["leading", "outbid"]
    bob_standings = [m["event"] for m in seen["bob"] if m["type"] == "auction.standing"]
    assert bob_standings == ["leading"]
    # Bob's socket never carries alice's maximum (49.00); his own is his to see.
    assert "49.0000" not in str(seen["bob"])
    for m in public:
        assert "max_price" not in m["auction"] and "alice" not in str(m) and "bob" not in str(m)
        assert m["bid"]["bidder"].startswith("bidder ")
