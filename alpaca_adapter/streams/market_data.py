"""`/v2/iex` and `/v2/sip`: Alpaca's market-data stream, for alpaca-py's `StockDataStream`.

The protocol (https://docs.alpaca.markets/docs/real-time-stock-pricing-data): every frame is
an array of messages with a type `T`. On connect the server says
`[{"T": "success", "msg": "connected"}]`; the client sends
`{"action": "auth", "key": ..., "secret": ...}` (answered `authenticated`, or error 402), then
`{"action": "subscribe", "trades": [...], "quotes": [...], "bars": [...]}` (answered with a
`subscription` message listing everything subscribed), and `unsubscribe` alike. A client that
connects with `Content-Type: application/msgpack` (the SDK does) is spoken to in msgpack, times
as msgpack timestamps; any other client in JSON, times as RFC 3339 strings.

What is sent, all of it ours (`alpaca_adapter.market_data` has the shapes):

- `t` trades: each execution on our book, from the `market.<SYMBOL>` group's trades.
- `q` quotes: the top of our book whenever a book delta changes it (a socket is told only
  when its best bid or ask, or their size, moved). The book is read once per delta per
  process, not once per socket.
- `b` bars: each minute's bar (trades, or reference prices in a minute nobody traded) a couple
  of seconds after the minute closes; `d` dailyBars: the day's bar so far, after each minute
  bar. `updatedBars`, `statuses` and `lulds` are accepted and never sent.

Like `/ws/`, the socket does not join channel-layer groups itself: the process's relay
(`streams.relay`) does, once per group. Nothing here writes to the database.

Symbols not listed here are left out of a subscription (the `subscription` answer lists what
was taken). A socket authenticates once (a second `auth` is error 403), and within
`AUTH_TIMEOUT_SECONDS` or it is closed. Per-socket bounds (queue, rate, frame size, crashes —
after which the relay groups and watched symbols are still released —, unread backlog):
`streams.guard`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
from channels.db import database_sync_to_async

from accounts.services import api_key_authenticate
from alpaca_adapter import market_data as market
from core import streams
from core.times import rfc3339
from streams.guard import CLOSE_SLOW_CONSUMER, SocketGuard
from streams.relay import relay
from trading.stream_messages import TradesMessage

log = logging.getLogger(__name__)

CHANNELS = ("trades", "quotes", "bars", "updatedBars", "dailyBars", "statuses", "lulds")
# The SDK lists these in every subscription message; they follow the trades subscription.
FOLLOW_TRADES = ("corrections", "cancelErrors")
MAX_SYMBOLS = 1000
MAX_FRAME_BYTES = 64 * 1024
# A trade committed in the last instant of a minute is published a moment later: wait that
# long after the minute closes before reading its bar.
BAR_DELAY_SECONDS = 2.0
AUTH_TIMEOUT_SECONDS = 30.0

# Alpaca's stream error codes.
INVALID_SYNTAX = 400
NOT_AUTHENTICATED = 401
AUTH_FAILED = 402
ALREADY_AUTHENTICATED = 403
SYMBOL_LIMIT = 405
INVALID_SUBSCRIPTION = 410


def seconds_until_next_bar() -> float:
    now = time.time()
    return 60 - now % 60 + BAR_DELAY_SECONDS


def closed_minute() -> datetime:
    """The start of the minute that closed most recently (allowing for the delay)."""
    now = time.time() - BAR_DELAY_SECONDS
    return datetime.fromtimestamp(int(now) // 60 * 60 - 60, UTC)


@database_sync_to_async
def _authenticate(key_id: str, secret: str):
    key = api_key_authenticate(key_id=key_id, secret=secret)
    return None if key is None else key.user


_listed = database_sync_to_async(market.listed_symbols)
_read_top = database_sync_to_async(market.top_of_book_for)
_read_bars = database_sync_to_async(market.minute_and_day_bars)


class _Shared:
    """One event loop's reads, shared by its sockets: the book top per symbol (with the book
    sequence it is at least as new as) and the closed minutes' bars."""

    def __init__(self) -> None:
        self.tops: dict[str, tuple[int, market.TopOfBook | None]] = {}
        self.bars: dict[tuple[str, datetime], asyncio.Future] = {}

    async def top(self, symbol: str, seq: int) -> market.TopOfBook | None:
        # Deltas may arrive out of order; a read made after delta `seq` arrived shows the book
        # at `seq` or later, so it serves every delta up to the one it was read for.
        known = self.tops.get(symbol)
        if known is not None and known[0] >= seq:
            return known[1]
        top = await _read_top(symbol)
        known = self.tops.get(symbol)
        if known is None or known[0] < seq:
            self.tops[symbol] = (seq, top)
        return top

    async def closed_bars(self, symbol: str, minute: datetime):
        key = (symbol, minute)
        found = self.bars.get(key)
        if found is None:
            for old in [k for k in self.bars if k[1] < minute - timedelta(minutes=5)]:
                del self.bars[old]
            found = self.bars[key] = asyncio.ensure_future(_read_bars(symbol, minute))
        return await asyncio.shield(found)


