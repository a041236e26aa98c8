"""Trading's stream messages: book deltas, the trade tape and private order updates.

Built from what a committed transaction did and handed to the one publisher, `core.streams`
(group names, the pipelined publish). `market.<SYMBOL>` carries one event per transaction with
up to two client messages: its `book.delta` (every price level it changed, each with its own
`seq`, contiguous from `first_seq` to `seq`) and its `trades` (all its executions; `seq` is the
per-symbol trade sequence, also contiguous). `orders.<user id>` carries one private `orders`
message per user per transaction: that user's order updates with their own fills attached.
Nothing about the counterparty goes in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from core import streams
from core.times import rfc3339
from trading.stream_messages import (
    BookDeltaMessage,
    BookSnapshotMessage,
    DayPayload,
    DeltaLevel,
    Fill,
    OrderEvent,
    OrderPayload,
    OrdersMessage,
    OrdersSnapshotMessage,
    PublicTrade,
    Side,
    TradePayload,
    TradesMessage,
    TradesSnapshotMessage,
)

# Trade fields only the two parties may see: they are stripped from the public trade tape.
_PRIVATE_TRADE_FIELDS = ("buy_order_id", "sell_order_id", "buyer_fee", "seller_fee")


def _id(value) -> str | None:
    return None if value is None else str(value)


def _dec(value) -> str | None:
    return None if value is None else str(value)


def _at(moment: datetime) -> str:
    """A moment that is always set (a row's creation, an execution), as RFC 3339."""
    return cast(str, rfc3339(moment))


# --------------------------------------------------------------------------- payloads
def trade_payload(trade, symbol: str) -> TradePayload:
    """A trade as built inside the order transaction (public fields plus the parties' own)."""
    return {
        "symbol": symbol,
        "seq": trade.seq,
        "price": str(trade.price),
        "qty": str(trade.qty),
        "maker_side": trade.maker_side,
        "taker_side": "sell" if trade.maker_side == "buy" else "buy",
        "time": _at(trade.executed_at),
        "buy_order_id": _id(trade.buy_order_id),
        "sell_order_id": _id(trade.sell_order_id),
        "auction_id": trade.auction_id,
        "buyer_fee": _dec(trade.buyer_fee),
        "seller_fee": _dec(trade.seller_fee),
    }


def public_trade(trade: TradePayload) -> PublicTrade:
    """What the public tape shows of a trade: no order ids, no fees."""
    return cast(PublicTrade, {k: v for k, v in trade.items() if k not in _PRIVATE_TRADE_FIELDS})


def order_payload(order, symbol: str) -> OrderPayload:
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
        "created_at": _at(order.created_at),
        "updated_at": _at(order.updated_at),
        # What Alpaca's trade_updates carry of an order beyond the above
        # (see alpaca_adapter.presenters).
        "filled_at": rfc3339(order.filled_at),
        "canceled_at": rfc3339(order.canceled_at),
        "expired_at": rfc3339(order.expired_at),
        "replaced_at": rfc3339(order.replaced_at),
        "replaces": _id(order.replaces_id),
        "fees": _dec(order.fees),
    }


def book_snapshot_message(snapshot: dict[str, Any], depth: int) -> BookSnapshotMessage:
    """What a `book` subscriber gets first: `trading.selectors.book_snapshot` at a depth."""
    return cast(BookSnapshotMessage, {"type": "book.snapshot", "depth": depth, **snapshot})


def book_delta_message(symbol: str, deltas: list[dict], ts: float) -> BookDeltaMessage:
    """One transaction's changed levels; quantities are new totals, "0" meaning the level is gone."""
    levels = cast(list[DeltaLevel], [{**d, "qty": str(d["qty"])} for d in deltas])
    return {
        "type": "book.delta",
        "symbol": symbol,
        "first_seq": levels[0]["seq"],
        "seq": levels[-1]["seq"],
        "levels": levels,
        "ts": ts,
    }


def trades_message(symbol: str, trades: list[TradePayload], ts: float) -> TradesMessage:
    return {
        "type": "trades",
        "symbol": symbol,
        "first_seq": trades[0]["seq"],
        "seq": trades[-1]["seq"],
        "trades": [public_trade(t) for t in trades],
        "ts": ts,
    }


