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
    AuctionMessage,
    AuctionPayload,
    AuctionSnapshotMessage,
    AuctionStandingMessage,
    BookDeltaMessage,
    BookSnapshotMessage,
    DayPayload,
    DeltaLevel,
    Fill,
    OrderEvent,
    OrderPayload,
    OrdersMessage,
    OrdersSnapshotMessage,
    PublicBid,
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
        # What Alpaca's trade_updates carry of an order beyond the above (see trading.alpaca).
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


# --------------------------------------------------------------------------- auctions
def bidder_labels(auction) -> dict[int, str]:
    """ "bidder 1", "bidder 2", … by each bidder's first accepted bid on the auction (the
    numbers are kept on the auction row, given out under its lock)."""
    return {int(uid): f"bidder {n}" for uid, n in auction.bidder_numbers.items()}


def auction_payload(auction) -> AuctionPayload:
    """What everyone may see of an auction: never the reserve, never a maximum."""
    from trading.services.auctions import min_next_bid

    live = auction.status in ("scheduled", "open")
    return {
        "id": auction.pk,
        "symbol": auction.stock.symbol,
        "qty": str(auction.qty),
        "status": auction.status,
        "current_price": _dec(auction.current_price),
        "start_price": _dec(auction.start_price),
        "min_next_bid": _dec(min_next_bid(auction)) if live else None,
        "bid_count": auction.bid_count,
        "reserve_met": auction.reserve_met,
        "starts_at": rfc3339(auction.starts_at),
        "ends_at": rfc3339(auction.ends_at),
        "original_ends_at": rfc3339(auction.original_ends_at),
        "extended": auction.ends_at > auction.original_ends_at,
        "closed_at": rfc3339(auction.closed_at),
        "sold_price": _dec(auction.current_price) if auction.status == "closed" else None,
        "seq": auction.seq,
    }


def public_bid(bid, labels: dict[int, str]) -> PublicBid:
    return {
        "bidder": labels.get(bid.bidder_id, "bidder"),
        "price": _dec(bid.price),
        "status": bid.status,
        "placed_at": rfc3339(bid.placed_at),
    }


def auction_message(auction, event: str, seq: int, bid, labels: dict[int, str]) -> AuctionMessage:
    """The public `auction` message; `server_time` lets pages count down on the server's clock."""
    from django.utils import timezone

    state: AuctionPayload = {**auction_payload(auction), "seq": seq}
    message: AuctionMessage = {
        "type": "auction",
        "event": event,
        "auction_id": auction.pk,
        "seq": seq,
        "auction": state,
        "server_time": rfc3339(timezone.now()),
        "ends_at": state["ends_at"],
    }
    if bid is not None:
        message["bid"] = public_bid(bid, labels)
    return message


def auction_standing(auction, event: str, bid) -> AuctionStandingMessage:
    """A bidder's or seller's private message: leading, outbid, won, lost, settled."""
    return {
        "type": "auction.standing",
        "event": event,
        "auction_id": auction.pk,
        "symbol": auction.stock.symbol,
        "current_price": _dec(auction.current_price),
        "max_price": _dec(bid.max_price) if bid is not None and event != "settled" else None,
        "ends_at": rfc3339(auction.ends_at),
    }


def auctions_index_message(live: list, now: datetime) -> AuctionSnapshotMessage:
    """What a subscriber to every auction gets first: each live one, on the server's clock."""
    return {
        "type": "auction.snapshot",
        "auctions": [auction_payload(a) for a in live],
        "server_time": now.isoformat(),
    }


def auction_snapshot_message(auction, now: datetime) -> AuctionSnapshotMessage:
    """What a subscriber to one auction gets first: its state, on the server's clock."""
    state = auction_payload(auction)
    return {
        "type": "auction.snapshot",
        "auction_id": auction.pk,
        "seq": auction.seq,
        "auction": state,
        "server_time": now.isoformat(),
        "ends_at": state["ends_at"],
    }


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


def publish_auction(
    auction_id: int,
    public: list[AuctionMessage],
    private: list[tuple[int, AuctionStandingMessage]],
) -> None:
    """An auction's public events (its group and the index) and its bidders' private ones."""
    ts = streams.now_ms()
    sends = []
    for message in public:
        message = {**message, "ts": ts}
        # The event names its auction for that auction's subscribers, and none for the index's
        # (a socket subscribed to both gets it twice; the seq tells a client it has it).
        one = streams.event("auction", str(auction_id), {"auction": message})
        sends.append((streams.auction_group(auction_id), one))
        sends.append((streams.AUCTIONS_GROUP, streams.event("auction", None, {"auction": message})))
    for user_id, message in private:
        event = streams.event("orders", None, {"orders": {**message, "ts": ts}})
        sends.append((streams.orders_group(user_id), event))
    streams.publish(sends)


def schedule_auction_close(auction_id: int, ends_at) -> None:
    """Ask the worker to close the auction at its end (the beat sweep is the backstop)."""
    from django.conf import settings

    if not settings.AUCTION_SCHEDULE_CLOSE_TASKS:
        return
    try:
        from celery import current_app

        current_app.send_task("trading.close_auction", args=[auction_id], eta=ends_at)
    except Exception:  # the sweep closes it anyway
        import logging

        logging.getLogger(__name__).warning(
            "could not schedule the close of auction %s", auction_id
        )
