"""The price alerts' stream message: one TypedDict, and its builder."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, NotRequired, TypedDict, cast

from core.times import rfc3339
from trading.alerts.models import PriceAlert

Direction = Literal["above", "below"]
Source = Literal["last_trade", "reference"]


class AlertFiredMessage(TypedDict):
    """A price alert of the user's fired: sent once, on their private `orders` channel."""

    type: Literal["alert.fired"]
    alert_id: int
    symbol: str
    direction: Direction
    level: str
    price: str
    # Which price reached the level: "last_trade" here, or "reference" (never traded here).
    source: Source
    text: str
    fired_at: str
    ts: NotRequired[float]
    # Given by the publisher (`core.streams`): the user's private sequence number.
    seq: NotRequired[int]


def alert_fired_message(
    alert: PriceAlert, price: Decimal, source: str, text: str
) -> AlertFiredMessage:
    return {
        "type": "alert.fired",
        "alert_id": alert.pk,
        "symbol": alert.stock.symbol,
        "direction": cast(Direction, alert.direction),
        "level": str(alert.level),
        "price": str(price),
        "source": cast(Source, source),
        "text": text,
        "fired_at": rfc3339(alert.fired_at) or "",
    }
