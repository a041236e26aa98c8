"""Reading Alpaca's loose request values: a refusal is a `TradingError` with Alpaca's reason.

Alpaca's clients send numbers as strings, dates as RFC 3339 or plain days, and names in any
case; what cannot be read answers 422 with a `reason` like `invalid_qty` (see `errors`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.times import parse_moment
from trading.errors import TradingError


def invalid(name: str, message: str, code: str | None = None) -> TradingError:
    return TradingError(code or f"invalid_{name}", message, fields={name: [message]})


def unsupported(code: str, name: str, value: object) -> TradingError:
    return TradingError(
        code,
        f"{name} {value!r} is not supported yet on this exchange.",
        fields={name: ["Not supported yet."]},
    )


def blank(value: object) -> bool:
    return value in (None, "")


def choice(
    value: object,
    name: str,
    supported: tuple[str, ...],
    unsupported_values: tuple[str, ...] = (),
    *,
    code: str | None = None,
) -> str:
    """One of `supported`, in any case; one of `unsupported_values` is a 422 of its own."""
    text = str(value or "").strip().lower()
    if text in supported:
        return text
    if text in unsupported_values:
        raise unsupported(code or f"unsupported_{name}", name, text)
    raise invalid(name, f"invalid {name}: {value!r}")


def positive_decimal(raw: object, name: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise invalid(name, f"{name} must be a number") from None
    if not value.is_finite() or value <= 0:
        raise invalid(name, f"{name} must be a positive number")
    return value


def moment(raw: object, name: str) -> datetime:
    try:
        return parse_moment(raw)
    except ValueError:
        raise invalid(name, f"{name} must be an RFC 3339 time between 1970 and 2200") from None


def day(raw: object, name: str) -> date | None:
    if blank(raw):
        return None
    try:
        return parse_moment(str(raw)[:10]).date()
    except ValueError:
        raise invalid(name, f"{name} must be a date like 2026-01-02, 1970 to 2200") from None
