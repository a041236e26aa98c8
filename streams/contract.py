"""The stream contract: every client message type of `/ws/` and the TypedDict that defines it.

The TypedDicts live beside their builders (`trading.stream_messages` for `trading.broadcast`; `trading.auctions.messages`;
`marketdata.streams`; `streams.protocol`); this module names them by message `type` and renders
the JSON Schema that clients share, `docs/stream-messages.schema.json` (the terminal client's
tests and the browser client's Node tests, `static/src/stream_contract.test.js`, load it;
`streams/tests/test_contract.py` checks it against these types, renders every
message through the real builders and validates each). After changing a message type:

    .venv/bin/python manage.py stream_schema --write
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

from marketdata.streams import CandleMessage, QuoteMessage
from streams.protocol import (
    AuthenticatedMessage,
    ErrorMessage,
    HelloMessage,
    PongMessage,
    SubscribedMessage,
)
from trading.auctions.messages import (
    AuctionMessage,
    AuctionSnapshotMessage,
    AuctionStandingMessage,
)
from trading.stream_messages import (
    BookDeltaMessage,
    BookSnapshotMessage,
    OrdersMessage,
    OrdersSnapshotMessage,
    TradesMessage,
    TradesSnapshotMessage,
)

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "stream-messages.schema.json"

# Every message the server sends on `/ws/`, by its `type`.
MESSAGE_TYPES: dict[str, type] = {
    "hello": HelloMessage,
    "subscribed": SubscribedMessage,
    "unsubscribed": SubscribedMessage,
    "authenticated": AuthenticatedMessage,
    "pong": PongMessage,
    "error": ErrorMessage,
    "book.snapshot": BookSnapshotMessage,
    "book.delta": BookDeltaMessage,
    "trades.snapshot": TradesSnapshotMessage,
    "trades": TradesMessage,
    "quote": QuoteMessage,
    "candle": CandleMessage,
    "orders.snapshot": OrdersSnapshotMessage,
    "orders": OrdersMessage,
    "auction.snapshot": AuctionSnapshotMessage,
    "auction": AuctionMessage,
    "auction.standing": AuctionStandingMessage,
}


def _is_typeddict(tp: object) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp, include_extras=True)


def required_keys(tp: type) -> set[str]:
    """The keys a TypedDict requires (read from its hints: with postponed annotations
    `__required_keys__` does not see `NotRequired`)."""
    return {key for key, hint in _hints(tp).items() if get_origin(hint) is not NotRequired}


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) in (NotRequired, Required):
        tp = get_args(tp)[0]
    return tp


class _Renderer:
    """TypedDicts as JSON Schema (2020-12), nested ones as `$defs` by their class name."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def value(self, tp: Any) -> dict[str, Any]:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if tp is Any:
            return {}
        if origin is Literal:
            values = list(get_args(tp))
            return {"const": values[0]} if len(values) == 1 else {"enum": values}
        if origin in (Union, types.UnionType):
            options = [self.value(arg) for arg in get_args(tp)]
            if all(list(option) == ["type"] for option in options):
                return {"type": [option["type"] for option in options]}
            return {"anyOf": options}
        if origin is list:
            return {"type": "array", "items": self.value(get_args(tp)[0])}
        if origin is dict:
            return {"type": "object"}
        if _is_typeddict(tp):
            name = tp.__name__
            if name not in self.defs:
                self.defs[name] = {}  # a placeholder against recursion
                self.defs[name] = self.obj(tp)
            return {"$ref": f"#/$defs/{name}"}
        simple = {type(None): "null", str: "string", bool: "boolean", int: "integer"}
        if tp is float:
            return {"type": "number"}
        return {"type": simple[tp]}

    def obj(self, tp: type, type_name: str | None = None) -> dict[str, Any]:
        properties = {}
        for key, hint in _hints(tp).items():
            properties[key] = (
                {"const": type_name} if key == "type" and type_name else self.value(hint)
            )
        rendered: dict[str, Any] = {"type": "object"}
        if tp.__doc__ and not tp.__doc__.startswith(tp.__name__ + "("):
            rendered["description"] = " ".join(tp.__doc__.split())
        rendered["properties"] = properties
        rendered["required"] = sorted(required_keys(tp))
        rendered["additionalProperties"] = False
        return rendered


def schema() -> dict[str, Any]:
    """The JSON Schema of every `/ws/` message: `$defs` holds one definition per message type
    (named as its `type`) and the parts they are made of (named as their TypedDict)."""
    renderer = _Renderer()
    messages = {name: renderer.obj(tp, name) for name, tp in MESSAGE_TYPES.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://brokerage.example/stream-messages.schema.json",
        "title": "Brokerage /ws/ stream messages",
        "description": "Every message the server sends on /ws/; one definition per `type`.",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in MESSAGE_TYPES],
        "$defs": {**messages, **dict(sorted(renderer.defs.items()))},
    }


def render() -> str:
    return json.dumps(schema(), indent=2) + "\n"
