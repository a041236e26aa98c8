"""One socket's subscriptions: joining their groups, their first snapshots, and for the
sequenced streams (book, trades, orders) the order of what follows.

Ordering: `book.delta` and `trades` messages carry `first_seq`..`seq`, contiguous per symbol.
Publishers may reach Redis out of commit order (on_commit callbacks of different processes
race), so each subscription holds a message that arrives ahead of its turn (`Sequencer`) for up
to `GAP_WAIT_SECONDS`; if the gap does not fill by then (a message was lost), it sends a fresh
snapshot instead. A client therefore sees, per symbol, a snapshot and then deltas with seq
rising by exactly one, or a new snapshot; a client-side gap check is a second safety net.

A depth-limited book subscription keeps the prices of its window: a delta is cut to it, and
one that changes which levels are in it is replaced by a snapshot (one read per process serves
every socket with that window, `snapshots.shared_snapshots`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from core import streams
from streams import snapshots
from streams.protocol import (
    MAX_BOOK_DEPTH,
    PRIVATE_CHANNELS,
    SEQUENCED_CHANNELS,
    SYMBOL_CHANNELS,
    RequestId,
    SubscribeRequest,
    group_for,
)
from streams.relay import relay
from streams.sequencer import Part, Sequencer, Verdict

log = logging.getLogger(__name__)

GAP_WAIT_SECONDS = 1.0

Key = tuple[str, str | None]


class Socket(Protocol):
    """What the subscriptions need of their socket (the consumer): a relay member that sends."""

    closing: bool

    async def stream_message(self, event: dict[str, Any]) -> None: ...

    async def send_message(self, message: Mapping[str, Any]) -> None: ...

    async def frame(self, text: str) -> None: ...

    async def send_error(self, code: str, message: str, request_id: RequestId = None) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One (channel, symbol) stream of one socket, with its reorder buffer when sequenced."""

    channel: str
    symbol: str | None
    group: str
    depth: int = MAX_BOOK_DEPTH
    # The private orders channel's user.
    user_id: int | None = None
    # Sequenced streams (book, trades, orders) only.
    sequencer: Sequencer | None = None
    # The sequencer's gap clock, while it waits for a gap to fill.
    gap_task: asyncio.Task[None] | None = None
    # A depth-limited book: the prices in the client's window per side, best first.
    window: dict[str, list[Decimal]] | None = None
    # The private orders channel: the last seq the client has (asked for on subscribe with
    # `since_seq`, then the last one sent), from which a snapshot replays what it missed.
    since_seq: int | None = None
    # A window resync: any book snapshot at this seq or later will do (one shared per process).
    resync_from_seq: int | None = None

    @property
    def key(self) -> Key:
        return self.channel, self.symbol

    @property
    def sequenced(self) -> bool:
        return self.sequencer is not None

    @property
    def seq(self) -> Sequencer:
        """The reorder buffer of a sequenced stream (book, trades, orders)."""
        assert self.sequencer is not None, f"{self.channel} is not sequenced"
        return self.sequencer

    def cancel_gap_timer(self) -> None:
        if self.gap_task is not None and not self.gap_task.done():
            self.gap_task.cancel()
        self.gap_task = None


def trimmed(sub: Subscription, part: Part, expected: int) -> str:
    """A part that straddles the snapshot, cut to the items from `expected` on (cannot happen
    while snapshots are read at a transaction boundary, but cheap to get right)."""
    message = json.loads(part["text"])
    key = "levels" if sub.channel == "book" else "trades"
    message[key] = [item for item in message[key] if item["seq"] >= expected]
    message["first_seq"] = expected
    return streams.encode(message)


