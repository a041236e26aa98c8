"""The websocket endpoint `/ws/`: one socket, many subscriptions, every message JSON with a type.

Client to server (an optional `id`, a short string or number, is echoed in the answer):

    {"action": "subscribe", "channel": "book", "symbol": "AAPL", "depth": 100}
    {"action": "subscribe", "channel": "trades" | "quotes" | "candles", "symbol": "AAPL"}
    {"action": "subscribe", "channel": "orders", "since_seq": 41}   (private: session or key)
    {"action": "unsubscribe", "channel": ..., "symbol": ...}
    {"action": "auth", "key_id": "BK...", "secret_key": "..."}
    {"action": "ping"}

Server to client: `hello` on connect; `subscribed` / `unsubscribed` acknowledgements;
`book.snapshot` then `book.delta`s; `trades.snapshot` then `trades`; `quote`; `candle`;
`orders.snapshot` then `orders`; `authenticated`; `pong`; `error` (`{"type": "error", "code",
"message"}`).

The private `orders` channel numbers each user's messages with `seq` (1, 2, 3... across all
their sockets, `core.streams`). Subscribing answers `orders.snapshot`: the open orders, the
current `seq`, and with `since_seq` the messages after it that the client missed (`missed`,
the last 1,000 kept for a day; `missed_complete` false if more were). A gap is repaired like a
book's: held for a second, then a fresh snapshot replays from the last seq sent.

The private right ends with the key or session that gave it: revoking the key, logging out,
deactivating the user (or, for sessions, a new password) sends `error` `auth_revoked` within a
second, drops the private subscriptions and forgets the user (public ones go on); a re-check
every `ACCESS_RECHECK_SECONDS` and on every private subscribe backs the event up.

Ordering: `book.delta` and `trades` messages carry `first_seq`..`seq`, contiguous per symbol.
Publishers may reach Redis out of commit order (on_commit callbacks of different processes
race), so each subscription holds a message that arrives ahead of its turn for up to
`GAP_WAIT_SECONDS`; if the gap does not fill by then (a message was lost), it sends a fresh
snapshot instead. A client therefore sees, per symbol, a snapshot and then deltas with seq
rising by exactly one, or a new snapshot; a client-side gap check is a second safety net.

Fan-out: a socket does not join channel-layer groups itself. Each process has one relay
(`trading.streams.relay`) that joins a group once (when its first local socket subscribes) and
hands every message to its local sockets directly; the reordering is `trading.streams.sequencer`,
the rate limit `trading.streams.limits`. Limits and abuse: see the constants below
(frames over 4 KB, more than 50 subscriptions, 10 errors in a minute closes the socket with
4008, a wrong API key in the handshake with 4401, a client that leaves more than 4 MB unread
with 4009: `CLOSE_SLOW_CONSUMER`, counted in `slow_consumers_closed`). Messages over the rate
(a burst of 100, then 20 a second) are dropped, with one `rate_limited` error per episode; they are not errors.

Consumers stay thin: authentication and reads go through `accounts.services` and
`trading.selectors`; nothing here writes to the database.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from autobahn.websocket.protocol import PreparedMessage
from channels.db import database_sync_to_async
from django.db import close_old_connections
from django.utils import timezone

from accounts.models import User
from accounts.selectors import stream_access_valid
from accounts.services import api_key_authenticate
from core import streams
from marketdata.models import Stock
from marketdata.streams import quote_message
from trading import broadcast, selectors
from trading.auctions import messages as auction_messages
from trading.auctions import selectors as auction_selectors
from trading.models import BookState
from trading.streams.guard import (
    CLOSE_FLOOD,
    CLOSE_SLOW_CONSUMER,
    MAX_SEND_BACKLOG_BYTES,
    SocketGuard,
    daphne_protocol,
    server_send,
    transport_backlog,
)
from trading.streams.limits import RecentErrors
from trading.streams.relay import relay
from trading.streams.sequencer import Part, Sequencer, Verdict

log = logging.getLogger(__name__)

PUBLIC_CHANNELS = ("book", "trades", "quotes", "candles", "auction")
# Channels of a stock's symbol (the auction channel names an auction, or none for all).
SYMBOL_CHANNELS = ("book", "trades", "quotes", "candles")
# Streams whose messages carry first_seq..seq and start from a snapshot.
SEQUENCED_CHANNELS = ("book", "trades")
PRIVATE_CHANNELS = ("orders",)
# Named in the protocol so clients can be written against it; answered "not available yet".
PLANNED_CHANNELS: tuple[str, ...] = ()

MAX_SUBSCRIPTIONS = 50
MAX_FRAME_BYTES = 4096
MAX_BOOK_DEPTH = 1000
TRADES_SNAPSHOT_SIZE = 50
GAP_WAIT_SECONDS = 1.0
# Abuse: this many errors within the window closes the socket.
MAX_ERRORS = 10
ERROR_WINDOW_SECONDS = 60.0
# Client messages: a burst of RATE_BURST, then RATE_PER_SECOND.
RATE_BURST = 100
RATE_PER_SECOND = 20.0

# A socket's private right is re-checked this often while it has a private subscription: the
# backstop of the `stream.revoke` event, should one be lost (Redis down at the commit).
ACCESS_RECHECK_SECONDS = 30.0

CLOSE_AUTH_FAILED = 4401
# Too many errors, or a flood (trading.streams.guard): more than its queue bound waiting, or
# far over the rate.
CLOSE_ABUSE = CLOSE_FLOOD
# A client that does not read what it is sent: the bytes waiting in its socket's send buffer
# (daphne's transport, past what the kernel holds) passed MAX_SEND_BACKLOG_BYTES (guard).
# Sockets closed for it since the process started (logged, and shown here for /healthz-like
# introspection and the benchmarks).
slow_consumers_closed = 0

_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,11}$")
_KNOWN_SYMBOL_SECONDS = 300.0
_known_symbols: dict[str, float] = {}


# --------------------------------------------------------------------------- reads
def _stock_exists(symbol: str) -> bool:
    return Stock.objects.filter(symbol=symbol).exists()


def _book_snapshot(symbol: str, depth: int) -> dict:
    stock = Stock.objects.get(symbol=symbol)
    return {
        "type": "book.snapshot",
        "depth": depth,
        **selectors.book_snapshot(stock=stock, depth=depth),
    }


class _SharedSnapshots:
    """Book snapshots one event loop's sockets share: a delta that moves a depth-limited
    window makes every socket with that window need a snapshot at once, and one read (in
    flight, or the last one when it is new enough) serves them all instead of one each."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], dict] = {}
        self.reading: dict[tuple[str, int], asyncio.Future] = {}
        self.reads = 0

    async def book(self, symbol: str, depth: int, min_seq: int) -> dict:
        key = (symbol, depth)
        last = self.last.get(key)
        if last is not None and last["seq"] >= min_seq:
            return last
        reading = self.reading.get(key)
        if reading is not None:
            snapshot = await asyncio.shield(reading)
            if snapshot["seq"] >= min_seq:
                return snapshot
        reading = self.reading[key] = asyncio.ensure_future(_reader(_book_snapshot)(symbol, depth))
        self.reads += 1
        try:
            snapshot = await asyncio.shield(reading)
        finally:
            if self.reading.get(key) is reading:
                del self.reading[key]
        if key not in self.last or self.last[key]["seq"] <= snapshot["seq"]:
            self.last[key] = snapshot
        return snapshot


