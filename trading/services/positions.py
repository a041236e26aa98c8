"""Shares outside of trading: staff grants, and the market's own settings of a stock."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction

from accounts.models import User
from core import words
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import OPEN_STATUSES, Order, Position, ShareEntry
from trading.services.book_levels import resting_price
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


def stock_update(
    *, stock_id: int, tick_size: object = None, lot_size: object = None, band_pct: object = None
) -> Stock:
    """Staff: change a stock's tick, lot or price band.

    Refused while resting orders would be left off the new tick or lot: they could then never
    be matched or replaced as they stand.
    """
    with transaction.atomic():
        book_lock(stock_id)  # no order can come to rest while this checks
        stock = Stock.objects.select_for_update().get(pk=stock_id)
        resting = list(Order.objects.filter(stock_id=stock_id, status__in=OPEN_STATUSES))
        if tick_size is not None:
            tick = _positive(tick_size, "tick_size")
            off = sum(1 for o in resting if resting_price(o) % tick)
            _refuse_if_off(off, "tick_size", f"would be off a tick of {words.price(tick, tick)}")
            stock.tick_size = tick
        if lot_size is not None:
            lot = int(_positive(lot_size, "lot_size"))
            if lot != _positive(lot_size, "lot_size"):
                raise TradingError(
                    "invalid_lot_size",
                    "The lot size must be a whole number of shares.",
                    fields={"lot_size": ["Whole."]},
                )
            off = sum(1 for o in resting if o.remaining_qty % lot)
            _refuse_if_off(off, "lot_size", f"are not a multiple of {words.shares(lot)}")
            stock.lot_size = lot
        if band_pct is not None:
            pct = _positive(band_pct, "band_pct")
            if pct > 1:
                raise TradingError(
                    "invalid_band_pct",
                    "The price band is at most 1 (100% of the reference price).",
                    fields={"band_pct": ["≤ 1."]},
                )
            stock.band_pct = pct
        stock.save(update_fields=["tick_size", "lot_size", "band_pct"])
    return stock


def _refuse_if_off(count: int, name: str, what: str) -> None:
    """Refuse a tick or lot that `count` resting orders would not fit."""
    if count:
        code = "orders_off_tick" if name == "tick_size" else "orders_off_lot"
        raise TradingError(
            code,
            f"{count} resting {'order' if count == 1 else 'orders'} {what}; cancel "
            f"{'it' if count == 1 else 'them'} first.",
            fields={name: [f"Resting orders are off this {name.split('_')[0]}."]},
        )


def _positive(raw: object, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise TradingError(
            f"invalid_{name}",
            f"{words.label(name)} must be a positive number.",
            fields={name: ["Positive."]},
        )
    return value
