"""What every websocket endpoint (`/ws/`, `/stream`, `/v2/iex`) bounds for one socket.

A mixin placed before `AsyncWebsocketConsumer`:

- **Inbound queue**: frames a client sends wait in the server's queue (daphne's, unbounded)
  until the consumer reads them. More than `max_queued` waiting closes the socket with
  `CLOSE_FLOOD` (4008) and drops what was queued at once, so a flood cannot grow the process.
- **Inbound rate**: a burst of `rate_burst` messages, then `rate_per_second`; messages over it
  are dropped (the consumer's `over_rate` hook tells the client once per episode); more than
  `max_dropped` dropped in one episode closes with `CLOSE_FLOOD`.
- **Frame size**: a frame over `max_frame_bytes` goes to the `frame_too_large` hook unparsed.
- **Crashes**: an exception from a handler (a `RecursionError` from deep nesting, a bug) costs
  that message an error answer (`handler_failed` hook), never the socket; and whatever ends the
  consumer, crash included, runs `disconnect()` once, so subscriptions, relay groups and
  watched symbols are always released.
- **Sockets per address**: at most `WS_MAX_SOCKETS_PER_ADDRESS` open at once per client
  address in one web process; the next handshake is refused (HTTP 403).
- **Idle sockets**: one that has sent nothing for `WS_IDLE_SECONDS` and holds no
  subscription (the `holds_something` hook) is closed with `CLOSE_IDLE` (4000).
- **Outbound backlog**: `too_slow()` says whether the client left more than
  `MAX_SEND_BACKLOG_BYTES` unread (daphne's transport), so a sender can close it with
  `CLOSE_SLOW_CONSUMER` (4009) instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from asgiref.typing import WebSocketConnectEvent, WebSocketDisconnectEvent, WebSocketReceiveEvent
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from streams.limits import TokenBucket
from streams.transport import inbox_of, send_backlog, server_send

log = logging.getLogger(__name__)

CLOSE_IDLE = 4000
CLOSE_FLOOD = 4008
CLOSE_SLOW_CONSUMER = 4009
MAX_SEND_BACKLOG_BYTES = 4 * 1024 * 1024

# Counted since the process started (logged; read by the benchmarks and tests).
stats: Counter[str] = Counter()
_open_by_address: Counter[str] = Counter()


class SocketGuard(AsyncWebsocketConsumer):
    """A websocket consumer with per-socket bounds; see the module docstring. Subclasses tune
    the class attributes and answer through the hooks."""

    max_frame_bytes = 64 * 1024
    max_queued = 256
    rate_burst = 100
    rate_per_second = 20.0
    max_dropped = 500

    _inbox: asyncio.Queue | None = None
    _address: str | None = None
    _connected = False
    _released = False
    _flooded = False
    _idle_task: asyncio.Task | None = None
    _last_seen = 0.0

    async def __call__(self, scope, receive, send) -> None:
        self._inbox = inbox_of(receive)
        self._bucket = TokenBucket(
            burst=self.rate_burst, per_second=self.rate_per_second, now=time.monotonic()
        )
        self._dropped = 0
        client = scope.get("client")
        self._address = client[0] if client else None
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._idle_task is not None:
                self._idle_task.cancel()
            if self._address is not None and self._connected:
                _open_by_address[self._address] -= 1
                if _open_by_address[self._address] <= 0:
                    del _open_by_address[self._address]
            if self._connected and not self._released:
                self._released = True
                stats["crashed_released"] += 1
                try:
                    await self.disconnect(1011)
                except Exception:
                    log.exception("releasing a crashed websocket consumer failed")

    async def websocket_connect(self, message: WebSocketConnectEvent) -> None:
        cap = settings.WS_MAX_SOCKETS_PER_ADDRESS
        if self._address is not None and _open_by_address[self._address] >= cap:
            stats["refused_per_address"] += 1
            await self.close()  # before accept: HTTP 403
            return
        if self._address is not None:
            _open_by_address[self._address] += 1
        self._connected = True
        self._last_seen = time.monotonic()
        self._idle_task = asyncio.create_task(self._close_when_idle())
        await super().websocket_connect(message)

    async def _close_when_idle(self) -> None:
        idle = settings.WS_IDLE_SECONDS
        while True:
            await asyncio.sleep(max(1.0, idle - (time.monotonic() - self._last_seen)))
            if time.monotonic() - self._last_seen >= idle and not self.holds_something():
                stats["idle_closed"] += 1
                await self.guard_close(CLOSE_IDLE)
                return

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        if not self._connected or self._released:
            raise StopConsumer()
        self._released = True
        await super().websocket_disconnect(message)

    async def websocket_receive(self, message: WebSocketReceiveEvent) -> None:
        if self._flooded:
            return
        self._last_seen = time.monotonic()
        if self._inbox is not None and self._inbox.qsize() > self.max_queued:
            await self._flood("queue")
            return
        if not self._bucket.take(time.monotonic()):
            self._dropped += 1
            if self._dropped > self.max_dropped:
                await self._flood("rate")
            elif self._dropped == 1:
                await self.over_rate()
            return
        self._dropped = 0
        text, data = message.get("text"), message.get("bytes")
        size = len(data) if data is not None else len(text or "")
        if text is not None and size <= self.max_frame_bytes < size * 4:
            size = len(text.encode())  # characters may take up to 4 bytes each
        if size > self.max_frame_bytes:
            stats["frame_too_large"] += 1
            await self.frame_too_large()
            return
        try:
            await super().websocket_receive(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception as exc:  # RecursionError from deep nesting, a bug: one answer
            stats["handler_failed"] += 1
            log.warning("a websocket message failed: %s", type(exc).__name__, exc_info=True)
            await self.handler_failed(exc)

    async def _flood(self, why: str) -> None:
        """Close for flooding and drop what the client had queued, at once."""
        self._flooded = True
        stats[f"flood_closed_{why}"] += 1
        inbox = self._inbox
        if inbox is not None:
            kept = []
            while not inbox.empty():
                queued = inbox.get_nowait()
                if queued.get("type") != "websocket.receive":
                    kept.append(queued)  # a disconnect: still delivered
            for queued in kept:
                inbox.put_nowait(queued)
        log.warning("closing a websocket that floods (%s) from %s", why, self._address)
        await self.guard_close(CLOSE_FLOOD)

    def too_slow(self) -> bool:
        """Whether the client has left more than MAX_SEND_BACKLOG_BYTES unread."""
        backlog = send_backlog(server_send(self.base_send))
        return backlog is not None and backlog > MAX_SEND_BACKLOG_BYTES

    # ------------------------------------------------------------------ hooks
    def holds_something(self) -> bool:
        """Whether the socket has a subscription that keeps it open while the client is quiet."""
        return False

    async def guard_close(self, code: int) -> None:
        await self.close(code=code)

    async def over_rate(self) -> None:
        """The first message dropped for the rate in an episode (tell the client once)."""

    async def frame_too_large(self) -> None:
        """A frame over max_frame_bytes, dropped unparsed."""

    async def handler_failed(self, exc: Exception) -> None:
        """A handler raised on a client's message."""