_shared_snapshots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SharedSnapshots] = (
    weakref.WeakKeyDictionary()
)


def shared_snapshots() -> _SharedSnapshots:
    loop = asyncio.get_running_loop()
    found = _shared_snapshots.get(loop)
    if found is None:
        found = _shared_snapshots[loop] = _SharedSnapshots()
    return found


def _trades_snapshot(symbol: str) -> dict:
    stock = Stock.objects.get(symbol=symbol)
    # The sequence is read before the trades: a trade committed in between shows up in the list
    # and is filtered out here, then arrives as a message; nothing is shown twice.
    seq = BookState.objects.filter(stock=stock).values_list("trade_seq", flat=True).first() or 0
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


def _orders_snapshot(user_id: int, since_seq: int | None) -> dict:
    """The user's open orders and, after `since_seq`, the messages they missed, at one seq.

    The seq is read first: an order committed after it is in the list and also arrives as a
    message (an order update replaces the order's state, so seeing it twice is harmless);
    one committed before it is in the list, and its message is dropped by its seq.
    """
    seq, missed, complete = streams.orders_replay(user_id, since_seq)
    open_orders = selectors.orders_for(user=User(pk=user_id), status="open", limit=500)
    return {
        "type": "orders.snapshot",
        "seq": seq,
        "orders": [broadcast.order_payload(o, o.stock.symbol) for o in open_orders],
        "since_seq": since_seq,
        "missed": [json.loads(text) for text in missed],
        "missed_complete": complete,
    }


