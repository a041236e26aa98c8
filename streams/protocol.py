"""The `/ws/` protocol: what a client may send, what it is answered, and the socket's limits.

Client to server (an optional `id`, a short string or number, is echoed in the answer):

    {"action": "subscribe", "channel": "book", "symbol": "AAPL", "depth": 100}
    {"action": "subscribe", "channel": "trades" | "quotes" | "candles", "symbol": "AAPL"}
    {"action": "subscribe", "channel": "auction", "auction_id": 7}   (no id: every live auction)
    {"action": "subscribe", "channel": "orders", "since_seq": 41}   (private: session or key)
    {"action": "unsubscribe", "channel": ..., "symbol": ...}
    {"action": "auth", "key_id": "BK...", "secret_key": "..."}
    {"action": "ping"}

Server to client: `hello` on connect; `subscribed` / `unsubscribed` acknowledgements;
`book.snapshot` then `book.delta`s; `trades.snapshot` then `trades`; `quote`; `candle`;
`orders.snapshot` then `orders`; `auction.snapshot` then `auction`; `authenticated`; `pong`;
`error` (`{"type": "error", "code", "message"}`). The control messages are built here; the
market's messages beside their domain (`trading.broadcast`, `marketdata.streams`).

Pure apart from the group names of `core.streams`: parsing raises `ProtocolError`, which the
consumer answers with an `error` message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

from core import streams
from streams.guard import CLOSE_FLOOD

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
# Abuse: this many errors within the window closes the socket.
MAX_ERRORS = 10
ERROR_WINDOW_SECONDS = 60.0
# Client messages: a burst of RATE_BURST, then RATE_PER_SECOND.
RATE_BURST = 100
RATE_PER_SECOND = 20.0

CLOSE_AUTH_FAILED = 4401
# Too many errors, or a flood (streams.guard): more than its queue bound waiting, or far over
# the rate.
CLOSE_ABUSE = CLOSE_FLOOD

ACTIONS = ("subscribe", "unsubscribe", "auth", "ping")
_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,11}$")

RequestId = str | int | None


class ProtocolError(Exception):
    """A client mistake, answered with an `error` message on the socket."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ClientMessage:
    """A parsed client message: its action, its body, and the `id` to echo."""

    action: str
    content: dict[str, Any]
    request_id: RequestId


def short_id(value: object) -> RequestId:
    """The client's `id` when it is one we echo (an int, or a string of up to 64 characters)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and len(value) <= 64):
        return value
    return None


def with_id(request_id: RequestId) -> dict[str, Any]:
    return {} if request_id is None else {"id": request_id}


def parse(text_data: str | None) -> ClientMessage:
    """A client frame as a message; a `ProtocolError` carries the `id` it had, if any."""
    if text_data is None:
        raise ProtocolError("binary_not_supported", "Send JSON text frames.")
    try:
        content = json.loads(text_data)
    except ValueError:
        raise ProtocolError("bad_json", "The message is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ProtocolError("bad_message", "A message is a JSON object with an action.")
    action = content.get("action")
    return ClientMessage(
        action=action if isinstance(action, str) else "",
        content=content,
        request_id=short_id(content.get("id")),
    )


def unknown_action() -> ProtocolError:
    return ProtocolError("unknown_action", "action must be subscribe, unsubscribe, auth or ping.")


def target(content: dict[str, Any]) -> tuple[str, str | None]:
    """The (channel, symbol) a subscribe or unsubscribe names; an auction's id as its symbol."""
    channel = content.get("channel")
    if channel in PLANNED_CHANNELS:
        raise ProtocolError("channel_unavailable", f"The {channel} channel is not available yet.")
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