def windowed(sub: Subscription, text: str) -> str | None:
    """A book delta cut to a depth-limited subscription's window, or None when the window's
    membership changed and the client needs a fresh snapshot. Keeps the delta's seq range, so
    the client's gap check holds even when no level of it is in the window."""
    assert sub.window is not None
    message = json.loads(text)
    kept = []
    for level in message["levels"]:
        window = sub.window[level["side"]]
        price, qty = Decimal(level["price"]), Decimal(level["qty"])
        inside = price in window
        if qty == 0:
            if inside:
                return None  # the next level (if any) enters: a snapshot says which
            continue
        if inside:
            kept.append(level)
        elif len(window) < sub.depth:
            # The window was not full, so it held the whole side: the new level simply enters.
            window.append(price)
            window.sort(reverse=level["side"] == "buy")
            kept.append(level)
        elif (price > window[-1]) if level["side"] == "buy" else (price < window[-1]):
            return None  # a better level pushes the window's last one out
    message["levels"] = kept
    return streams.encode(message)


class Subscriptions:
    """A socket's subscriptions by (channel, symbol), and the work of keeping each in order."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.by_key: dict[Key, Subscription] = {}
        # Snapshot reads started from stream messages, kept until done (the loop keeps only
        # weak references to tasks).
        self.tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self.by_key)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self.by_key.values()))

    def private_held(self) -> bool:
        return any(key[0] in PRIVATE_CHANNELS for key in self.by_key)

    def current(self, sub: Subscription) -> bool:
        """Whether `sub` is still subscribed (not dropped, nor replaced, meanwhile)."""
        return self.by_key.get(sub.key) is sub

    async def open(self, request: SubscribeRequest, user_id: int | None) -> Subscription:
        """The subscription a request asks for, joined to its group; subscribing again is how
        a client asks for a fresh start (after a gap, say), so an existing one is reset."""
        existing = self.by_key.get(request.key)
        if existing is not None:
            existing.depth = request.depth
            if request.since_seq is not None:
                existing.since_seq = request.since_seq
            return existing
        channel, symbol = request.key
        sub = Subscription(
            channel=channel,
            symbol=symbol,
            group=group_for(channel, symbol, user_id),
            depth=request.depth,
            user_id=user_id if request.private else None,
            since_seq=request.since_seq,
            sequencer=(
                Sequencer() if channel in SEQUENCED_CHANNELS or channel == "orders" else None
            ),
        )
        self.by_key[sub.key] = sub
        try:
            # Join before reading the snapshot: a change committed after the read is then
            # certain to arrive as a message (and one before it is dropped by its seq).
            await relay().join(sub.group, self.socket)
        except BaseException:
            self.by_key.pop(sub.key, None)
            await relay().leave(sub.group, self.socket)
            raise
        if channel in SYMBOL_CHANNELS and symbol is not None:
            await streams.watch_symbol(symbol)
        return sub

    async def start(self, sub: Subscription) -> None:
        """Send what a new (or renewed) subscriber gets first."""
        if sub.sequenced:
            await self.resync(sub)
        elif sub.channel == "quotes" and sub.symbol is not None:
            await self.socket.send_message(await snapshots.reader(snapshots.quote)(sub.symbol))
        elif sub.channel == "auction":
            message = await snapshots.reader(snapshots.auction_snapshot)(sub.symbol)
            await self.socket.send_message(message)

    async def drop(self, sub: Subscription) -> None:
        sub.cancel_gap_timer()
        if self.current(sub):
            del self.by_key[sub.key]
            if sub.channel in SYMBOL_CHANNELS and sub.symbol is not None:
                streams.unwatch_symbol(sub.symbol)
            await relay().leave(sub.group, self.socket)

    async def drop_all(self, *, private_only: bool = False) -> None:
        for sub in self:
            if not private_only or sub.channel in PRIVATE_CHANNELS:
                await self.drop(sub)

    # ------------------------------------------------------------------ sequenced streams
    async def offer(self, sub: Subscription, part: Part) -> None:
        verdict = sub.seq.offer(part)
        if verdict is Verdict.SEND:
            await self._release(sub, part)
        elif verdict is Verdict.RESYNC:
            self._start_resync(sub)
        else:
            self._sync_gap_timer(sub)

    async def _release(self, sub: Subscription, part: Part | None = None) -> None:
        """Send `part` and the held parts it unblocks, or (None) those a snapshot unblocks."""
        for ready, expected in sub.seq.release(part):
            text = (
                ready["text"] if ready["first_seq"] >= expected else trimmed(sub, ready, expected)
            )
            if sub.window is not None:
                cut = windowed(sub, text)
                if cut is None:
                    # The window's membership changed (a level left it, or a better one pushed
                    # the last out): only a snapshot can say what is in it now.
                    sub.resync_from_seq = ready["seq"]
                    self._start_resync(sub)
                    return
                text = cut
            await self.socket.frame(text)
            if sub.channel == "orders":
                sub.since_seq = ready["seq"]
        if not sub.seq.waiting:
            sub.cancel_gap_timer()  # nothing is held any more

    def _sync_gap_timer(self, sub: Subscription) -> None:
        """Run the gap clock exactly while the sequencer waits for a gap to fill."""
        if sub.seq.waiting:
            if sub.gap_task is None:
                sub.gap_task = asyncio.create_task(self._gap_timeout(sub))
        else:
            sub.cancel_gap_timer()

    async def _gap_timeout(self, sub: Subscription) -> None:
        await asyncio.sleep(GAP_WAIT_SECONDS)
        sub.gap_task = None
        if sub.seq.gap_timed_out() and self.current(sub):
            log.info("gap in %s %s at seq %s: resyncing", sub.channel, sub.symbol, sub.seq.expected)
            self._start_resync(sub)

    def _start_resync(self, sub: Subscription) -> None:
        if sub.seq.hold():  # hold everything until the snapshot is in
            self._spawn(self.resync(sub))
        self._sync_gap_timer(sub)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _snapshot(self, sub: Subscription) -> Mapping[str, Any]:
        if sub.channel == "orders":
            assert sub.user_id is not None
            return await snapshots.reader(snapshots.orders_snapshot)(sub.user_id, sub.since_seq)
        assert sub.symbol is not None  # book and trades name a stock
        if sub.channel == "book" and sub.resync_from_seq is not None:
            shared = snapshots.shared_snapshots()
            snapshot = await shared.book(sub.symbol, sub.depth, sub.resync_from_seq)
            sub.resync_from_seq = None
            return snapshot
        if sub.channel == "book":
            return await snapshots.reader(snapshots.book_snapshot)(sub.symbol, sub.depth)
        return await snapshots.reader(snapshots.trades_snapshot)(sub.symbol)

    async def resync(self, sub: Subscription) -> None:
        """Send a fresh snapshot and continue from its seq."""
        if not sub.seq.begin_snapshot():
            return  # one is being read; it serves this request too
        self._sync_gap_timer(sub)
        try:
            snapshot = await self._snapshot(sub)
        except Exception:
            log.exception("snapshot of %s %s failed", sub.channel, sub.symbol)
            sub.seq.end_snapshot(None)
            if self.current(sub):
                await self.socket.send_error(
                    "unavailable",
                    f"Could not read the {sub.channel} snapshot of {sub.symbol}; subscribe again.",
                )
            return
        if not self.current(sub) or self.socket.closing:
            sub.seq.end_snapshot(None)
            return
        sub.seq.end_snapshot(snapshot["seq"])
        if sub.channel == "orders":
            sub.since_seq = snapshot["seq"]
        sub.window = None
        if sub.channel == "book" and sub.depth < MAX_BOOK_DEPTH:
            sub.window = {
                "buy": [Decimal(level["price"]) for level in snapshot["bids"]],
                "sell": [Decimal(level["price"]) for level in snapshot["asks"]],
            }
        await self.socket.send_message(snapshot)
        await self._release(sub)
        sub.seq.wait_for_gap()
        self._sync_gap_timer(sub)