def trades_snapshot_message(
    symbol: str, seq: int, trades: list[TradePayload], day: DayPayload
) -> TradesSnapshotMessage:
    """What a `trades` subscriber gets first: the latest trades and the day so far, both as of
    trade `seq`, so the `trades` messages after it (seq + 1 on) fold onto `day` exactly."""
    return {
        "type": "trades.snapshot",
        "symbol": symbol,
        "seq": seq,
        "trades": [public_trade(t) for t in trades],
        "day": day,
    }


def day_payload(figures) -> DayPayload:
    """The session so far (a `DayFigures`): shares traded here, and the high and low of trades
    and reference prices, as the markets page shows them."""
    return {"volume": figures.volume, "high": _dec(figures.high), "low": _dec(figures.low)}


def _fills_of(order: OrderPayload, trades: list[TradePayload]) -> list[Fill]:
    """The executions of one order in this transaction, seen from its owner's side."""
    mine: list[Fill] = []
    for trade in trades:
        side: Side
        if order["id"] == trade.get("buy_order_id"):
            side, fee = "buy", trade.get("buyer_fee")
        elif order["id"] == trade.get("sell_order_id"):
            side, fee = "sell", trade.get("seller_fee")
        else:
            continue
        mine.append(
            {
                "trade_seq": trade["seq"],
                "side": side,
                "price": trade["price"],
                "qty": trade["qty"],
                "fee": fee,
                "liquidity": "maker" if trade["maker_side"] == side else "taker",
                "time": trade["time"],
            }
        )
    return mine


def orders_messages(
    symbol: str,
    trades: list[TradePayload],
    order_events: list[tuple[int, str, OrderPayload]],
    ts: float,
    positions: dict[int, int] | None = None,
) -> dict[int, OrdersMessage]:
    """One private message per user: their orders' updates, each with its own fills, and
    (when it traded) `position_qty`, the shares it holds in the stock after them."""
    by_user: dict[int, dict[str, OrderEvent]] = {}
    for user_id, event, order in order_events:
        events = by_user.setdefault(user_id, {})
        # A resting order hit by several fills in one transaction is listed once per fill;
        # every listing carries the same final state, so one entry (with all fills) is enough.
        if order["id"] not in events:
            events[order["id"]] = {
                "event": event,
                "order": order,
                "fills": _fills_of(order, trades),
            }
    messages = {}
    for user_id, events in by_user.items():
        message: OrdersMessage = {
            "type": "orders",
            "symbol": symbol,
            "events": list(events.values()),
            "ts": ts,
        }
        if positions and user_id in positions:
            message["position_qty"] = positions[user_id]
        messages[user_id] = message
    return messages


def publish_market(
    symbol: str,
    deltas: list[dict],
    trades: list[TradePayload],
    order_events: list[tuple[int, str, OrderPayload]],
    positions: dict[int, int] | None = None,
) -> None:
    """Publish one committed transaction: its book delta, its trades, each user's order updates.

    Called from `transaction.on_commit`: in commit order within a process, but possibly out of
    order across processes; the `seq` numbers let consumers put book and trades back in order.
    """
    ts = streams.now_ms()
    sends: list[tuple[str, dict]] = []
    market: dict[str, Any] = {}
    if deltas:
        market["book"] = book_delta_message(symbol, deltas, ts)
    if trades:
        market["trades"] = trades_message(symbol, trades, ts)
    if market:
        sends.append((streams.market_group(symbol), streams.event("market", symbol, market)))
    for user_id, message in orders_messages(symbol, trades, order_events, ts, positions).items():
        sends.append(
            (streams.orders_group(user_id), streams.event("orders", symbol, {"orders": message}))
        )
    streams.publish(sends)


def orders_snapshot_message(
    seq: int,
    orders: list[OrderPayload],
    since_seq: int | None,
    missed: list[dict[str, Any]],
    missed_complete: bool,
) -> OrdersSnapshotMessage:
    """What an `orders` subscriber gets first: its open orders and what it missed, at `seq`."""
    return {
        "type": "orders.snapshot",
        "seq": seq,
        "orders": orders,
        "since_seq": since_seq,
        "missed": missed,
        "missed_complete": missed_complete,
    }
