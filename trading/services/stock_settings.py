"""The market's own settings of a stock: its tick, lot and price band (staff only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction

from core import words
from marketdata.models import Stock
from trading.errors import TradingError
from trading.models import OPEN_STATUSES, Order
from trading.services.book_levels import resting_price
from trading.services.locks import book_lock


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
