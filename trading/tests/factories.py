"""Small builders for trading tests."""

from __future__ import annotations

from decimal import Decimal

from marketdata.models import Stock
from trading.services import position_grant


def make_stock(symbol: str = "ACME", price: str = "100.00", **kwargs) -> Stock:
    return Stock.objects.create(
        symbol=symbol,
        name=f"{symbol} Corp",
        reference_price=Decimal(price),
        previous_close=Decimal(price),
        **kwargs,
    )


def give_shares(user, stock: Stock, qty: int):
    return position_grant(user=user, symbol=stock.symbol, qty=qty)
