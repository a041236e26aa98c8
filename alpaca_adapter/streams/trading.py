"""`/stream`: Alpaca's trading stream (`trade_updates`) for `alpaca-py`'s `TradingStream`.

The protocol: the client sends `{"action": "authenticate", "data": {"key_id", "secret_key"}}`
and is answered `{"stream": "authorization", "data": {"status": "authorized", ...}}`; then
`{"action": "listen", "data": {"streams": ["trade_updates"]}}`, answered
`{"stream": "listening", ...}`, after which every private order message that
`trading.broadcast` publishes to the user's `orders.<id>` group arrives as `trade_updates`
events. A client that speaks msgpack (binary frames) is answered in msgpack; JSON otherwise.

When the key is revoked or the user deactivated (a `stream.revoke` event on `access.<user id>`,
or the re-check every `ACCESS_RECHECK_SECONDS`: `streams.access`, shared with `/ws/`), the socket is told `unauthorized` and closed
with 4001, as for a wrong key. A socket authenticates once: a second `authenticate` is
answered with an error ("already authenticated") and the first key stays the socket's.
A socket that has not authenticated within `AUTH_TIMEOUT_SECONDS` is closed with 4001.
Per-socket bounds (queue, rate, frame size, crashes, unread backlog): `streams.guard`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import cast

import msgpack
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.models import User
from alpaca_adapter.presenters import trade_updates
from core import streams
from streams.access import AccessWatch, Holder, key_holder
from streams.guard import CLOSE_SLOW_CONSUMER, SocketGuard
from trading.stream_messages import OrdersMessage

log = logging.getLogger(__name__)

TRADE_UPDATES = "trade_updates"
CLOSE_UNAUTHORIZED = 4001
AUTH_TIMEOUT_SECONDS = 30.0
MAX_FRAME_BYTES = 16 * 1024


class TradingStreamConsumer(SocketGuard):
    """One bot's trade updates. Authenticate, listen, receive; nothing else is spoken."""

    max_frame_bytes = MAX_FRAME_BYTES
    auth_timer: asyncio.Task | None = None

    user: User | None = None
    key_id: str | None = None
    binary = False
    group: str | None = None
    holder: Holder | None = None
    watch: AccessWatch | None = None  # the key's revocation, shared with /ws/ (streams.access)

    async def connect(self) -> None:
        await self.accept()
        self.auth_timer = asyncio.create_task(self._auth_deadline())

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self._unauthorize()

    async def disconnect(self, code: int) -> None:
        if self.auth_timer is not None:
            self.auth_timer.cancel()
        await self._leave_groups()

    def holds_something(self) -> bool:
        return self.group is not None

    async def _error(self, text: str) -> None:
        await self._send({"stream": "error", "data": {"error": text}})

    async def frame_too_large(self) -> None:
        await self._error(f"message over {MAX_FRAME_BYTES} bytes")

    async def handler_failed(self, exc: Exception) -> None:
        await self._error("malformed message")

    async def over_rate(self) -> None:
        await self._error("too many messages: dropped until you slow down")

    async def _leave_groups(self) -> None:
        if self.watch is not None:
            watch, self.watch = self.watch, None
            await watch.stop()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.binary = bytes_data is not None
        try:
            if bytes_data is not None:
                try:
                    message = msgpack.unpackb(bytes_data)
                except Exception:
                    message = json.loads(bytes_data)
            else:
                message = json.loads(text_data or "")
        except (ValueError, TypeError):
            await self._send({"stream": "error", "data": {"error": "malformed message"}})
            return
        if not isinstance(message, dict):
            await self._error("malformed message")
            return
        action, data = message.get("action"), message.get("data") or {}
        if not isinstance(data, dict):
            await self._error("malformed message: data must be an object")
            return
        if action in ("authenticate", "auth"):
            await self._authenticate(message, data)
        elif action == "listen":
            await self._listen(data)
        else:
            await self._error(f"unknown action {str(action)[:40]!r}")

    async def _authenticate(self, message: dict, data: dict) -> None:
        if self.user is not None:
            # One key a socket: another key's user must not inherit this feed (nor this key's
            # revocation be missed because the socket now names another).
            await self._error("already authenticated")
            return
        key_id = data.get("key_id") or message.get("key") or ""
        secret = data.get("secret_key") or message.get("secret") or ""
        if not isinstance(key_id, str) or not isinstance(secret, str):
            key_id = secret = ""
        holder = await key_holder(key_id, secret) if key_id and secret else None
        status = "authorized" if holder is not None else "unauthorized"
        await self._send(
            {"stream": "authorization", "data": {"status": status, "action": "authenticate"}}
        )
        if holder is None:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.holder, self.user, self.key_id = holder, holder.user, holder.key_id
        # The key's revocation event, and the re-check on the clock should the event be lost.
        self.watch = AccessWatch(self, holder, on_end=self._unauthorize)
        await self.watch.start()
        self.watch.recheck()

    async def stream_revoke(self, event: dict) -> None:
        """The user's key was revoked, or every right of theirs ended: close the socket."""
        if self.user is not None and self.holder is not None and self.holder.ended_by(event):
            await self._unauthorize()

    async def _unauthorize(self) -> None:
        self.user = None
        await self._leave_groups()
        await self._send(
            {"stream": "authorization", "data": {"status": "unauthorized", "action": "listen"}}
        )
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def _listen(self, data: dict) -> None:
        if self.user is None:
            await self._send(
                {
                    "stream": "authorization",
                    "data": {"status": "unauthorized", "action": "listen"},
                }
            )
            return
        asked = data.get("streams") or []
        if not isinstance(asked, list):
            await self._error("malformed message: streams must be a list")
            return
        wanted = [s for s in asked if s == TRADE_UPDATES]
        group = streams.orders_group(self.user.pk)
        if wanted and self.group is None:
            await self.channel_layer.group_add(group, self.channel_name)
            self.group = group
        elif not wanted and self.group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.group = None
        await self._send({"stream": "listening", "data": {"streams": wanted}})

    async def stream_message(self, event: dict) -> None:
        """A private `orders` message from `trading.broadcast`, as trade_updates events."""
        part = event.get("parts", {}).get("orders")
        if part is None or self.user is None:
            return
        message = json.loads(part["text"])
        if message.get("type") != "orders":
            return  # an auction standing: not a trade update
        for update in trade_updates(cast(OrdersMessage, message)):
            await self._send(update)

    async def _send(self, message: dict) -> None:
        if self.too_slow():
            await self.close(code=CLOSE_SLOW_CONSUMER)
            return
        if self.binary:
            await self.send(bytes_data=msgpack.packb(message))
        else:
            await self.send(text_data=streams.encode(message))


class NoSuchStream(AsyncWebsocketConsumer):
    """Any other websocket path: refused at the handshake (HTTP 403), not a server error."""

    async def connect(self) -> None:
        await self.close()
