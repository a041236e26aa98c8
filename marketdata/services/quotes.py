"""Folding a round's quotes into the stocks: what to write, to record and to publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from operator import attrgetter

from django.conf import settings
from django.utils import timezone

from marketdata.providers import Quote, is_sane
from marketdata.selectors import PricedStock
from marketdata.services.bulk_writes import PricePoint
from marketdata.streams import QuotePayload, quote_payload

PRICE_UNIT = Decimal("0.0001")  # the database keeps prices to 4 decimals
PRICE_FIELDS = [
    "reference_price",
    "previous_close",
    "price_source",
    "price_updated_at",
    "price_stale",
    "day",
    "day_high",
    "day_low",
]

_price_fields = attrgetter(*PRICE_FIELDS)


@dataclass
class Folded:
    """A round's quotes folded in: rows to write, history to record, messages, what was fresh."""

    changed: list[PricedStock] = field(default_factory=list)
    prices: list[PricePoint] = field(default_factory=list)
    payloads: list[QuotePayload] = field(default_factory=list)
    fresh: set[int] = field(default_factory=set)  # stock ids with a sane quote this round
    refused: set[str] = field(default_factory=set)  # symbols whose quote failed the check


def market_day(now: datetime) -> date:
    return timezone.localtime(now, timezone.get_default_timezone()).date()


def minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def quotes_apply(
    source: str,
    quotes: list[Quote],
    by_symbol: dict[str, PricedStock],
    *,
    streamed: set[str],
    today: date,
    now: datetime,
) -> Folded:
    """Fold sane quotes into the stocks: what to write, record, publish; what was fresh, refused.

    Quote messages are built only for the `streamed` symbols (someone subscribes to them).
    """
    max_jump = settings.MARKETDATA_MAX_JUMP
    folded = Folded()
    market_days: dict[datetime, date] = {}  # a round's quotes share a few times at most
    for quote in quotes:
        stock = by_symbol.get(quote.symbol)
        if stock is None:
            continue
        price = quote.price.quantize(PRICE_UNIT, ROUND_HALF_EVEN)
        last = stock.reference_price
        # The jump bound compares a source with itself: the universe file's or a staff
        # member's price is a placeholder that the first real quote may move far from.
        baseline = last if stock.price_source == source else None
        if not is_sane(price, baseline, max_jump):
            folded.refused.add(quote.symbol)
            continue
        # A provider's clock ahead of ours must not date a price in the future.
        when = min(quote.time, now)
        folded.fresh.add(stock.id)
        if when not in market_days:
            market_days[when] = market_day(when)
        publish = _fold(
            folded, stock, quote, price, when, source, market_days[when] == today, today
        )
        if publish and quote.symbol in streamed:
            folded.payloads.append(quote_payload(stock))
    return folded


def _fold(
    folded: Folded,
    stock: PricedStock,
    quote: Quote,
    price: Decimal,
    when: datetime,
    source: str,
    dated_today: bool,
    today: date,
) -> bool:
    """One sane quote into its stock: the new figures, a history point; whether to publish."""
    last = stock.reference_price
    previous_close = stock.previous_close
    if quote.previous_close is not None:
        previous_close = quote.previous_close.quantize(PRICE_UNIT, ROUND_HALF_EVEN)
    new_minute = stock.price_updated_at is None or minute(when) > minute(stock.price_updated_at)
    # The day's range covers prices of today only (Polygon's, say, are yesterday's close).
    day, day_high, day_low = stock.day, stock.day_high, stock.day_low
    if dated_today:
        if day != today:
            day, day_high, day_low = today, price, price
        else:
            day_high = max(day_high or price, price)
            day_low = min(day_low or price, price)
    moved = price != last or previous_close != stock.previous_close
    before = _price_fields(stock)
    after = (price, previous_close, source, when, False, day, day_high, day_low)
    if before == after:
        return False
    for name, value in zip(PRICE_FIELDS, after, strict=True):
        setattr(stock, name, value)
    folded.changed.append(stock)
    # History takes every change, and a price a minute while a price holds still, so
    # one-minute candles have no holes while the feed is alive.
    if price != last or new_minute:
        folded.prices.append((stock.id, when, price, source))
    # A price that moved, or one that was stale and is fresh again, goes to its watchers.
    return moved or bool(before[4])
