"""`/stream`: Alpaca's trading stream (`trade_updates`) for `alpaca-py`'s `TradingStream`.

The protocol: the client sends `{"action": "authenticate", "data": {"key_id", "secret_key"}}`
and is answered `{"stream": "authorization", "data": {"status": "authorized", ...}}`; then
`{"action": "listen", "data": {"streams": ["trade_updates"]}}`, answered
`{"stream": "listening", ...}`, after which every private order message that
`trading.broadcast` publishes to the user's `orders.<id>` group arrives as `trade_updates`
events. A client that speaks msgpack (binary frames) is answered in msgpack; JSON otherwise.
"""

from __future__ import annotations

import json
import logging

import msgpack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.services import api_key_authenticate
from core import streams
from trading.alpaca.presenters import trade_updates
from trading.models import Position

log = logging.getLogger(__name__)

TRADE_UPDATES = "trade_updates"


@database_sync_to_async
def _authenticate(key_id: str, secret: str):
    key = api_key_authenticate(key_id=key_id, secret=secret)
    return None if key is None else key.user


@database_sync_to_async
def _position_qty(user_id: int, symbols: list[str]) -> dict[str, int]:
    rows = Position.objects.filter(user_id=user_id, stock__symbol__in=symbols)
    return dict(rows.values_list("stock__symbol", "qty"))


class TradingStreamConsumer(AsyncWebsocketConsumer):
    """One bot's trade updates. Authenticate, listen, receive; nothing else is spoken."""

    user = None
    binary = False
    group: str | None = None

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

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
            await self._send({"stream": "error", "data": {"error": "malformed message"}})
            return
        action, data = message.get("action"), message.get("data") or {}
        if action in ("authenticate", "auth"):
            await self._authenticate(message, data)
        elif action == "listen":
            await self._listen(data)
        else:
            await self._send({"stream": "error", "data": {"error": f"unknown action {action!r}"}})

    async def _authenticate(self, message: dict, data: dict) -> None:
        key_id = data.get("key_id") or message.get("key") or ""
        secret = data.get("secret_key") or message.get("secret") or ""
        user = await _authenticate(str(key_id), str(secret)) if key_id and secret else None
        status = "authorized" if user is not None else "unauthorized"
        await self._send(
            {"stream": "authorization", "data": {"status": status, "action": "authenticate"}}
        )
        if user is None:
            await self.close(code=4001)
            return
        self.user = user

    async def _listen(self, data: dict) -> None:
        if self.user is None:
            await self._send(
                {
                    "stream": "authorization",
                    "data": {"status": "unauthorized", "action": "listen"},
                }
            )
            return
        wanted = [s for s in data.get("streams") or [] if s == TRADE_UPDATES]
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
        fills = [e for e in message.get("events", ()) if e.get("fills")]
        positions = {}
        if fills:
            positions = await _position_qty(self.user.pk, [message["symbol"]])
        for update in trade_updates(message, positions):
            await self._send(update)

    async def _send(self, message: dict) -> None:
        if self.binary:
            await self.send(bytes_data=msgpack.packb(message))
        else:
            await self.send(text_data=streams.encode(message))


class NoSuchStream(AsyncWebsocketConsumer):
    """Any other websocket path: refused at the handshake (HTTP 403), not a server error."""

    async def connect(self) -> None:
        await self.close()
