"""What a subscriber gets first: the snapshot reads of the `/ws/` endpoint, through selectors.

Every read runs on the thread pool (`reader`), not Django's single "sync" thread: a storm of
(re)subscriptions must not queue behind, or hold up, order placement in the same process.
The messages are built by their domain's builders (`trading.broadcast`, `trading.auctions.messages`, `marketdata.streams`).
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.db import close_old_connections
from django.utils import timezone

from accounts.models import User
from core import streams
from marketdata import selectors as market
from marketdata.models import Stock
from marketdata.streams import QuoteMessage, quote_message
from streams.protocol import ProtocolError
from trading import broadcast, selectors
from trading.auctions import messages as auction_messages
from trading.auctions import selectors as auction_selectors
from trading.auctions.messages import AuctionSnapshotMessage
from trading.errors import TradingError
from trading.stream_messages import (
    BookSnapshotMessage,
    OrdersSnapshotMessage,
    TradesSnapshotMessage,
)

TRADES_SNAPSHOT_SIZE = 50
OPEN_ORDERS_SNAPSHOT_SIZE = 500
AUCTIONS_SNAPSHOT_SIZE = 200

P = ParamSpec("P")
R = TypeVar("R")


def reader(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`fn` run on the thread pool, its database connection kept as CONN_MAX_AGE says."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        finally:
            # Pool threads outlive the call; with asgiref's context handling the wrapper's own
            # clean-up does not see this thread's connection, so honour CONN_MAX_AGE here.
            close_old_connections()

    return database_sync_to_async(run, thread_sensitive=False)


# --------------------------------------------------------------------------- existence
_KNOWN_SYMBOL_SECONDS = 300.0
_known_symbols: dict[str, float] = {}


async def check_symbol(symbol: str) -> None:
    """Raise `unknown_symbol` unless the stock is listed (remembered for a while per process)."""
    now = time.monotonic()
    if _known_symbols.get(symbol, 0) > now:
        return
    if not await reader(market.stock_listed)(symbol=symbol):
        raise ProtocolError("unknown_symbol", f"There is no stock {symbol!r}.")
    _known_symbols[symbol] = now + _KNOWN_SYMBOL_SECONDS


def _auction_exists(auction_id: str) -> bool:
    try:
        auction_selectors.auction_get(auction_id=auction_id)
    except TradingError:
        return False
    return True


async def check_auction(auction_id: str) -> None:
    if not await reader(_auction_exists)(auction_id):
        raise ProtocolError("unknown_auction", f"No auction {auction_id}.")


# --------------------------------------------------------------------------- reads
def _stock(symbol: str) -> Stock:
    stock = market.stock_by_symbol(symbol)
    if stock is None:
        raise Stock.DoesNotExist(symbol)  # delisted since it was checked: the read fails
    return stock


def book_snapshot(symbol: str, depth: int) -> BookSnapshotMessage:
    stock = _stock(symbol)
    return broadcast.book_snapshot_message(selectors.book_snapshot(stock=stock, depth=depth), depth)


def trades_snapshot(symbol: str) -> TradesSnapshotMessage:
    stock = _stock(symbol)
    # The sequence is read before the trades: a trade committed in between shows up in the list
    # and is filtered out here, then arrives as a message; nothing is shown twice.
    seq = selectors.trade_seq(stock=stock)
    recent = [
        t
        for t in selectors.trades_for_stock(stock=stock, limit=TRADES_SNAPSHOT_SIZE)
        if t.seq <= seq
    ]
    return broadcast.trades_snapshot_message(
        symbol,
        seq,
        [broadcast.trade_payload(t, symbol) for t in recent],
        broadcast.day_payload(selectors.day_through(stock=stock, trade_seq=seq)),
    )


def orders_snapshot(user_id: int, since_seq: int | None) -> OrdersSnapshotMessage:
    """The user's open orders and, after `since_seq`, the messages they missed, at one seq.

    The seq is read first: an order committed after it is in the list and also arrives as a
    message (an order update replaces the order's state, so seeing it twice is harmless);
    one committed before it is in the list, and its message is dropped by its seq.
    """
    seq, missed, complete = streams.orders_replay(user_id, since_seq)
    open_orders = selectors.orders_for(
        user=User(pk=user_id), status="open", limit=OPEN_ORDERS_SNAPSHOT_SIZE
    )
    return broadcast.orders_snapshot_message(
        seq,
        [broadcast.order_payload(o, o.stock.symbol) for o in open_orders],
        since_seq,
        [json.loads(text) for text in missed],
        complete,
    )


def quote(symbol: str) -> QuoteMessage:
    return quote_message(_stock(symbol))


def auction_snapshot(auction_id: str | None) -> AuctionSnapshotMessage:
    """One auction's state, or (None) every live auction's, stamped with the server's time."""
    now = timezone.now()
    if auction_id is None:
        live = auction_selectors.auctions_list(status="live")[:AUCTIONS_SNAPSHOT_SIZE]
        return auction_messages.auctions_index_message(list(live), now)
    auction = auction_selectors.auction_get(auction_id=auction_id)
    return auction_messages.auction_snapshot_message(auction, now)


# --------------------------------------------------------------------------- shared reads
class SharedSnapshots:
    """Book snapshots one event loop's sockets share: a delta that moves a depth-limited
    window makes every socket with that window need a snapshot at once, and one read (in
    flight, or the last one when it is new enough) serves them all instead of one each."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], BookSnapshotMessage] = {}
        self.reading: dict[tuple[str, int], asyncio.Future[BookSnapshotMessage]] = {}
        self.reads = 0

    async def book(self, symbol: str, depth: int, min_seq: int) -> BookSnapshotMessage:
        key = (symbol, depth)
        last = self.last.get(key)
        if last is not None and last["seq"] >= min_seq:
            return last
        reading = self.reading.get(key)
        if reading is not None:
            snapshot = await asyncio.shield(reading)
            if snapshot["seq"] >= min_seq:
                return snapshot
        reading = self.reading[key] = asyncio.ensure_future(reader(book_snapshot)(symbol, depth))
        self.reads += 1
        try:
            snapshot = await asyncio.shield(reading)
        finally:
            if self.reading.get(key) is reading:
                del self.reading[key]
        if key not in self.last or self.last[key]["seq"] <= snapshot["seq"]:
            self.last[key] = snapshot
        return snapshot


_shared_snapshots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedSnapshots] = (
    weakref.WeakKeyDictionary()
)


def shared_snapshots() -> SharedSnapshots:
    loop = asyncio.get_running_loop()
    found = _shared_snapshots.get(loop)
    if found is None:
        found = _shared_snapshots[loop] = SharedSnapshots()
    return found


Snapshot = BookSnapshotMessage | TradesSnapshotMessage | OrdersSnapshotMessage
