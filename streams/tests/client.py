"""A Python stream client that behaves like `static/src/streams.js`, for tests and benchmarks.

It reconnects with exponential back-off and full jitter, subscribes again after every
reconnect, rebuilds each book from its snapshot plus deltas, and re-subscribes (for a fresh
snapshot) when it sees a gap in `seq`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field

import websockets


@dataclass
class LocalBook:
    """A book kept from a snapshot and deltas: price -> quantity, per side (strings as sent)."""

    seq: int = -1
    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    synced: bool = False

    def load(self, snapshot: dict) -> None:
        self.seq = snapshot["seq"]
        self.bids = {lvl["price"]: lvl["qty"] for lvl in snapshot["bids"]}
        self.asks = {lvl["price"]: lvl["qty"] for lvl in snapshot["asks"]}
        self.synced = True

    def apply(self, delta: dict) -> bool:
        """Apply a delta; False means a gap (the book is no longer trustworthy)."""
        if not self.synced:
            return True  # waiting for a snapshot: ignore
        if delta["seq"] <= self.seq:
            return True  # already in the snapshot
        if delta["first_seq"] != self.seq + 1:
            self.synced = False
            return False
        for level in delta["levels"]:
            side = self.bids if level["side"] == "buy" else self.asks
            if level["qty"] == "0":
                side.pop(level["price"], None)
            else:
                side[level["price"]] = level["qty"]
        self.seq = delta["seq"]
        return True

    def as_rest(self) -> dict:
        """In the shape of `GET /api/v1/stocks/{symbol}/book` (price and qty only)."""
        from decimal import Decimal

        return {
            "seq": self.seq,
            "bids": sorted(self.bids.items(), key=lambda kv: -Decimal(kv[0])),
            "asks": sorted(self.asks.items(), key=lambda kv: Decimal(kv[0])),
        }


class StreamClient:
    """One websocket to `/ws/` with a fixed set of subscriptions, kept alive across restarts."""

    def __init__(
        self,
        url: str,
        subscriptions: list[dict],
        *,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        base_delay: float = 0.25,
        max_delay: float = 5.0,
    ) -> None:
        self.url = url
        self.subscriptions = subscriptions
        self.origin = origin
        self.headers = headers or {}
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.books: dict[str, LocalBook] = {}
        self.trade_seqs: dict[str, list[int]] = {}
        self.order_events: list[dict] = []
        self.errors: list[dict] = []
        self.messages: list[dict] = []
        self.connects = 0
        self.gaps = 0
        self.snapshots = 0
        self.hello: dict | None = None
        self._ws = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.connected = asyncio.Event()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                async with websockets.connect(
                    self.url,
                    origin=self.origin,
                    additional_headers=self.headers,
                    open_timeout=5,
                    max_size=2**22,
                ) as ws:
                    self._ws = ws
                    self.connects += 1
                    attempt = 0  # a successful connection resets the back-off
                    for subscription in self.subscriptions:
                        await ws.send(json.dumps({"action": "subscribe", **subscription}))
                    async for raw in ws:
                        await self._handle(json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            finally:
                self._ws = None
                self.connected.clear()
                for book in self.books.values():
                    book.synced = False
            if self._stopping:
                return
            # Exponential back-off with full jitter: a restarted server is not hit by every
            # client in the same millisecond.
            attempt += 1
            await asyncio.sleep(
                random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
            )

    async def _resubscribe(self, channel: str, symbol: str) -> None:
        extra = next(
            (
                s
                for s in self.subscriptions
                if s["channel"] == channel and s.get("symbol") == symbol
            ),
            {"channel": channel, "symbol": symbol},
        )
        if self._ws is not None:
            await self._ws.send(json.dumps({"action": "subscribe", **extra}))

    # ----------------------------------------------------------------- messages
    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        message["received_at"] = time.time() * 1000
        self.messages.append(message)
        if kind == "hello":
            self.hello = message
            self.connected.set()
        elif kind == "book.snapshot":
            self.snapshots += 1
            self.books.setdefault(message["symbol"], LocalBook()).load(message)
        elif kind == "book.delta":
            book = self.books.setdefault(message["symbol"], LocalBook())
            if not book.apply(message):
                self.gaps += 1
                await self._resubscribe("book", message["symbol"])
        elif kind == "trades.snapshot":
            self.trade_seqs[message["symbol"]] = [message["seq"]]
        elif kind == "trades":
            seqs = self.trade_seqs.setdefault(message["symbol"], [])
            seqs.extend(t["seq"] for t in message["trades"])
        elif kind == "orders":
            self.order_events.extend(message["events"])
        elif kind == "error":
            self.errors.append(message)

    async def wait_for(self, predicate, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.05)
        return predicate()
