"""The one place that sends to the channel layer: typed payloads for the live streams.

Groups: `book.<SYMBOL>` (per-level deltas with a contiguous `seq`), `trades.<SYMBOL>`,
`orders.<user id>` (private order updates and fills). Consumers relay `stream.message`
events to their sockets unchanged.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def book_group(symbol: str) -> str:
    return f"book.{symbol}"


def trades_group(symbol: str) -> str:
    return f"trades.{symbol}"


def orders_group(user_id: int) -> str:
    return f"orders.{user_id}"


def quotes_group(symbol: str) -> str:
    return f"quotes.{symbol}"


def _dec(value) -> str | None:
    return None if value is None else str(value)


def trade_payload(trade, symbol: str) -> dict:
    return {
        "symbol": symbol,
        "seq": trade.seq,
        "price": _dec(trade.price),
        "qty": str(trade.qty),
        "maker_side": trade.maker_side,
        "taker_side": "sell" if trade.maker_side == "buy" else "buy",
        "time": trade.executed_at.isoformat(),
    }


def order_payload(order, symbol: str) -> dict:
    return {
        "id": str(order.id),
        "client_order_id": order.client_order_id,
        "symbol": symbol,
        "side": order.side,
        "type": order.type,
        "time_in_force": order.time_in_force,
        "qty": str(order.qty),
        "filled_qty": str(order.filled_qty),
        "filled_avg_price": _dec(order.filled_avg_price),
        "limit_price": _dec(order.limit_price),
        "status": order.status,
        "reason": order.reason,
        "updated_at": (order.updated_at.isoformat() if order.updated_at else None),
    }


def _send(layer, group: str, message: dict) -> None:
    try:
        async_to_sync(layer.group_send)(group, {"type": "stream.message", "message": message})
    except Exception:  # a stream outage must never undo or fail a committed trade
        log.exception("could not publish to %s", group)


def publish_market(
    symbol: str, deltas: list[dict], trades: list[dict], order_events: list[tuple[int, str, dict]]
) -> None:
    """Publish one committed transaction's book deltas, trades and private order events."""
    layer = get_channel_layer()
    if layer is None:
        return
    if deltas:
        _send(
            layer,
            book_group(symbol),
            {
                "type": "book.delta",
                "symbol": symbol,
                "levels": deltas,
                "seq": deltas[-1]["seq"],
                "first_seq": deltas[0]["seq"],
            },
        )
    for trade in trades:
        _send(layer, trades_group(symbol), {"type": "trade", **trade})
    for user_id, event, order in order_events:
        _send(layer, orders_group(user_id), {"type": "order", "event": event, "order": order})


def publish_quotes(quotes: list[dict]) -> None:
    """Publish reference-price changes, one message per symbol."""
    layer = get_channel_layer()
    if layer is None:
        return
    for quote in quotes:
        _send(layer, quotes_group(quote["symbol"]), {"type": "quote", **quote})