@dataclass(frozen=True)
class SubscribeRequest:
    """What a `subscribe` asks for, checked for shape (not yet for existence or right)."""

    channel: str
    symbol: str | None
    depth: int = MAX_BOOK_DEPTH
    since_seq: int | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.channel, self.symbol

    @property
    def private(self) -> bool:
        return self.channel in PRIVATE_CHANNELS


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def subscribe_request(content: dict[str, Any]) -> SubscribeRequest:
    channel, symbol = target(content)
    depth = MAX_BOOK_DEPTH
    if channel == "book" and content.get("depth") is not None:
        depth = content["depth"]
        if not _whole(depth) or not 1 <= depth <= MAX_BOOK_DEPTH:
            raise ProtocolError(
                "bad_depth", f"depth must be a whole number from 1 to {MAX_BOOK_DEPTH}."
            )
    since_seq = content.get("since_seq") if channel == "orders" else None
    if since_seq is not None and (not _whole(since_seq) or since_seq < 0):
        raise ProtocolError("bad_since_seq", "since_seq must be a whole number from 0.")
    return SubscribeRequest(channel=channel, symbol=symbol, depth=depth, since_seq=since_seq)


def group_for(channel: str, symbol: str | None, user_id: int | None) -> str:
    """The channel-layer group a subscription listens to."""
    if channel == "orders":
        assert user_id is not None  # private channels are refused without a user
        return streams.orders_group(user_id)
    if channel == "auction":
        return streams.AUCTIONS_GROUP if symbol is None else streams.auction_group(symbol)
    assert symbol is not None  # every stock channel names a symbol (`target`)
    return {
        "book": streams.market_group,
        "trades": streams.market_group,
        "quotes": streams.quotes_group,
        "candles": streams.candles_group,
    }[channel](symbol)


AUTH_REQUIRED = (
    "The orders channel needs a signed-in session or an API key "
    '(headers, or {"action": "auth", "key_id", "secret_key"} first).'
)


# --------------------------------------------------------------------------- control messages
class Limits(TypedDict):
    max_subscriptions: int
    max_frame_bytes: int
    max_book_depth: int


class HelloMessage(TypedDict):
    type: Literal["hello"]
    user: str | None
    auth: Literal["session", "api_key"] | None
    channels: list[str]
    limits: Limits


class SubscribedMessage(TypedDict):
    type: Literal["subscribed", "unsubscribed"]
    channel: str
    symbol: str | None
    id: NotRequired[str | int]


class AuthenticatedMessage(TypedDict):
    type: Literal["authenticated"]
    user: str
    method: Literal["api_key"]
    id: NotRequired[str | int]


class PongMessage(TypedDict):
    type: Literal["pong"]
    ts: float
    id: NotRequired[str | int]


class ErrorMessage(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    id: NotRequired[str | int]


def hello_message(user: str | None, auth: Literal["session", "api_key"] | None) -> HelloMessage:
    return {
        "type": "hello",
        "user": user,
        "auth": auth,
        "channels": [*PUBLIC_CHANNELS, *PRIVATE_CHANNELS],
        "limits": {
            "max_subscriptions": MAX_SUBSCRIPTIONS,
            "max_frame_bytes": MAX_FRAME_BYTES,
            "max_book_depth": MAX_BOOK_DEPTH,
        },
    }


def subscribed_message(
    kind: Literal["subscribed", "unsubscribed"],
    channel: str,
    symbol: str | None,
    request_id: RequestId,
) -> SubscribedMessage:
    message: SubscribedMessage = {"type": kind, "channel": channel, "symbol": symbol}
    if request_id is not None:
        message["id"] = request_id
    return message


def authenticated_message(user: str, request_id: RequestId) -> AuthenticatedMessage:
    message: AuthenticatedMessage = {"type": "authenticated", "user": user, "method": "api_key"}
    if request_id is not None:
        message["id"] = request_id
    return message


def pong_message(request_id: RequestId) -> PongMessage:
    message: PongMessage = {"type": "pong", "ts": streams.now_ms()}
    if request_id is not None:
        message["id"] = request_id
    return message


def error_message(code: str, text: str, request_id: RequestId = None) -> ErrorMessage:
    message: ErrorMessage = {"type": "error", "code": code, "message": text}
    if request_id is not None:
        message["id"] = request_id
    return message
