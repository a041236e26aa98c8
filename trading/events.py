"""Typed domain events: what a trading transaction did, collected inside it, streamed after it.

Services record events on a `MarketEvents` as they go; `publish_on_commit()` turns them into
stream messages once the transaction commits (never for one that rolls back). The event names
of order updates follow Alpaca's `trade_updates`: new, fill, partial_fill, canceled, expired,
replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction

from marketdata.models import Stock
from trading import broadcast
from trading.models import Auction, Bid, Order, Trade

OrderEventKind = Literal["new", "fill", "partial_fill", "canceled", "expired", "replaced"]


@dataclass(frozen=True)
class OrderUpdated:
    """An order was accepted, filled (partly or wholly), canceled, expired or replaced."""

    kind: OrderEventKind
    order: Order


@dataclass
class MarketEvents:
    """One transaction's events on one symbol: book level changes, executions, order updates."""

    stock: Stock
    levels: list[dict] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    orders: list[OrderUpdated] = field(default_factory=list)
    # Shares each trader holds in the stock after the transaction, by user id: told with
    # their fills (a position read later could already hold a later order's fills).
    positions: dict[int, int] = field(default_factory=dict)

    def order_accepted(self, order: Order) -> None:
        self.orders.insert(0, OrderUpdated("new", order))

    def order_filled(self, order: Order, *, first: bool = False) -> None:
        """A fill of `order`; its final state decides whether it reads fill or partial_fill."""
        event = OrderUpdated("fill", order)
        if first:
            self.orders.insert(0, event)
        else:
            self.orders.append(event)

    def order_ended(self, order: Order, kind: OrderEventKind) -> None:
        self.orders.append(OrderUpdated(kind, order))

    def publish_on_commit(self) -> None:
        """Build the stream messages now (from the state as committed) and send them on commit."""
        symbol = self.stock.symbol
        trades = [broadcast.trade_payload(t, symbol) for t in self.trades]
        order_events = [
            (e.order.user_id, _kind(e), broadcast.order_payload(e.order, symbol))
            for e in self.orders
        ]
        levels, positions = self.levels, dict(self.positions)
        transaction.on_commit(
            lambda: broadcast.publish_market(symbol, levels, trades, order_events, positions)
        )
        if self.trades:
            self._notify_on_commit(order_events)

    def _notify_on_commit(self, order_events: list) -> None:
        """After the commit: a notification per order that filled, and the price alerts the
        trades reached (auction prints do not mark positions, so they fire none)."""
        from trading.services.alerts import after_trades, fill_words

        symbol, stock_id = self.stock.symbol, self.stock.pk
        prices = [t.price for t in self.trades if t.auction_id is None]
        fills: list[tuple[int, str]] = []
        seen: set[str] = set()
        for user_id, kind, order in order_events:
            if kind not in ("fill", "partial_fill") or order["id"] in seen:
                continue
            seen.add(order["id"])
            fills.append(
                (
                    user_id,
                    fill_words(
                        order["side"],
                        order["filled_qty"],
                        symbol,
                        order["filled_avg_price"] or "0",
                        kind == "fill",
                    ),
                )
            )
        transaction.on_commit(
            lambda: after_trades(stock_id=stock_id, symbol=symbol, prices=prices, fills=fills)
        )


def _kind(event: OrderUpdated) -> str:
    if event.kind == "fill" and event.order.status != Order.Status.FILLED:
        return "partial_fill"
    return event.kind


@dataclass
class AuctionEvents:
    """One transaction's events on one auction: public (everyone) and private (a bidder's)."""

    auction: Auction
    public_events: list[tuple[str, Bid | None]] = field(default_factory=list)
    private_events: list[tuple[int, str, Bid | None]] = field(default_factory=list)

    def public(self, kind: str, *, bid: Bid | None = None) -> None:
        """opened, scheduled, bid, extended, closed, canceled: each takes the next `seq`
        (on the auction row, which the caller saves after)."""
        self.auction.seq += 1
        self.public_events.append((kind, bid))

    def private(self, user_id: int, kind: str, bid: Bid | None) -> None:
        """leading, outbid, won, lost, settled: to one user's private channel."""
        self.private_events.append((user_id, kind, bid))

    def publish_on_commit(self, *, schedule_close: bool = False) -> None:
        """Number the public events, build every message now, send them after the commit.

        `schedule_close`: (re)schedule the close task at the auction's (new) end.
        """
        auction = self.auction
        first = auction.seq - len(self.public_events) + 1
        bids = [bid for _, bid in self.public_events if bid is not None]
        labels = broadcast.bidder_labels(auction) if bids else {}
        public = [
            broadcast.auction_message(auction, kind, first + i, bid, labels)
            for i, (kind, bid) in enumerate(self.public_events)
        ]
        private = [
            (user_id, broadcast.auction_standing(auction, kind, bid))
            for user_id, kind, bid in self.private_events
        ]
        auction_id, ends_at = auction.pk, auction.ends_at

        def send() -> None:
            broadcast.publish_auction(auction_id, public, private)
            if schedule_close:
                broadcast.schedule_auction_close(auction_id, ends_at)

        transaction.on_commit(send)
