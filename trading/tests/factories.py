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


def place(user, stock: Stock, side: str, qty, price=None, tif: str = "gtc", **kwargs):
    """Place an order the short way: a limit order when a price is given, else a market one."""
    from trading.services import order_place

    return order_place(
        user=user,
        symbol=stock.symbol,
        side=side,
        type="limit" if price is not None else "market",
        time_in_force=tif,
        qty=qty,
        limit_price=price,
        **kwargs,
    )