_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Shared] = weakref.WeakKeyDictionary()


def shared() -> _Shared:
    loop = asyncio.get_running_loop()
    found = _shared.get(loop)
    if found is None:
        found = _shared[loop] = _Shared()
    return found


def _moment_from_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class DataStreamConsumer(SocketGuard):
    """One client's market data: connect, auth, subscribe; then trades, quotes and bars."""

    user = None
    use_msgpack = False
    max_frame_bytes = MAX_FRAME_BYTES
    clock: asyncio.Task | None = None
    auth_timer: asyncio.Task | None = None
    market_groups: set[str] = set()
    watched: set[str] = set()

    async def connect(self) -> None:
        self.subscriptions: dict[str, set[str]] = {c: set() for c in CHANNELS}
        self.market_groups: set[str] = set()
        self.watched: set[str] = set()
        self.last_quotes: dict[str, market.TopOfBook] = {}
        self.clock: asyncio.Task | None = None
        self.last_bar_minute: datetime | None = None
        headers = dict(self.scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        self.use_msgpack = "msgpack" in content_type
        await self.accept()
        await self._send([{"T": "success", "msg": "connected"}])
        self.auth_timer = asyncio.create_task(self._auth_deadline())

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self._error(NOT_AUTHENTICATED, "auth timeout")
            await self.close(code=1008)

    def holds_something(self) -> bool:
        return any(getattr(self, "subscriptions", {}).values())

    async def frame_too_large(self) -> None:
        await self._error(INVALID_SYNTAX, "invalid syntax")

    async def handler_failed(self, exc: Exception) -> None:
        await self._error(INVALID_SYNTAX, "invalid syntax")

    async def over_rate(self) -> None:
        await self._error(INVALID_SYNTAX, "too many messages")

    async def disconnect(self, code: int) -> None:
        for task in (self.clock, self.auth_timer):
            if task is not None:
                task.cancel()
        for group in list(self.market_groups):
            await relay().leave(group, self)
        self.market_groups.clear()
        for symbol in self.watched:
            streams.unwatch_symbol(symbol)
        self.watched.clear()

    # ------------------------------------------------------------------ client messages
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw = bytes_data if bytes_data is not None else (text_data or "").encode()
        if len(raw) > MAX_FRAME_BYTES:
            await self._error(INVALID_SYNTAX, "invalid syntax")
            return
        try:
            message = msgpack.unpackb(raw) if bytes_data is not None else json.loads(raw)
        except Exception:
            try:
                message = json.loads(raw)
            except ValueError:
                await self._error(INVALID_SYNTAX, "invalid syntax")
                return
        if not isinstance(message, dict):
            await self._error(INVALID_SYNTAX, "invalid syntax")
            return
        action = message.get("action")
        if action == "auth":
            await self._auth(message)
        elif action in ("subscribe", "unsubscribe"):
            await self._subscribe(message, add=action == "subscribe")
        else:
            await self._error(INVALID_SYNTAX, "invalid syntax")

    async def _auth(self, message: dict) -> None:
        if self.user is not None:
            await self._error(ALREADY_AUTHENTICATED, "already authenticated")
            return
        key_id, secret = str(message.get("key") or ""), str(message.get("secret") or "")
        user = await _authenticate(key_id, secret) if key_id and secret else None
        if user is None:
            await self._error(AUTH_FAILED, "auth failed")
            await self.close(code=1008)
            return
        self.user = user
        await self._send([{"T": "success", "msg": "authenticated"}])

    async def _subscribe(self, message: dict, *, add: bool) -> None:
        if self.user is None:
            await self._error(NOT_AUTHENTICATED, "not authenticated")
            return
        wanted: dict[str, set[str]] = {}
        for channel in CHANNELS:
            symbols = message.get(channel) or []
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                await self._error(INVALID_SYNTAX, "invalid syntax")
                return
            wanted[channel] = {s.strip().upper() for s in symbols if s.strip()}
        if any("*" in symbols for symbols in wanted.values()):
            await self._error(INVALID_SUBSCRIPTION, "wildcard subscriptions are not supported here")
            return
        if any(not streams.streamable(streams.market_group(s)) for v in wanted.values() for s in v):
            await self._error(INVALID_SYNTAX, "invalid syntax")
            return
        if add:
            if len(set().union(*wanted.values())) > MAX_SYMBOLS:
                await self._error(SYMBOL_LIMIT, "symbol limit exceeded")
                return
            listed = await _listed(set().union(*wanted.values()))
            wanted = {c: symbols & listed for c, symbols in wanted.items()}
        after = {
            c: (self.subscriptions[c] | wanted[c]) if add else (self.subscriptions[c] - wanted[c])
            for c in CHANNELS
        }
        if len(set().union(*after.values())) > MAX_SYMBOLS:
            await self._error(SYMBOL_LIMIT, "symbol limit exceeded")
            return
        self.subscriptions = after
        await self._follow_groups()
        self._follow_clock()
        listing = {c: sorted(self.subscriptions[c]) for c in CHANNELS}
        for channel in FOLLOW_TRADES:
            listing[channel] = listing["trades"]
        await self._send([{"T": "subscription", **listing}])

    async def _follow_groups(self) -> None:
        """Be in `market.<SYMBOL>` exactly for the symbols with trades or quotes wanted."""
        symbols = self.subscriptions["trades"] | self.subscriptions["quotes"]
        wanted = {streams.market_group(s) for s in symbols}
        for group in sorted(wanted - self.market_groups):
            await relay().join(group, self)
            self.market_groups.add(group)
        for group in sorted(self.market_groups - wanted):
            await relay().leave(group, self)
            self.market_groups.discard(group)
        # Every symbol streamed here counts as watched, so the price pull prices it first.
        every = set().union(*self.subscriptions.values())
        for symbol in sorted(every - self.watched):
            await streams.watch_symbol(symbol)
        for symbol in self.watched - every:
            streams.unwatch_symbol(symbol)
        self.watched = every
        for symbol in list(self.last_quotes):
            if symbol not in self.subscriptions["quotes"]:
                del self.last_quotes[symbol]

    def _follow_clock(self) -> None:
        wants_bars = bool(self.subscriptions["bars"] or self.subscriptions["dailyBars"])
        if wants_bars and (self.clock is None or self.clock.done()):
            self.clock = asyncio.ensure_future(self._bar_clock())
        elif not wants_bars and self.clock is not None:
            self.clock.cancel()
            self.clock = None

    # ------------------------------------------------------------------ server messages
    async def stream_message(self, event: dict[str, Any]) -> None:
        """A `market.<SYMBOL>` event from the relay: its trades and, through the book, a quote."""
        symbol = event.get("symbol")
        parts = event.get("parts") or {}
        if not symbol:
            return
        out: list[dict] = []
        trades = parts.get("trades")
        if trades is not None and symbol in self.subscriptions["trades"]:
            message: TradesMessage = json.loads(trades["text"])
            for trade in message["trades"]:
                moment = datetime.fromisoformat(trade["time"].replace("Z", "+00:00"))
                out.append(
                    {
                        "T": "t",
                        "S": symbol,
                        **market.trade_wire(
                            seq=trade["seq"],
                            price=trade["price"],
                            qty=trade["qty"],
                            moment=self._time(moment),
                        ),
                    }
                )
        book = parts.get("book")
        if book is not None and symbol in self.subscriptions["quotes"]:
            top = await shared().top(symbol, int(book.get("seq") or 0))
            if top is not None and self.last_quotes.get(symbol) != top:
                self.last_quotes[symbol] = top
                ts = json.loads(book["text"]).get("ts") or streams.now_ms()
                moment = self._time(_moment_from_ms(ts))
                out.append({"T": "q", "S": symbol, **market.quote_wire(top, moment)})
        if out:
            await self._send(out)

    async def _bar_clock(self) -> None:
        while True:
            await asyncio.sleep(seconds_until_next_bar())
            minute = closed_minute()
            if self.last_bar_minute is not None and minute <= self.last_bar_minute:
                continue
            self.last_bar_minute = minute
            try:
                await self._send_bars(minute)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not send the bars of %s", minute)

    async def _send_bars(self, minute: datetime) -> None:
        out: list[dict] = []
        for symbol in sorted(self.subscriptions["bars"] | self.subscriptions["dailyBars"]):
            bar, daily = await shared().closed_bars(symbol, minute)
            if bar is not None and symbol in self.subscriptions["bars"]:
                out.append({"T": "b", "S": symbol, **self._bar(bar)})
            if daily is not None and symbol in self.subscriptions["dailyBars"]:
                out.append({"T": "d", "S": symbol, **self._bar(daily)})
        if out:
            await self._send(out)

    def _bar(self, bar: market.Bar) -> dict[str, Any]:
        return {**market.bar_json(bar), "t": self._time(bar.start)}

    def _time(self, moment: datetime) -> Any:
        if self.use_msgpack:
            return msgpack.Timestamp.from_datetime(moment.astimezone(UTC))
        return rfc3339(moment)

    async def _error(self, code: int, message: str) -> None:
        await self._send([{"T": "error", "code": code, "msg": message}])

    async def _send(self, messages: list[dict]) -> None:
        if self.too_slow():
            await self.close(code=CLOSE_SLOW_CONSUMER)
            return
        if self.use_msgpack:
            await self.send(bytes_data=msgpack.packb(messages))
        else:
            await self.send(text_data=json.dumps(messages, separators=(",", ":")))
