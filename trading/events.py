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
from trading.models import Order, Trade

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


def _kind(event: OrderUpdated) -> str:
    if event.kind == "fill" and event.order.status != Order.Status.FILLED:
        return "partial_fill"
    return event.kind
