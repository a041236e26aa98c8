"""Reading what a client sent: quantities, prices and choices, each refused with a stable code.

The refusals' messages are sentences a trader reads (see core.words); their `code`s and the
`fields` keys are the API's contract and never change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from core.words import dollars, label, price_number, shares
from core.words import price as price_text
from marketdata.models import Stock
from trading.errors import TradingError
from trading.pricing import PRICE_UNIT

MAX_QTY = 10_000_000
MAX_PRICE = Decimal("1000000")
DECIMALS = 4  # PRICE_UNIT's


def _refuse(code: str, name: str, message: str, hint: str) -> TradingError:
    return TradingError(code, message, fields={name: [hint]})


def _not_a_number(code: str, name: str) -> str:
    if code == "invalid_qty":
        return f"{label(name)} must be a whole number of shares."
    return f"{label(name)} must be a positive amount, like 101.25."


# A number as people and programs write one: ASCII digits, an optional point and exponent.
# Decimal() alone also takes "1_000", "١٢" and "NaN", and a 4,000-digit string whose later
# arithmetic (quantize, %) fails with InvalidOperation instead of a refusal.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
MAX_NUMBER_LENGTH = 40


def parse_decimal(raw: object, *, name: str, code: str) -> Decimal:
    """A finite, positive number; anything else is refused with `code`."""
    text = str(raw).strip()
    if len(text) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(text):
        raise _refuse(code, name, _not_a_number(code, name), "Not a number.")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise _refuse(code, name, _not_a_number(code, name), "Not a number.") from None
    if value.adjusted() > 15 or (value and value.adjusted() < -15):
        # Far outside any price or quantity: refused before any arithmetic on it.
        raise _refuse(code, name, _not_a_number(code, name), "Out of range.")
    if not value.is_finite():
        raise _refuse(code, name, _not_a_number(code, name), "Not finite.")
    if value <= 0:
        message = f"{label(name)} must be positive."
        if code != "invalid_qty":
            message = _not_a_number(code, name)
        raise _refuse(code, name, message, "Must be positive.")
    return value


def parse_qty(raw: object, lot_size: int, *, name: str = "qty") -> int:
    """A whole, positive number of shares, a multiple of the lot."""
    qty = parse_decimal(raw, name=name, code="invalid_qty")
    if qty != qty.to_integral_value():
        raise _refuse(
            "invalid_qty",
            name,
            f"{label(name)} must be a whole number of shares.",
            "Whole shares only.",
        )
    if qty > MAX_QTY:
        raise _refuse(
            "invalid_qty", name, f"{label(name)} may be at most {shares(MAX_QTY)}.", "Too large."
        )
    qty_int = int(qty)
    if qty_int % lot_size:
        raise _refuse(
            "qty_off_lot",
            name,
            f"{label(name)} must be a multiple of the lot ({shares(lot_size)}).",
            f"Multiple of {lot_size}.",
        )
    return qty_int


def parse_price(raw: object, stock: Stock, name: str = "limit_price") -> Decimal:
    """A positive price on the stock's tick."""
    price = parse_decimal(raw, name=name, code="invalid_price")
    if price > MAX_PRICE:
        raise _refuse(
            "invalid_price",
            name,
            f"{label(name)} may be at most {dollars(MAX_PRICE)} a share.",
            "Too large.",
        )
    tick = stock.tick_size
    if price != price.quantize(PRICE_UNIT):
        raise _refuse(
            "invalid_price",
            name,
            f"{label(name)} may have at most {DECIMALS} decimals.",
            "Too many decimals.",
        )
    if price % tick:
        raise _refuse(
            "price_off_tick",
            name,
            f"Prices move in steps of {price_text(tick, tick)}.",
            f"Multiple of {price_number(tick, tick)}.",
        )
    return price.quantize(PRICE_UNIT)


def or_list(values: Iterable[str]) -> str:
    """ "a, b or c"."""
    items = list(values)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def parse_choice(value: object, allowed: Iterable[str], name: str) -> str:
    """One of `allowed` (case and surrounding blanks ignored)."""
    text = str(value or "").strip().lower()
    allowed = list(allowed)
    if text not in allowed:
        raise _refuse(
            f"invalid_{name}",
            name,
            f"{label(name)} must be {or_list(allowed)}.",
            f"One of: {', '.join(allowed)}.",
        )
    return text


def is_blank(value: object) -> bool:
    return value in (None, "")
