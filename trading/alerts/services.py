"""Price alerts and the notification list.

An alert watches the price a position is marked at: the last trade here, or the reference
price for a stock that has not traded here. So an alert agrees with the portfolio's figures,
and a reference price that drifts while the stock trades here does not fire one.

Crossings are looked for after a commit, never inside the order's transaction: on trades (one
query per transaction that traded) and on a price pull's reference moves (one query per round,
for the stocks that moved and have not traded here). An alert fires once: its `fired_at` is set
by an UPDATE guarded by `fired_at IS NULL`, so when two processes see the same crossing, one
updates the row and the other updates nothing (PostgreSQL re-reads the row after the first
commits) and says nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import streams
from core.fields import PRICE_DECIMAL_PLACES, PRICE_MAX_DIGITS
from marketdata.models import Stock
from trading.alerts.messages import AlertFiredMessage, alert_fired_message
from trading.alerts.models import Notification, PriceAlert
from trading.errors import TradingError
from trading.models import BookState

log = logging.getLogger(__name__)

DIRECTIONS = tuple(PriceAlert.Direction.values)
NOTIFICATIONS_SHOWN = 100


@dataclass(frozen=True)
class Move:
    """The prices one stock was seen at: the lowest and highest of a transaction or a round."""

    low: Decimal
    high: Decimal


def _level(level: object, stock: Stock) -> Decimal:
    try:
        value = Decimal(str(level).strip())
    except (InvalidOperation, ValueError):
        raise TradingError("invalid_level", "The alert's level must be a price.") from None
    if not value.is_finite() or value <= 0:
        raise TradingError("invalid_level", "The alert's level must be a positive price.")
    if value >= Decimal(10) ** (PRICE_MAX_DIGITS - PRICE_DECIMAL_PLACES):
        raise TradingError("invalid_level", "The alert's level is too large.")
    if value % stock.tick_size:
        raise TradingError(
            "level_off_tick",
            f"{stock.symbol} is priced in steps of ${stock.tick_size.normalize():f}.",
        )
    return value


def mark_price(stock: Stock) -> tuple[Decimal | None, str]:
    """The price an alert on `stock` watches, and which it is ("last_trade" or "reference")."""
    last = BookState.objects.filter(stock=stock).values_list("last_price", flat=True).first()
    if last:
        return last, "last_trade"
    return stock.reference_price, "reference"


def price_alert_create(
    *, user: User, symbol: object, direction: object, level: object
) -> PriceAlert:
    """Arm an alert; refused for an unknown symbol, a bad level, one already reached, or past
    the cap of armed alerts (counted under the user's row lock, so two requests cannot both
    take the last place)."""
    text = str(symbol or "").strip().upper()
    stock = Stock.objects.filter(symbol=text).first() if text else None
    if stock is None:
        raise TradingError("unknown_symbol", f"There is no stock {text!r}.")
    if direction not in DIRECTIONS:
        raise TradingError("invalid_direction", 'An alert is "above" or "below" a level.')
    value = _level(level, stock)
    price, _ = mark_price(stock)
    if price is not None and (
        (direction == "above" and price >= value) or (direction == "below" and price <= value)
    ):
        raise TradingError(
            "level_already_reached",
            f"{stock.symbol} is already {'at or above' if direction == 'above' else 'at or below'}"
            f" ${value:,.2f} (it is at ${price:,.2f}).",
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        armed = PriceAlert.objects.filter(user=user, fired_at__isnull=True).count()
        if armed >= settings.PRICE_ALERTS_PER_USER:
            raise TradingError(
                "too_many_alerts",
                f"You have {armed} price alerts set, the most there may be: delete one first.",
            )
        return PriceAlert.objects.create(user=user, stock=stock, direction=direction, level=value)


def price_alert_delete(*, user: User, alert_id: object) -> None:
    """Delete one of the user's alerts (armed or fired)."""
    text = str(alert_id)
    # Only a number the id column can hold reaches the query (a longer one is no alert).
    pk = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0
    deleted, _ = PriceAlert.objects.filter(user=user, pk=pk).delete()
    if not deleted:
        raise TradingError("alert_not_found", "You have no such price alert.")


