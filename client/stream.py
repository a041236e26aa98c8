"""The live streams of a Brokerage server (`ws://HOST/ws/`), kept alive across restarts.

`Stream` holds one websocket with a fixed set of subscriptions. It reconnects with exponential
back-off and full jitter (so a restarted server is not hit by every client at once),
subscribes again after every reconnect, keeps each book from its snapshot plus deltas, and
asks for a fresh snapshot (by subscribing again) when a `seq` does not follow on.

    async for event in Stream(url, symbols=["AAPL"]).events():
        ...

`events()` yields the server's messages (`book.snapshot`, `book.delta`, `trades.snapshot`,
`trades`, `quote`, `orders`, `error`, ...) and the stream's own: `connected`,
`disconnected` (with `retry_in` seconds) and `resync` (a gap was seen). A wrong API key or an
unknown symbol ends it with a `StreamError`; a lost connection never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from client.api import ClientError

CLOSE_AUTH_FAILED = 4401
# Channels that carry a symbol; `orders` is the private one and carries none.
MARKET_CHANNELS = ("quotes", "trades", "book")
# Server error codes that no reconnect can cure.
FATAL_CODES = {"auth_failed", "unknown_symbol", "bad_auth", "already_authenticated"}


class StreamError(ClientError):
    """The stream cannot go on: a refused key, an unknown symbol, no server at the start."""


@dataclass
class Book:
    """One symbol's book, from a snapshot and the deltas after it; prices and sizes as Decimals."""

    symbol: str
    seq: int = -1
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    synced: bool = False

    def load(self, snapshot: dict) -> None:
        self.seq = snapshot["seq"]
        self.bids = {Decimal(lvl["price"]): Decimal(lvl["qty"]) for lvl in snapshot["bids"]}
        self.asks = {Decimal(lvl["price"]): Decimal(lvl["qty"]) for lvl in snapshot["asks"]}
        self.synced = True

    def apply(self, delta: dict) -> bool:
        """Apply a delta; False means a gap, after which the book waits for a new snapshot."""
        if not self.synced or delta["seq"] <= self.seq:
            return True  # waiting for a snapshot, or already part of the one we have
        if delta["first_seq"] != self.seq + 1:
            self.synced = False
            return False
        for level in delta["levels"]:
            side = self.bids if level["side"] == "buy" else self.asks
            price, qty = Decimal(level["price"]), Decimal(level["qty"])
            if qty == 0:
                side.pop(price, None)
            else:
                side[price] = qty
        self.seq = delta["seq"]
        return True

    def levels(self, side: str, depth: int = 10) -> list[tuple[Decimal, Decimal]]:
        """Best first: highest bids, lowest asks."""
        book = self.bids if side == "buy" else self.asks
        return sorted(book.items(), reverse=side == "buy")[:depth]

    @property
    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        return max(self.bids.items()) if self.bids else None

    @property
    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        return min(self.asks.items()) if self.asks else None


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: anywhere from 0 to min(cap, base * 2**attempt) seconds."""
    return rng.uniform(0, min(cap, base * 2 ** min(attempt, 30)))


class Stream:
    """A websocket with subscriptions to `channels` of each symbol, and `orders` with a key."""

    def __init__(
        self,
        url: str,
        *,
        symbols: Iterable[str] = (),
        channels: Iterable[str] = MARKET_CHANNELS,
        key_id: str = "",
        secret_key: str = "",
        orders: bool | None = None,
        depth: int = 50,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        retry_first_connect: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.symbols = [s.strip().upper() for s in symbols]
        self.channels = tuple(channels)
        self.key_id, self.secret_key = key_id, secret_key
        self.orders = bool(key_id and secret_key) if orders is None else orders
        self.depth = depth
        self.base_delay, self.max_delay = base_delay, max_delay
        self.retry_first_connect = retry_first_connect
        self.rng = rng or random.Random()
        self.books: dict[str, Book] = {s: Book(s) for s in self.symbols if "book" in self.channels}
        self.trade_seq: dict[str, int] = {}
        # The last private `orders` seq received: resubscribing with it as `since_seq` (after
        # a reconnect, to whichever server answers, or after a gap) replays what was missed.
        self.orders_seq: int | None = None
        self._orders_resyncing = False
        self.connects = 0
        self.user: str | None = None
        self._ws: ClientConnection | None = None
        self._closing = False

    def subscriptions(self) -> list[dict]:
        subs = []
        for symbol in self.symbols:
            for channel in self.channels:
                sub: dict[str, Any] = {"action": "subscribe", "channel": channel, "symbol": symbol}
                if channel == "book":
                    sub["depth"] = self.depth
                subs.append(sub)
        if self.orders:
            subs.append(self._orders_subscription())
        return subs

    def _orders_subscription(self) -> dict:
        sub: dict[str, Any] = {"action": "subscribe", "channel": "orders"}
        if self.orders_seq is not None:
            sub["since_seq"] = self.orders_seq
        return sub

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def send(self, message: dict) -> None:
        if self._ws is not None:
            await self._ws.send(json.dumps(message))

    # ------------------------------------------------------------------ the loop
    async def events(self) -> AsyncIterator[dict]:
        attempt = 0
        headers = {}
        if self.key_id:
            headers = {"APCA-API-KEY-ID": self.key_id, "APCA-API-SECRET-KEY": self.secret_key}
        while not self._closing:
            reason = "the server closed the connection"
            try:
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=10, max_size=2**22
                ) as ws:
                    self._ws = ws
                    async for raw in ws:
                        message = json.loads(raw)
                        for event in await self._handle(message):
                            if event["type"] == "connected":
                                attempt = 0  # a working connection resets the back-off
                            yield event
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == CLOSE_AUTH_FAILED:
                    raise StreamError(
                        "the server refused the API key (unknown, revoked or mismatched)",
                        kind="auth",
                    ) from None
                reason = "connection lost"
            except InvalidURI:
                raise StreamError(f"{self.url} is not a websocket address") from None
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                reason = f"cannot connect ({exc.__class__.__name__})"
                if self.connects == 0 and not self.retry_first_connect:
                    raise StreamError(
                        f"cannot connect to {self.url} (is the server running?)",
                        kind="unreachable",
                    ) from None
            finally:
                self._ws = None
                self._orders_resyncing = False
                for book in self.books.values():
                    book.synced = False
            if self._closing:
                return
            delay = backoff_delay(attempt, self.base_delay, self.max_delay, self.rng)
            attempt += 1
            yield {"type": "disconnected", "reason": reason, "retry_in": delay, "ts": _now_ms()}
            await asyncio.sleep(delay)

    async def _handle(self, message: dict) -> list[dict]:
        kind = message.get("type")
        out = [message]
        if kind == "hello":
            self.connects += 1
            self.user = message.get("user")
            if self.key_id and not message.get("user"):
                raise StreamError("the server did not accept the API key", kind="auth")
            for sub in self.subscriptions():
                await self.send(sub)
            out = [
                {
                    "type": "connected",
                    "url": self.url,
                    "user": self.user,
                    "reconnect": self.connects > 1,
                    "ts": _now_ms(),
                }
            ]
        elif kind == "error" and message.get("code") in FATAL_CODES:
            raise StreamError(
                f"{message.get('message')} ({message.get('code')})",
                kind="auth" if "auth" in message.get("code", "") else "refused",
            )
        elif kind == "book.snapshot":
            self.books.setdefault(message["symbol"], Book(message["symbol"])).load(message)
        elif kind == "book.delta":
            book = self.books.setdefault(message["symbol"], Book(message["symbol"]))
            if not book.apply(message):
                out.append(await self._resync("book", message["symbol"], book.seq, message))
        elif kind == "orders.snapshot":
            # What was missed since `since_seq` comes first, oldest first, each once.
            self._orders_resyncing = False
            out = [message]
            if self.orders_seq is not None:
                for missed in message.get("missed") or []:
                    if missed.get("seq", 0) > self.orders_seq:
                        out.append(missed)
                        self.orders_seq = missed["seq"]
            self.orders_seq = max(self.orders_seq or 0, int(message.get("seq") or 0))
        elif kind in ("orders", "auction.standing") and isinstance(message.get("seq"), int):
            return await self._private(message)
        elif kind == "trades.snapshot":
            self.trade_seq[message["symbol"]] = message["seq"]
        elif kind == "trades":
            symbol = message["symbol"]
            last = self.trade_seq.get(symbol)
            if last is not None and message["first_seq"] > last + 1:
                out.append(await self._resync("trades", symbol, last, message))
            self.trade_seq[symbol] = max(message["seq"], last or 0)
        return out

    async def _private(self, message: dict) -> list[dict]:
        """A private message in its sequence: dropped if had, a resync on a gap."""
        seq = message["seq"]
        if self.orders_seq is not None and seq <= self.orders_seq:
            return []  # already had it (from a replay)
        if self._orders_resyncing:
            return []  # the replay asked for brings it
        if self.orders_seq is not None and seq > self.orders_seq + 1:
            # A gap: the replay after our last seq brings it, this one included.
            self._orders_resyncing = True
            await self.send(self._orders_subscription())
            return [self._gap_event("orders", None, self.orders_seq, seq)]
        self.orders_seq = seq
        return [message]

    async def _resync(self, channel: str, symbol: str, had: int, message: dict) -> dict:
        """Subscribing again is how the protocol asks for a fresh snapshot."""
        sub: dict[str, Any] = {"action": "subscribe", "channel": channel, "symbol": symbol}
        if channel == "book":
            sub["depth"] = self.depth
        await self.send(sub)
        return self._gap_event(channel, symbol, had, message["first_seq"])

    @staticmethod
    def _gap_event(channel: str, symbol: str | None, had: int, got: int) -> dict:
        return {
            "type": "resync",
            "channel": channel,
            "symbol": symbol,
            "had_seq": had,
            "got_first_seq": got,
            "ts": _now_ms(),
        }


def _now_ms() -> float:
    return round(time.time() * 1000, 3)