def _quote(symbol: str) -> dict:
    return quote_message(Stock.objects.get(symbol=symbol))


def _auction_exists(auction_id: str) -> bool:
    return auction_selectors.auction_exists(auction_id=auction_id)


def _auction_snapshot(auction_id: str | None) -> dict:
    """One auction's state, or (None) every live auction's, stamped with the server's time."""
    if auction_id is None:
        live = auction_selectors.auctions_list(status="live")[:200]
        return dict(auction_messages.auctions_snapshot(live, timezone.now()))
    auction = auction_selectors.auction_get(auction_id=auction_id)
    return dict(auction_messages.auction_snapshot(auction, timezone.now()))


def _authenticate_key(key_id: str, secret: str):
    return api_key_authenticate(key_id=key_id, secret=secret)


@functools.lru_cache(maxsize=64)
def prepared_frame(text: str) -> PreparedMessage:
    """The websocket frame of a stream message, built once per process and written as it is to
    every socket (autobahn's `prepareMessage` for broadcasts): daphne would otherwise encode
    and frame the same text again for each of a thousand sockets. The relay hands every socket
    the same `text` object, so the lookup hashes it once."""
    return PreparedMessage(text.encode(), isBinary=False, applyMask=False, doNotCompress=False)


# Snapshot reads run on the thread pool, not Django's single "sync" thread: a storm of
# (re)subscriptions must not queue behind, or hold up, order placement in the same process.
_read = database_sync_to_async


def _reader(fn):
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            # Pool threads outlive the call; with asgiref's context handling the wrapper's own
            # clean-up does not see this thread's connection, so honour CONN_MAX_AGE here.
            close_old_connections()

    return database_sync_to_async(run, thread_sensitive=False)


