"""Shares outside of trading: staff grants."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.models import User
from core import words
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import Position, ShareEntry
from trading.services.locks import book_lock, positions_lock


def position_grant(*, user: User, symbol: str, qty: int, memo: str = "Staff grant") -> Position:
    """Staff: give a user shares (or take unreserved ones back with a negative qty)."""
    stock = Stock.objects.filter(symbol=symbol.upper()).first()
    if stock is None:
        raise TradingError("unknown_symbol", f"There is no stock {symbol.upper()!r}.")
    if not isinstance(qty, int) or qty == 0:
        raise TradingError("invalid_qty", "Quantity must be a whole number of shares, not zero.")
    with transaction.atomic():
        book_lock(stock.pk)
        position = positions_lock(stock, {user.id})[user.id]
        if position.available_qty + qty < 0:
            raise TradingError(
                "insufficient_qty",
                f"Only {words.shares(position.available_qty, stock.symbol)} can be taken back: "
                "the rest are not there or are held by open orders.",
            )
        if qty > 0 and position.qty == 0:
            position.avg_cost = stock.reference_price or Decimal("0")
        position.qty += qty
        ShareEntry.objects.create(
            user_id=position.user_id,
            stock_id=position.stock_id,
            kind=ShareEntry.Kind.GRANT,
            qty=qty,
            balance_after=position.qty,
            reference="grant",
            memo=memo,
        )
        if position.qty == 0:
            position.avg_cost = Decimal("0")
        position.save()
    return position
