"""Money arithmetic for orders: ticks, bands, reservations and fees, in one place."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from django.conf import settings

# The engine works in integer ticks of this unit: the database keeps prices to 4 decimals,
# so every valid price is a whole number of it whatever the stock's tick size is.
PRICE_UNIT = Decimal("0.0001")
CENT = Decimal("0.01")
BPS = Decimal("10000")


def to_ticks(price: Decimal) -> int:
    return int((price / PRICE_UNIT).to_integral_exact())


def from_ticks(ticks: int) -> Decimal:
    return (Decimal(ticks) * PRICE_UNIT).quantize(PRICE_UNIT)


def maker_fee_bps() -> Decimal:
    return settings.TRADING_MAKER_FEE_BPS


def taker_fee_bps() -> Decimal:
    return settings.TRADING_TAKER_FEE_BPS


def fee(notional: Decimal, bps: Decimal) -> Decimal:
    """The fee charged on one fill, rounded down to the cent.

    Rounding down here and up in `reservation` means a buy's reservation always covers what
    its fills cost, however the order is split: ceil(a + b) >= ceil(a) + floor(b) in cents.
    """
    if not bps:
        return Decimal("0")
    return (notional * bps / BPS).quantize(CENT, rounding=ROUND_DOWN)


def reservation(limit_price: Decimal, qty: int) -> Decimal:
    """Cash a buy must hold for `qty` more shares at most `limit_price`, fees included."""
    notional = limit_price * qty
    bps = max(maker_fee_bps(), taker_fee_bps())
    cap = (notional * bps / BPS).quantize(CENT, rounding=ROUND_CEILING) if bps else Decimal("0")
    return (notional + cap).quantize(PRICE_UNIT)


def band(reference: Decimal, band_pct: Decimal, tick: Decimal) -> tuple[Decimal, Decimal]:
    """The lowest and highest prices an order may have, on the tick and inside the band."""
    low = reference * (1 - band_pct)
    high = reference * (1 + band_pct)
    low_ticks = (low / tick).to_integral_value(rounding=ROUND_CEILING)
    high_ticks = (high / tick).to_integral_value(rounding=ROUND_FLOOR)
    return max(low_ticks * tick, tick), high_ticks * tick