# --------------------------------------------------------------------------- state
class ProtocolError(Exception):
    """A client mistake, answered with an `error` message on the socket."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(eq=False)
class Subscription:
    """One (channel, symbol) stream of one socket, with its reorder buffer when sequenced."""

    channel: str
    symbol: str | None
    group: str
    depth: int = MAX_BOOK_DEPTH
    # Sequenced streams (book, trades) only.
    sequencer: Sequencer | None = None
    # The sequencer's gap clock, while it waits for a gap to fill.
    gap_task: asyncio.Task | None = None
    # A depth-limited book: the prices in the client's window per side, best first.
    window: dict[str, list[Decimal]] | None = None
    # The private orders channel: the last seq the client has (asked for on subscribe with
    # `since_seq`, then the last one sent), from which a snapshot replays what it missed.
    since_seq: int | None = None
    # A window resync: any book snapshot at this seq or later will do (one shared per process).
    resync_from_seq: int | None = None

    @property
    def sequenced(self) -> bool:
        return self.sequencer is not None

    @property
    def seq(self) -> Sequencer:
        """The reorder buffer of a sequenced stream (book, trades)."""
        assert self.sequencer is not None, f"{self.channel} is not sequenced"
        return self.sequencer

    def cancel_gap_timer(self) -> None:
        if self.gap_task is not None and not self.gap_task.done():
            self.gap_task.cancel()
        self.gap_task = None


def _short_id(value) -> str | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and len(value) <= 64):
        return value
    return None


def _with_id(request_id) -> dict:
    return {} if request_id is None else {"id": request_id}


def _trimmed(sub: Subscription, part: Part, expected: int) -> str:
    """A part that straddles the snapshot, cut to the items from `expected` on (cannot happen
    while snapshots are read at a transaction boundary, but cheap to get right)."""
    message = json.loads(part["text"])
    key = "levels" if sub.channel == "book" else "trades"
    message[key] = [item for item in message[key] if item["seq"] >= expected]
    message["first_seq"] = expected
    return streams.encode(message)


def _windowed(sub: Subscription, text: str) -> str | None:
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


class StreamConsumer(SocketGuard):
    """Live market data for anyone; the signed-in user's own order updates and fills."""

    max_frame_bytes = MAX_FRAME_BYTES
    rate_burst = RATE_BURST
    rate_per_second = RATE_PER_SECOND

    # The socket has no channel of its own: stream messages come through the process's relay
    # (`trading.streams.relay`), so the per-socket layer channel and its receive loop are not created.
    channel_layer_alias = "stream-sockets-use-the-relay"

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        self.subs: dict[tuple[str, str | None], Subscription] = {}
        self.user = None
        self.auth_method: str | None = None
        # The right the user holds the socket by: their API key, or the session's key.
        self.key_id: str | None = None
        self.session_key: str | None = None
        self.access_group: str | None = None
        self.recheck_task: asyncio.Task | None = None
        self.errors = RecentErrors(window=ERROR_WINDOW_SECONDS)
        self.closing = False
        # Snapshot reads started from stream messages, kept until done (the loop keeps only
        # weak references to tasks).
        self.tasks: set[asyncio.Task] = set()

        session_user = self.scope.get("user")
        if session_user is not None and session_user.is_authenticated:
            session = self.scope.get("session")
            self.user, self.auth_method = session_user, "session"
            self.session_key = getattr(session, "session_key", None)
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in self.scope.get("headers", [])
        }
        key_id = headers.get("apca-api-key-id", "").strip()
        await self.accept()
        if key_id:
            key = await _read(_authenticate_key)(
                key_id, headers.get("apca-api-secret-key", "").strip()
            )
            if key is None:
                await self._send_error("auth_failed", "Unknown, revoked or mismatched API key.")
                await self._close(CLOSE_AUTH_FAILED)
                return
            self.user, self.auth_method, self.key_id = key.user, "api_key", key.key_id
        if self.user is not None:
            await self._watch_access()
        await self._send_json(
            {
                "type": "hello",
                "user": self.user.get_username() if self.user else None,
                "auth": self.auth_method,
                "channels": [*PUBLIC_CHANNELS, *PRIVATE_CHANNELS],
                "limits": {
                    "max_subscriptions": MAX_SUBSCRIPTIONS,
                    "max_frame_bytes": MAX_FRAME_BYTES,
                    "max_book_depth": MAX_BOOK_DEPTH,
                },
            }
        )

    async def disconnect(self, code: int) -> None:
        self.closing = True
        for sub in list(getattr(self, "subs", {}).values()):
            await self._drop(sub)
        if getattr(self, "user", None) is not None:
            await self._unwatch_access()

    async def dispatch(self, message: dict) -> None:
        # Channels' default dispatch hops to the sync thread to close stale DB connections
        # before every message. Nothing here touches the ORM outside database_sync_to_async,
        # which manages connections itself, so the hop is skipped.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # ------------------------------------------------------------------ client messages
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        request_id = None
        try:
            if text_data is None:
                raise ProtocolError("binary_not_supported", "Send JSON text frames.")
            try:
                content = json.loads(text_data)
            except ValueError:
                raise ProtocolError("bad_json", "The message is not valid JSON.") from None
            if not isinstance(content, dict):
                raise ProtocolError("bad_message", "A message is a JSON object with an action.")
            request_id = _short_id(content.get("id"))
            action = content.get("action")
            handler = {
                "subscribe": self._subscribe,
                "unsubscribe": self._unsubscribe,
                "auth": self._auth,
                "ping": self._ping,
            }.get(action if isinstance(action, str) else "")
            if handler is None:
                raise ProtocolError(
                    "unknown_action", "action must be subscribe, unsubscribe, auth or ping."
                )
            await handler(content, request_id)
        except ProtocolError as exc:
            await self._client_error(exc, request_id)
        except Exception:  # a bug or an outage must cost one answer, never the socket
            log.exception("stream consumer failed on a client message")
            await self._send_error(
                "unavailable", "The stream service could not do that; try again.", request_id
            )

    async def over_rate(self) -> None:
        # Over the rate (the guard's bucket): dropped, not answered one by one (a flood must
        # not double itself in replies); told once per episode. Far over it, the guard closes.
        await self._send_error(
            "rate_limited",
            f"More than {RATE_PER_SECOND:g} messages a second: "
            "messages are dropped until you slow down.",
        )

    async def frame_too_large(self) -> None:
        await self._client_error(
            ProtocolError("frame_too_large", f"Messages may be at most {MAX_FRAME_BYTES} bytes."),
            None,
        )

    async def guard_close(self, code: int) -> None:
        await self._close(code)

    def holds_something(self) -> bool:
        return bool(self.subs)

    async def _client_error(self, exc: ProtocolError, request_id) -> None:
        await self._send_error(exc.code, exc.message, request_id)
        if self.errors.add(time.monotonic()) >= MAX_ERRORS:
            await self._send_error("too_many_errors", "Too many bad messages; closing.")
            await self._close(CLOSE_ABUSE)

    def _target(self, content: dict) -> tuple[str, str | None]:
        channel = content.get("channel")
        if channel in PLANNED_CHANNELS:
            raise ProtocolError(
                "channel_unavailable", f"The {channel} channel is not available yet."
            )
        if channel not in PUBLIC_CHANNELS and channel not in PRIVATE_CHANNELS:
            raise ProtocolError(
                "unknown_channel",
                f"channel must be one of: {', '.join(PUBLIC_CHANNELS + PRIVATE_CHANNELS)}.",
            )
        if channel in PRIVATE_CHANNELS:
            return channel, None
        if channel == "auction":
            auction_id = content.get("auction_id")
            if auction_id is None:
                return channel, None  # every auction: the index
            if isinstance(auction_id, bool) or not isinstance(auction_id, int) or auction_id < 1:
                raise ProtocolError("unknown_auction", "auction_id must name an auction.")
            return channel, str(auction_id)
        symbol = content.get("symbol")
        symbol = symbol.strip().upper() if isinstance(symbol, str) else ""
        if not _SYMBOL_RE.match(symbol):
            raise ProtocolError("unknown_symbol", "symbol must name a listed stock.")
        return channel, symbol

    async def _check_symbol(self, symbol: str) -> None:
        now = time.monotonic()
        if _known_symbols.get(symbol, 0) > now:
            return
        if not await _reader(_stock_exists)(symbol):
            raise ProtocolError("unknown_symbol", f"There is no stock {symbol!r}.")
        _known_symbols[symbol] = now + _KNOWN_SYMBOL_SECONDS

    async def _subscribe(self, content: dict, request_id) -> None:
        channel, symbol = self._target(content)
        depth = MAX_BOOK_DEPTH
        if channel == "book" and content.get("depth") is not None:
            depth = content["depth"]
            if (
                isinstance(depth, bool)
                or not isinstance(depth, int)
                or not 1 <= depth <= MAX_BOOK_DEPTH
            ):
                raise ProtocolError(
                    "bad_depth", f"depth must be a whole number from 1 to {MAX_BOOK_DEPTH}."
                )
        since_seq = content.get("since_seq") if channel == "orders" else None
        if since_seq is not None and (
            isinstance(since_seq, bool) or not isinstance(since_seq, int) or since_seq < 0
        ):
            raise ProtocolError("bad_since_seq", "since_seq must be a whole number from 0.")
        key = (channel, symbol)
        existing = self.subs.get(key)
        if existing is None and len(self.subs) >= MAX_SUBSCRIPTIONS:
            raise ProtocolError(
                "too_many_subscriptions", f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket."
            )
        # The right may have ended since the socket was opened (a lost revoke event).
        if channel in PRIVATE_CHANNELS and self.user is not None and not await self._access_valid():
            await self._revoke()
        if channel in PRIVATE_CHANNELS and self.user is None:
            raise ProtocolError(
                "auth_required",
                "The orders channel needs a signed-in session or an API key "
                '(headers, or {"action": "auth", "key_id", "secret_key"} first).',
            )
        if channel == "auction":
            if symbol is not None and not await _reader(_auction_exists)(symbol):
                raise ProtocolError("unknown_auction", f"No auction {symbol}.")
        elif symbol is not None:
            await self._check_symbol(symbol)

        if existing is not None:
            # Subscribing again is how a client asks for a fresh start (e.g. after a gap).
            existing.depth = depth
            existing.since_seq = since_seq if since_seq is not None else existing.since_seq
            sub = existing
        else:
            group = self._group(channel, symbol)
            sub = Subscription(
                channel=channel,
                symbol=symbol,
                group=group,
                depth=depth,
                since_seq=since_seq,
                sequencer=(
                    Sequencer() if channel in SEQUENCED_CHANNELS or channel == "orders" else None
                ),
            )
            self.subs[key] = sub
            try:
                # Join before reading the snapshot: a change committed after the read is then
                # certain to arrive as a message (and one before it is dropped by its seq).
                await relay().join(group, self)
            except BaseException:
                self.subs.pop(key, None)
                await relay().leave(group, self)
                raise
            if channel in SYMBOL_CHANNELS and symbol is not None:
                await streams.watch_symbol(symbol)
            if channel in PRIVATE_CHANNELS:
                self._start_recheck()
        await self._send_json(
            {"type": "subscribed", "channel": channel, "symbol": symbol, **_with_id(request_id)}
        )
        if sub.sequenced:
            await self._resync(sub)
        elif channel == "quotes" and symbol is not None:
            await self._send_json(await _reader(_quote)(symbol))
        elif channel == "auction":
            await self._send_json(await _reader(_auction_snapshot)(symbol))

    def _group(self, channel: str, symbol: str | None) -> str:
        if channel == "orders":
            assert self.user is not None  # private channels were refused above without one
            return streams.orders_group(self.user.pk)
        if channel == "auction":
            return streams.AUCTIONS_GROUP if symbol is None else streams.auction_group(symbol)
        assert symbol is not None  # every stock channel names a symbol (`_target`)
        return {
            "book": streams.market_group,
            "trades": streams.market_group,
            "quotes": streams.quotes_group,
            "candles": streams.candles_group,
        }[channel](symbol)

    async def _unsubscribe(self, content: dict, request_id) -> None:
        channel, symbol = self._target(content)
        sub = self.subs.get((channel, symbol))
        if sub is None:
            raise ProtocolError(
                "not_subscribed", f"Not subscribed to {channel} {symbol or ''}".strip() + "."
            )
        await self._drop(sub)
        await self._send_json(
            {"type": "unsubscribed", "channel": channel, "symbol": symbol, **_with_id(request_id)}
        )

    async def _drop(self, sub: Subscription) -> None:
        sub.cancel_gap_timer()
        if self.subs.get((sub.channel, sub.symbol)) is sub:
            del self.subs[(sub.channel, sub.symbol)]
            if sub.channel in SYMBOL_CHANNELS and sub.symbol is not None:
                streams.unwatch_symbol(sub.symbol)
            await relay().leave(sub.group, self)

    async def _auth(self, content: dict, request_id) -> None:
        key_id, secret = content.get("key_id"), content.get("secret_key")
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            raise ProtocolError("bad_auth", "auth needs key_id and secret_key strings.")
        key = await _read(_authenticate_key)(key_id.strip(), secret.strip())
        if key is None:
            raise ProtocolError("auth_failed", "Unknown, revoked or mismatched API key.")
        user = key.user
        if self.user is not None and self.user.pk != user.pk:
            raise ProtocolError(
                "already_authenticated", "This socket is signed in as someone else; open another."
            )
        first = self.user is None
        self.user, self.auth_method, self.key_id, self.session_key = (
            user,
            "api_key",
            key.key_id,
            None,
        )
        if first:
            await self._watch_access()
        await self._send_json(
            {
                "type": "authenticated",
                "user": user.get_username(),
                "method": "api_key",
                **_with_id(request_id),
            }
        )

    # ------------------------------------------------------------------ the private right
    async def _watch_access(self) -> None:
        """Listen for the end of the user's right (`stream.revoke` on `access.<user id>`)."""
        assert self.user is not None
        group = streams.access_group(self.user.pk)
        try:
            await relay().join(group, self)
        except Exception:  # Redis down: the re-check is the backstop
            await relay().leave(group, self)
            log.warning("could not watch %s; relying on the re-check", group, exc_info=True)
            return
        self.access_group = group

    async def _unwatch_access(self) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
            self.recheck_task = None
        if self.access_group is not None:
            group, self.access_group = self.access_group, None
            await relay().leave(group, self)

    async def _access_valid(self) -> bool:
        assert self.user is not None
        return await _reader(stream_access_valid)(
            user_id=self.user.pk,
            key_id=self.key_id if self.auth_method == "api_key" else None,
            session_key=self.session_key if self.auth_method == "session" else None,
        )

    def _start_recheck(self) -> None:
        if self.recheck_task is None or self.recheck_task.done():
            self.recheck_task = asyncio.create_task(self._recheck())

    async def _recheck(self) -> None:
        while self.user is not None and not self.closing:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            if self.user is None or self.closing:
                return
            if not any(key[0] in PRIVATE_CHANNELS for key in self.subs):
                self.recheck_task = None
                return  # no private subscription left: the next one starts a new check
            try:
                valid = await self._access_valid()
            except Exception:  # the database is away: check again next time
                log.warning("could not re-check a stream's access", exc_info=True)
                continue
            if not valid:
                self.recheck_task = None
                await self._revoke()
                return

    async def stream_revoke(self, event: dict) -> None:
        """A right of the user ended: if it is the one this socket holds, drop its private
        subscriptions and forget the user (public subscriptions go on)."""
        if self.user is None or self.closing or event.get("user_id") != self.user.pk:
            return
        if event.get("key_id"):
            if self.auth_method != "api_key" or self.key_id != event["key_id"]:
                return
        elif event.get("session_key"):
            if self.auth_method != "session" or self.session_key != event["session_key"]:
                return
        elif event.get("every_session") and self.auth_method != "session":
            return
        await self._revoke()

    async def _revoke(self) -> None:
        dropped = [sub for sub in list(self.subs.values()) if sub.channel in PRIVATE_CHANNELS]
        for sub in dropped:
            await self._drop(sub)
        await self._unwatch_access()
        self.user, self.auth_method, self.key_id, self.session_key = None, None, None, None
        await self._send_error(
            "auth_revoked",
            "Your sign-in or API key is no longer valid: private channels are closed.",
        )

    async def _ping(self, content: dict, request_id) -> None:
        await self._send_json({"type": "pong", "ts": streams.now_ms(), **_with_id(request_id)})

    # ------------------------------------------------------------------ stream messages
    async def stream_message(self, event: dict) -> None:
        """A message from `trading.broadcast`, via the relay: relay each part this socket is
        subscribed to, in seq order for book and trades. Awaits nothing but socket writes."""
        if self.closing:
            return
        symbol = event["symbol"]
        for channel, part in event["parts"].items():
            sub = self.subs.get((channel, None if channel == "orders" else symbol))
            if sub is None:
                continue  # not subscribed to this part (or unsubscribed while in flight)
            if sub.sequenced and part.get("seq") is not None:
                await self._sequenced(sub, part)
            else:
                await self._frame(part["text"])

    async def _sequenced(self, sub: Subscription, part: Part) -> None:
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
                ready["text"] if ready["first_seq"] >= expected else _trimmed(sub, ready, expected)
            )
            if sub.window is not None:
                windowed = _windowed(sub, text)
                if windowed is None:
                    # The window's membership changed (a level left it, or a better one pushed
                    # the last out): only a snapshot can say what is in it now.
                    sub.resync_from_seq = ready["seq"]
                    self._start_resync(sub)
                    return
                text = windowed
            await self._frame(text)
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
        if sub.seq.gap_timed_out() and self.subs.get((sub.channel, sub.symbol)) is sub:
            log.info("gap in %s %s at seq %s: resyncing", sub.channel, sub.symbol, sub.seq.expected)
            self._start_resync(sub)

    def _start_resync(self, sub: Subscription) -> None:
        if sub.seq.hold():  # hold everything until the snapshot is in
            self._spawn(self._resync(sub))
        self._sync_gap_timer(sub)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _resync(self, sub: Subscription) -> None:
        """Send a fresh snapshot and continue from its seq."""
        if not sub.seq.begin_snapshot():
            return  # one is being read; it serves this request too
        self._sync_gap_timer(sub)
        try:
            if sub.channel == "book" and sub.resync_from_seq is not None:
                assert sub.symbol is not None
                snapshot = await shared_snapshots().book(sub.symbol, sub.depth, sub.resync_from_seq)
                sub.resync_from_seq = None
            elif sub.channel == "book":
                snapshot = await _reader(_book_snapshot)(sub.symbol, sub.depth)
            elif sub.channel == "orders":
                assert self.user is not None
                snapshot = await _reader(_orders_snapshot)(self.user.pk, sub.since_seq)
            else:
                snapshot = await _reader(_trades_snapshot)(sub.symbol)
        except Exception:
            log.exception("snapshot of %s %s failed", sub.channel, sub.symbol)
            sub.seq.end_snapshot(None)
            if self.subs.get((sub.channel, sub.symbol)) is sub:
                await self._send_error(
                    "unavailable",
                    f"Could not read the {sub.channel} snapshot of {sub.symbol}; subscribe again.",
                )
            return
        if self.subs.get((sub.channel, sub.symbol)) is not sub or self.closing:
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
        await self._send_json(snapshot)
        await self._release(sub)
        sub.seq.wait_for_gap()
        self._sync_gap_timer(sub)

    # ------------------------------------------------------------------ sending
    @functools.cached_property
    def _server_send(self) -> Any:
        return server_send(self.base_send)

    @functools.cached_property
    def _transport(self) -> Any | None:
        """daphne's Twisted transport of this socket (None under another server)."""
        return getattr(daphne_protocol(self._server_send), "transport", None)

    @functools.cached_property
    def _prepared_sender(self) -> Any | None:
        """The protocol's `sendPreparedMessage` under daphne (autobahn), else None."""
        protocol = daphne_protocol(self._server_send)
        return protocol if callable(getattr(protocol, "sendPreparedMessage", None)) else None

    async def _frame(self, text: str) -> None:
        # The hot path of every fan-out (a thousand sockets times every trade): a frame built
        # once per message, written straight to the open socket, without the two generic
        # wrappers of `self.send`, the session middleware's, nor daphne's per-socket framing.
        if await self._too_slow():
            return
        protocol = self._prepared_sender
        if protocol is not None and protocol.state == protocol.STATE_OPEN:
            frame = prepared_frame(text)
            if protocol._perMessageCompress is None and not protocol.send_queue:
                # autobahn's own path for a frame with nothing queued before it (`sendData`)
                # is this one write, after which it formats debug-log arguments whether or
                # not debug is on: a sixth of a fan-out's time, skipped here.
                protocol.transport.write(frame.payloadHybi)
            else:
                protocol.sendPreparedMessage(frame)
            return
        # Not (or no longer) open, or another server: its own send decides.
        await self._server_send({"type": "websocket.send", "text": text})

    async def _too_slow(self) -> bool:
        """Close a socket whose client stopped reading, before its backlog grows without bound."""
        if self.closing:
            return True
        backlog = transport_backlog(self._transport)
        if backlog is None or backlog <= MAX_SEND_BACKLOG_BYTES:
            return False
        global slow_consumers_closed
        slow_consumers_closed += 1
        log.warning(
            "closing a slow websocket consumer: %d bytes unread (%d closed so far)",
            backlog,
            slow_consumers_closed,
        )
        await self._close(CLOSE_SLOW_CONSUMER)
        return True

    async def _send_json(self, message: dict) -> None:
        if not self.closing and not await self._too_slow():
            await self.send(text_data=streams.encode(message))

    async def _send_error(self, code: str, message: str, request_id=None) -> None:
        await self._send_json(
            {"type": "error", "code": code, "message": message, **_with_id(request_id)}
        )

    async def _close(self, code: int) -> None:
        for sub in list(self.subs.values()):
            await self._drop(sub)
        await self._unwatch_access()
        self.closing = True
        await self.close(code=code)
