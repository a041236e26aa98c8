"""The websocket endpoint `/ws/`: one socket, many subscriptions, every message JSON with a type.

The protocol (what a client sends and is answered) is `streams.protocol`; this consumer reads
a client's messages and dispatches them, and hands each stream message to the socket's
subscriptions (`streams.subscriptions`: snapshots first, `streams.snapshots`, then everything
in seq order). The private `orders` channel numbers each user's messages with `seq` (1, 2, 3...
across all their sockets, `core.streams`). Subscribing answers `orders.snapshot`: the open
orders, the current `seq`, and with `since_seq` the messages after it that the client missed
(`missed`, the last 1,000 kept for a day; `missed_complete` false if more were). A gap is
repaired like a book's: held for a second, then a fresh snapshot replays from the last seq sent.

The private right ends with the key or session that gave it (`streams.access`): revoking the
key, logging out, deactivating the user (or, for sessions, a new password) sends `error`
`auth_revoked` within a second, drops the private subscriptions and forgets the user (public
ones go on); a re-check every `ACCESS_RECHECK_SECONDS` and on every private subscribe backs
the event up.

Fan-out: a socket does not join channel-layer groups itself. Each process has one relay
(`streams.relay`) that joins a group once (when its first local socket subscribes) and hands
every message to its local sockets directly; frames go out through `streams.transport`, the
one module that knows the server's internals. Limits and abuse (`streams.protocol` and
`streams.guard`): frames over 4 KB, more than 50 subscriptions, 10 errors in a minute closes
the socket with 4008, a wrong API key in the handshake with 4401, a client that leaves more
than 4 MB unread with 4009: `CLOSE_SLOW_CONSUMER`, counted in `slow_consumers_closed`.
Messages over the rate (a burst of 100, then 20 a second) are dropped, with one
`rate_limited` error per episode; they are not errors.

Consumers stay thin: authentication and reads go through `accounts` and the selectors;
nothing here writes to the database.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from core import streams
from streams import protocol
from streams.access import AccessWatch, Holder, header_key, key_holder, session_holder
from streams.guard import CLOSE_SLOW_CONSUMER, MAX_SEND_BACKLOG_BYTES, SocketGuard
from streams.limits import RecentErrors
from streams.protocol import (
    MAX_ERRORS,
    MAX_FRAME_BYTES,
    RATE_PER_SECOND,
    ProtocolError,
    RequestId,
)
from streams.snapshots import check_auction, check_symbol
from streams.subscriptions import Subscriptions
from streams.transport import SocketWriter

log = logging.getLogger(__name__)

# Sockets closed for leaving more than MAX_SEND_BACKLOG_BYTES unread since the process started
# (logged, and shown here for /healthz-like introspection and the benchmarks).
slow_consumers_closed = 0


class StreamConsumer(SocketGuard):
    """Live market data for anyone; the signed-in user's own order updates and fills."""

    max_frame_bytes = MAX_FRAME_BYTES
    rate_burst = protocol.RATE_BURST
    rate_per_second = RATE_PER_SECOND

    # The socket has no channel of its own: stream messages come through the process's relay
    # (`streams.relay`), so the per-socket layer channel and its receive loop are not created.
    channel_layer_alias = "stream-sockets-use-the-relay"

    def fresh_state(self) -> None:
        self.subs = Subscriptions(self)
        self.holder: Holder | None = None
        self.watch: AccessWatch | None = None
        self.errors = RecentErrors(window=protocol.ERROR_WINDOW_SECONDS)
        self.closing = False

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        self.fresh_state()
        self.holder = session_holder(dict(self.scope))
        key = header_key(dict(self.scope))
        await self.accept()
        if key is not None:
            holder = await key_holder(*key)
            if holder is None:
                await self.send_error("auth_failed", "Unknown, revoked or mismatched API key.")
                await self._close(protocol.CLOSE_AUTH_FAILED)
                return
            self.holder = holder
        if self.holder is not None:
            await self._watch_access()
        user = self.holder.user.get_username() if self.holder else None
        await self.send_message(
            protocol.hello_message(user, self.holder.method if self.holder else None)
        )

    async def disconnect(self, code: int) -> None:
        self.closing = True
        if hasattr(self, "subs"):
            await self.subs.drop_all()
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
        request_id: RequestId = None
        try:
            message = protocol.parse(text_data)
            request_id = message.request_id
            await self._handler(message.action)(message.content, request_id)
        except ProtocolError as exc:
            await self._client_error(exc, request_id)
        except Exception:  # a bug or an outage must cost one answer, never the socket
            log.exception("stream consumer failed on a client message")
            await self.send_error(
                "unavailable", "The stream service could not do that; try again.", request_id
            )

    def _handler(self, action: str) -> Callable[[dict[str, Any], RequestId], Awaitable[None]]:
        handlers = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "auth": self._auth,
            "ping": self._ping,
        }
        if action not in handlers:
            raise protocol.unknown_action()
        return handlers[action]

    async def over_rate(self) -> None:
        # Over the rate (the guard's bucket): dropped, not answered one by one (a flood must
        # not double itself in replies); told once per episode. Far over it, the guard closes.
        await self.send_error(
            "rate_limited",
            f"More than {RATE_PER_SECOND:g} messages a second: "
            "messages are dropped until you slow down.",
        )

    async def frame_too_large(self) -> None:
        too_large = f"Messages may be at most {MAX_FRAME_BYTES} bytes."
        await self._client_error(ProtocolError("frame_too_large", too_large), None)

    async def guard_close(self, code: int) -> None:
        await self._close(code)

    def holds_something(self) -> bool:
        return bool(self.subs)

    async def _client_error(self, exc: ProtocolError, request_id: RequestId) -> None:
        await self.send_error(exc.code, exc.message, request_id)
        if self.errors.add(time.monotonic()) >= MAX_ERRORS:
            await self.send_error("too_many_errors", "Too many bad messages; closing.")
            await self._close(protocol.CLOSE_ABUSE)

    async def _subscribe(self, content: dict[str, Any], request_id: RequestId) -> None:
        request = protocol.subscribe_request(content)
        if request.key not in self.subs.by_key and len(self.subs) >= protocol.MAX_SUBSCRIPTIONS:
            raise ProtocolError(
                "too_many_subscriptions",
                f"At most {protocol.MAX_SUBSCRIPTIONS} subscriptions per socket.",
            )
        if request.private:
            # The right may have ended since the socket was opened (a lost revoke event).
            if self.holder is not None and not await self.holder.still_valid():
                await self._revoke()
            if self.holder is None:
                raise ProtocolError("auth_required", protocol.AUTH_REQUIRED)
        if request.channel == "auction":
            if request.symbol is not None:
                await check_auction(request.symbol)
        elif request.symbol is not None:
            await check_symbol(request.symbol)
        sub = await self.subs.open(request, self.holder.user.pk if self.holder else None)
        if request.private and self.watch is not None:
            self.watch.recheck()
        await self.send_message(
            protocol.subscribed_message("subscribed", request.channel, request.symbol, request_id)
        )
        await self.subs.start(sub)

    async def _unsubscribe(self, content: dict[str, Any], request_id: RequestId) -> None:
        channel, symbol = protocol.target(content)
        sub = self.subs.by_key.get((channel, symbol))
        if sub is None:
            raise ProtocolError(
                "not_subscribed", f"Not subscribed to {channel} {symbol or ''}".strip() + "."
            )
        await self.subs.drop(sub)
        await self.send_message(
            protocol.subscribed_message("unsubscribed", channel, symbol, request_id)
        )

    async def _auth(self, content: dict[str, Any], request_id: RequestId) -> None:
        key_id, secret = content.get("key_id"), content.get("secret_key")
        if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
            raise ProtocolError("bad_auth", "auth needs key_id and secret_key strings.")
        holder = await key_holder(key_id, secret)
        if holder is None:
            raise ProtocolError("auth_failed", "Unknown, revoked or mismatched API key.")
        if self.holder is not None and self.holder.user.pk != holder.user.pk:
            raise ProtocolError(
                "already_authenticated", "This socket is signed in as someone else; open another."
            )
        self.holder = holder
        if self.watch is None:
            await self._watch_access()
        else:
            self.watch.holder = holder  # the same user, now by the key
        username = holder.user.get_username()
        await self.send_message(protocol.authenticated_message(username, request_id))

    async def _ping(self, content: dict[str, Any], request_id: RequestId) -> None:
        await self.send_message(protocol.pong_message(request_id))

    # ------------------------------------------------------------------ the private right
    async def _watch_access(self) -> None:
        assert self.holder is not None
        self.watch = AccessWatch(self, self.holder, on_end=self._revoke, needed=self._private)
        await self.watch.start()

    def _private(self) -> bool:
        return not self.closing and self.subs.private_held()

    async def _unwatch_access(self) -> None:
        if self.watch is not None:
            watch, self.watch = self.watch, None
            await watch.stop()

    async def stream_revoke(self, event: dict[str, Any]) -> None:
        """A right of the user ended: if it is the one this socket holds, drop its private
        subscriptions and forget the user (public subscriptions go on)."""
        if self.holder is not None and not self.closing and self.holder.ended_by(event):
            await self._revoke()

    async def _revoke(self) -> None:
        await self.subs.drop_all(private_only=True)
        await self._unwatch_access()
        self.holder = None
        await self.send_error(
            "auth_revoked",
            "Your sign-in or API key is no longer valid: private channels are closed.",
        )

    # ------------------------------------------------------------------ stream messages
    async def stream_message(self, event: dict[str, Any]) -> None:
        """A message from `trading.broadcast`, via the relay: relay each part this socket is
        subscribed to, in seq order for book and trades. Awaits nothing but socket writes."""
        if self.closing:
            return
        symbol = event["symbol"]
        subs = self.subs.by_key
        for channel, part in event["parts"].items():
            sub = subs.get((channel, None if channel == "orders" else symbol))
            if sub is None:
                continue  # not subscribed to this part (or unsubscribed while in flight)
            if sub.sequenced and part.get("seq") is not None:
                await self.subs.offer(sub, part)
            else:
                await self.frame(part["text"])

    # ------------------------------------------------------------------ sending
    @functools.cached_property
    def _writer(self) -> SocketWriter:
        return SocketWriter(self.base_send)

    async def frame(self, text: str) -> None:
        """Send a stream message's text (the hot path of every fan-out: a frame built once per
        message, written straight to the open socket, `streams.transport`)."""
        if await self._too_slow():
            return
        writer = self._writer
        if not writer.write_now(text):
            await writer.send_text(text)

    async def _too_slow(self) -> bool:
        """Close a socket whose client stopped reading, before its backlog grows without bound."""
        if self.closing:
            return True
        backlog = self._writer.backlog()
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

    async def send_message(self, message: Mapping[str, Any]) -> None:
        if not self.closing and not await self._too_slow():
            await self.send(text_data=streams.encode(message))

    async def send_error(self, code: str, message: str, request_id: RequestId = None) -> None:
        await self.send_message(protocol.error_message(code, message, request_id))

    async def _close(self, code: int) -> None:
        await self.subs.drop_all()
        await self._unwatch_access()
        self.closing = True
        await self.close(code=code)
