"""Numbers and names in the words a trader reads, for every refusal and notice the site writes.

Money is dollars with two decimals; a price has the decimals of its stock's tick (two for a
cent tick, four for a hundredth of a cent), never the four the database keeps. A field is
named as the page names it ("Quantity", "The limit price"), not as the API spells it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# What each API field is called in a sentence (the API's `fields` keys stay as they are).
FIELD_LABELS = {
    "qty": "Quantity",
    "limit_price": "The limit price",
    "max_price": "Your maximum",
    "reserve_price": "The reserve price",
    "start_price": "The start price",
    "fixed_increment": "The fixed increment",
    "increment_rule": "The increment rule",
    "time_in_force": "Time in force",
    "client_order_id": "The client order id",
    "side": "Side",
    "type": "Order type",
    "symbol": "Symbol",
    "symbols": "Symbols",
    "tick_size": "The tick size",
    "lot_size": "The lot size",
    "band_pct": "The price band",
    "duration_seconds": "The duration",
    "starts_at": "The start",
    "ends_at": "The end",
    "notional": "The amount",
    # The account configurations of /api/v2 (Alpaca's names).
    "trade_confirm_email": "Trade confirmation e-mail",
    "dtbp_check": "The day-trading buying power check",
    "pdt_check": "The pattern day trader check",
    "no_shorting": "No shorting",
    "fractional_trading": "Fractional trading",
    "max_margin_multiplier": "The margin multiplier",
    "suspend_trade": "Suspend trading",
}


def label(name: str) -> str:
    """A field's name as a sentence starts it: "limit_price" -> "The limit price"."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def in_sentence(name: str) -> str:
    """A field's name inside a sentence: "limit_price" -> "the limit price", "qty" -> "quantity"."""
    text = label(name)
    return text[0].lower() + text[1:]


def _grouped(value: Decimal, places: int) -> str:
    exponent = Decimal(1).scaleb(-places)
    return f"{value.quantize(exponent, rounding=ROUND_HALF_UP):,.{places}f}"


def dollars(amount: Decimal | int | str) -> str:
    """Cash: "$1,013.51", "-$3.00"."""
    value = Decimal(str(amount))
    text = _grouped(abs(value), 2)
    return f"-${text}" if value < 0 else f"${text}"


def tick_places(tick: Decimal | None) -> int:
    """The decimals a price on this tick needs: 2 at least (a cent), more for a finer tick."""
    if not tick:
        return 2
    exponent = Decimal(tick).normalize().as_tuple().exponent
    return max(2, -exponent if isinstance(exponent, int) else 2)


def price_number(price: Decimal | int | str, tick: Decimal | None = None) -> str:
    """A price as a plain number at its tick's decimals, for a machine: "95.25", "0.1234"."""
    places = tick_places(tick)
    return f"{Decimal(str(price)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}"


def price(value: Decimal | int | str, tick: Decimal | None = None) -> str:
    """A price per share in dollars at its tick's decimals: "$95.25", "$1,250.00", "$0.1234"."""
    number = Decimal(str(value))
    text = _grouped(abs(number), tick_places(tick))
    return f"-${text}" if number < 0 else f"${text}"


def shares(qty: int, symbol: str = "") -> str:
    """ "1 share", "1,000 AAPL shares"."""
    what = f"{symbol} share" if symbol else "share"
    return f"{qty:,} {what}{'' if qty == 1 else 's'}"