def alert_words(alert: PriceAlert, symbol: str, price: Decimal, source: str) -> str:
    where = "traded at" if source == "last_trade" else "has a reference price of"
    return (
        f"{symbol} {where} ${price:,.2f}: your alert {alert.get_direction_display()}"
        f" ${alert.level:,.2f} fired."
    )


def price_alerts_fire(*, moves: dict[int, Move], source: str) -> list[PriceAlert]:
    """Fire the armed alerts that the moves reached; each fires once across all processes.

    One query reads the candidates of every stock in `moves`; only the alerts that fire take
    an UPDATE each (the guarded one) and a notification. For reference moves, a stock that has
    traded here is skipped: its alerts watch its last trade.
    """
    if not moves:
        return []
    # The armed alerts are few beside the symbols a round moves (thousands): read them all for
    # those symbols at once (a partial index holds only armed ones), and compare here.
    candidates = PriceAlert.objects.filter(stock_id__in=list(moves), fired_at__isnull=True)
    if source == "reference":
        candidates = candidates.exclude(
            stock_id__in=BookState.objects.filter(last_price__isnull=False).values("stock_id")
        )
    fired: list[PriceAlert] = []
    now = timezone.now()
    reached = [
        alert
        for alert in candidates.select_related("stock")
        if (alert.direction == "above" and alert.level <= moves[alert.stock_id].high)
        or (alert.direction == "below" and alert.level >= moves[alert.stock_id].low)
    ]
    for alert in reached:
        move = moves[alert.stock_id]
        price = move.high if alert.direction == "above" else move.low
        with transaction.atomic():
            won = PriceAlert.objects.filter(pk=alert.pk, fired_at__isnull=True).update(
                fired_at=now, fired_price=price
            )
            if not won:
                continue  # another process fired it
            alert.fired_at, alert.fired_price = now, price
            text = alert_words(alert, alert.stock.symbol, price, source)
            Notification.objects.create(
                user_id=alert.user_id,
                kind=Notification.Kind.ALERT,
                text=text,
                link=f"/stocks/{alert.stock.symbol}/",
            )
            message = alert_fired_message(alert, price, source, text)
            transaction.on_commit(partial(_publish, alert.user_id, message))
        fired.append(alert)
    return fired


def _publish(user_id: int, message: AlertFiredMessage) -> None:
    ts = streams.now_ms()
    event = streams.event("orders", None, {"orders": {**message, "ts": ts}})
    streams.publish([(streams.orders_group(user_id), event)])


def fill_words(side: str, qty: str, symbol: str, price: str, done: bool) -> str:
    verb = "Bought" if side == "buy" else "Sold"
    amount = Decimal(price)
    tail = "" if done else " (part of your order)"
    return f"{verb} {qty} {symbol} at ${amount:,.2f}{tail}."


def after_trades(
    *, stock_id: int, symbol: str, prices: list[Decimal], fills: list[tuple[int, str]]
) -> None:
    """What a committed transaction that traded leaves behind: fill notifications (one insert)
    and the alerts its prices reached. Runs after the commit; a failure here is logged, never
    raised into the order that already happened."""
    try:
        if fills:
            Notification.objects.bulk_create(
                [
                    Notification(user_id=u, kind=Notification.Kind.FILL, text=t, link="/orders/")
                    for u, t in fills
                ]
            )
        if prices:
            price_alerts_fire(moves={stock_id: Move(min(prices), max(prices))}, source="last_trade")
    except Exception:
        log.exception("could not record the notifications of a %s trade", symbol)


def after_reference_moves(moves: dict[int, Decimal]) -> None:
    """The price pull's port (marketdata.price_watch): the reference prices that moved."""
    try:
        price_alerts_fire(moves={k: Move(v, v) for k, v in moves.items()}, source="reference")
    except Exception:
        log.exception("could not check price alerts after a price pull")


def notifications_mark_read(*, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
