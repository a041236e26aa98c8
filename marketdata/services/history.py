"""The demo's history: a day of minute bars for stocks that have none yet."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min
from django.utils import timezone

from marketdata.models import PriceBar, Stock

BACKFILL_SOURCE = "backfill"
BACKFILL_VOLATILITY = 0.0008  # per minute: about 3% over a day


def history_backfill(
    *, stocks: list[Stock], minutes: int = 24 * 60, now: datetime | None = None, seed: str = "demo"
) -> int:
    """Give each stock with little history a day of one-minute reference bars ending at its
    price now (a seeded random walk, walked backwards from the price), so a new site's charts
    and sparklines are full from the first minute. Stocks with history already are left alone,
    and no bar is written where one exists: safe to run again. Returns the bars written."""
    end = (now or timezone.now()).replace(second=0, microsecond=0)
    history = {
        stock_id: (first, bars)
        for stock_id, first, bars in PriceBar.objects.filter(stock__in=stocks)
        .values("stock_id")
        .annotate(first=Min("start"), bars=Count("id"))
        .values_list("stock_id", "first", "bars")
    }
    rows: list[PriceBar] = []
    written = 0
    for stock in stocks:
        first, bars = history.get(stock.id, (None, 0))
        if stock.reference_price is None or bars >= 60:
            continue
        # Walk back from the oldest bar there is (or from now), one minute at a time.
        until = first if first is not None else end
        rng = random.Random(f"{seed}/{stock.symbol}")
        tick = stock.tick_size
        close = float(stock.reference_price)
        for step in range(1, minutes + 1):
            start = until - timedelta(minutes=step)
            open_ = close * math.exp(rng.gauss(0, BACKFILL_VOLATILITY))
            wick = abs(rng.gauss(0, BACKFILL_VOLATILITY / 2))
            prices = [_on_tick(p, tick) for p in (open_, close)]
            high = max(*prices, _on_tick(max(open_, close) * (1 + wick), tick))
            low = max(tick, min(*prices, _on_tick(min(open_, close) * (1 - wick), tick)))
            rows.append(
                PriceBar(
                    stock=stock,
                    start=start,
                    open=max(tick, prices[0]),
                    high=high,
                    low=low,
                    close=max(tick, prices[1]),
                    source=BACKFILL_SOURCE,
                )
            )
            close = open_  # the bar before this one closed where this one opened
        if len(rows) >= 20_000:
            PriceBar.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)
            written += len(rows)
            rows = []
    PriceBar.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)
    return written + len(rows)


def _on_tick(value: float, tick: Decimal) -> Decimal:
    return round(value / float(tick)) * tick
