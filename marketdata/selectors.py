"""Reads on the stock universe, its reference-price history, candles and the day's figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import BigIntegerField, F, Func, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDay
from django.utils import timezone

from core import streams
from marketdata.activity import trade_activity
from marketdata.models import PriceBar, Stock, price_change, price_change_pct

FEATURED = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "TSLA", "META", "AMD", "SPY", "QQQ"]
# A symbol traded this recently counts as "being traded" and is priced before the rest.
TRADED_RECENTLY = timedelta(minutes=15)

INTERVALS: dict[str, timedelta] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
MAX_CANDLES = 1000
PRICE_UNIT = Decimal("0.0001")


def stock_listed(*, symbol: str) -> bool:
    """Whether a stock is listed under exactly `symbol`."""
    return Stock.objects.filter(symbol=symbol).exists()


def stock_search(*, query: str = "") -> QuerySet[Stock]:
    """Stocks whose symbol starts with, or whose name contains, the query."""
    stocks = Stock.objects.all()
    query = query.strip()
    if query:
        stocks = stocks.filter(Q(symbol__istartswith=query) | Q(name__icontains=query))
    return stocks.order_by("symbol")


def stock_by_symbol(symbol: str) -> Stock | None:
    """The stock listed under `symbol` (any case), or None."""
    return Stock.objects.filter(symbol=symbol.upper()).first()


def watched_stock_ids(user) -> list[int]:
    """The stocks of the user's watchlists (trading's /v2 model, looked up by name so that
    marketdata keeps not importing trading)."""
    if not user.is_authenticated:
        return []
    watchlist = apps.get_model("trading", "Watchlist")
    return list(
        watchlist.stocks.through.objects.filter(watchlist__user=user)
        .values_list("stock_id", flat=True)
        .distinct()
    )


def featured_stocks() -> list[Stock]:
    """The well-known names shown at the top of the market page, in a fixed order."""
    by_symbol = {s.symbol: s for s in Stock.objects.filter(symbol__in=FEATURED)}
    return [by_symbol[s] for s in FEATURED if s in by_symbol]


@dataclass(frozen=True)
class Movers:
    """The markets page's movers: today's biggest gains and losses, and the most traded."""

    gainers: list[Stock]
    losers: list[Stock]
    most_active: list[tuple[Stock, int]]  # (stock, shares traded here today)


def market_movers(*, limit: int = 5, now: datetime | None = None) -> Movers:
    """Change since the previous close ranked in the database; volume from today's trades."""
    priced = Stock.objects.filter(
        reference_price__isnull=False, previous_close__gt=0, status="active"
    ).annotate(move=(F("reference_price") - F("previous_close")) / F("previous_close"))
    gainers: list[Stock] = list(priced.filter(move__gt=0).order_by("-move", "symbol")[:limit])
    losers: list[Stock] = list(priced.filter(move__lt=0).order_by("move", "symbol")[:limit])
    traded = trade_activity().ranges(
        stock_ids=list(Stock.objects.values_list("id", flat=True)),
        start=market_day_start(now),
        end=None,
        with_ends=False,
    )
    busiest = sorted(
        ((stock_id, r.volume) for stock_id, r in traded.items() if r.volume),
        key=lambda item: -item[1],
    )[:limit]
    stocks = Stock.objects.in_bulk([stock_id for stock_id, _ in busiest])
    return Movers(gainers, losers, [(stocks[sid], volume) for sid, volume in busiest])


SPARKLINE_SPAN = timedelta(hours=2)


def sparkline_closes(*, stock_ids: list[int], now: datetime | None = None) -> dict[int, list]:
    """Each stock's one-minute reference closes over the last two hours, oldest first, in one
    query (the markets page draws them all without a request per row)."""
    since = (now or timezone.now()) - SPARKLINE_SPAN
    closes: dict[int, list] = {stock_id: [] for stock_id in stock_ids}
    rows = (
        PriceBar.objects.filter(stock_id__in=stock_ids, start__gte=since)
        .order_by("stock_id", "start")
        .values_list("stock_id", "close")
    )
    for stock_id, close in rows:
        closes[stock_id].append(close)
    return closes


# --------------------------------------------------------------------------- the price pull's read
@dataclass(slots=True, eq=False)
class PricedStock:
    """A stock's reference-price fields, without a model instance.

    The price pull reads the whole universe every few seconds: building 7,000 `Stock`
    instances took longer than the query.
    """

    id: int
    symbol: str
    status: str
    reference_price: Decimal | None
    previous_close: Decimal | None
    price_source: str
    price_updated_at: datetime | None
    price_stale: bool
    day: date | None
    day_high: Decimal | None
    day_low: Decimal | None

    @property
    def change(self) -> Decimal | None:
        return price_change(self.reference_price, self.previous_close)

    @property
    def change_pct(self) -> Decimal | None:
        return price_change_pct(self.reference_price, self.previous_close)


PRICED_FIELDS = [field.name for field in fields(PricedStock)]


def priced_stocks() -> list[PricedStock]:
    """Every stock's reference-price fields, in id order, in one query."""
    rows = Stock.objects.order_by("id").values_list(*PRICED_FIELDS)
    if connection.vendor != "postgresql":
        return [PricedStock(*row) for row in rows]
    # Django reads timestamptz through a Python loader of its own (it adjusts the time zone,
    # which is UTC already on our connections); psycopg's own, in C, gives the same aware UTC
    # datetimes in a third of the time. PostgreSQL's other column types need no conversion.
    from psycopg.types.datetime import TimestamptzLoader

    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return [PricedStock(*row) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- pull priorities
def symbols_watched() -> set[str]:
    """Symbols with a live subscriber somewhere, as the streams record them in Redis."""
    return set(streams.watched_symbols())


def symbols_traded(*, since: datetime) -> set[str]:
    """Symbols with open orders, or with trades since `since` (as the trading app knows them)."""
    return trade_activity().symbols_traded(since=since)


# --------------------------------------------------------------------------- day figures
@dataclass(frozen=True)
class DayFigures:
    """The session so far: its price range (trades and reference prices) and traded volume."""

    high: Decimal | None
    low: Decimal | None
    volume: int
    trades: int


def market_day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in the market's time zone (TIME_ZONE)."""
    local = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def day_figures(*, stocks: list[Stock], now: datetime | None = None) -> dict[int, DayFigures]:
    """Today's high, low and volume for each of `stocks`, in one query on trades."""
    start = market_day_start(now)
    today = start.date()
    traded = trade_activity().ranges(
        stock_ids=[s.id for s in stocks], start=start, end=None, with_ends=False
    )
    figures = {}
    for stock in stocks:
        row = traded.get(stock.id)
        highs = [row.high] if row else []
        lows = [row.low] if row else []
        if stock.day == today:
            highs.append(stock.day_high)
            lows.append(stock.day_low)
        highs = [h for h in highs if h is not None]
        lows = [v for v in lows if v is not None]
        figures[stock.id] = DayFigures(
            high=max(highs) if highs else None,
            low=min(lows) if lows else None,
            volume=row.volume if row else 0,
            trades=row.trades if row else 0,
        )
    return figures


# --------------------------------------------------------------------------- candles
@dataclass(frozen=True)
class Candle:
    """One OHLCV bar; `source` says whether trades or, lacking any, reference prices made it."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    trades: int
    source: str
    auction_prints: int = 0  # of `trades`, the auction closes (marked on the chart)


class EpochBucket(Func):
    """The start of the fixed-length period (aligned to the Unix epoch) holding a time, in
    epoch seconds. SQLite and PostgreSQL spell it differently; both read the row's own value,
    so the query still ranges over the (stock, time) index."""

    output_field = BigIntegerField()

    def __init__(self, expression, seconds: int) -> None:
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%s' survives two rounds of %-formatting (the template, then the backend's
        # placeholder conversion) to reach SQLite as strftime('%s'). Only the first 19
        # characters are read: SQLite rounds fractions to milliseconds, so 59.9995 s would
        # land in the next bar.
        template = (
            f"(CAST(STRFTIME('%%%%s', SUBSTR(%(expressions)s, 1, 19)) AS INTEGER)"
            f" / {self.seconds}) * {self.seconds}"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            f"(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / {self.seconds}) * {self.seconds})"
            "::bigint"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def candle_start(moment: datetime, interval: str) -> datetime:
    """The start of the bar of `interval` that holds `moment`."""
    if interval == "1d":
        local = timezone.localtime(moment, timezone.get_default_timezone())
        return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    seconds = int(INTERVALS[interval].total_seconds())
    epoch = int(moment.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(epoch, UTC)


def candle_count(interval: str, start: datetime, end: datetime) -> int:
    """How many bars of `interval` start in [candle_start(start), end)."""
    first = candle_start(start, interval)
    if end <= first:
        return 0
    if interval == "1d":
        days = (timezone.localtime(end, first.tzinfo).date() - first.date()).days
        return days + (1 if candle_start(end, "1d") < end else 0)
    seconds = INTERVALS[interval].total_seconds()
    return int(-(-(end - first).total_seconds() // seconds))


def price(value: Decimal) -> Decimal:
    # SQLite hands aggregates of decimals back through a float: keep the stored 4 places.
    return Decimal(value).quantize(PRICE_UNIT)


def _traded_candle(start: datetime, traded) -> Candle:
    return Candle(
        start=start,
        open=traded.open,
        high=traded.high,
        low=traded.low,
        close=traded.close,
        volume=traded.volume,
        trades=traded.trades,
        source="trades",
        auction_prints=traded.auction_prints,
    )


def bucket(field: str, interval: str):
    if interval == "1d":
        # Days follow the market's calendar, daylight saving included.
        return TruncDay(field, tzinfo=timezone.get_default_timezone())
    return EpochBucket(field, int(INTERVALS[interval].total_seconds()))


def bucket_start(value, interval: str) -> datetime:
    if interval == "1d":
        return value
    return datetime.fromtimestamp(value, UTC)


def candles_for(*, stock: Stock, interval: str, start: datetime, end: datetime) -> list[Candle]:
    """OHLCV bars from our trades, or from reference prices in bars that had no trade.

    Bars start at candle_start(start) and before `end`; periods with neither are left out.
    Trades count to the microsecond; reference prices by their minute. Aggregation happens
    in the database over the (stock, time) indexes, then one more indexed query per source
    fetches each bar's first and last price.
    """
    start = candle_start(start, interval)
    traded = trade_activity().bars(stock_id=stock.id, interval=interval, start=start, end=end)
    bars: dict[datetime, Candle] = {when: _traded_candle(when, r) for when, r in traded.items()}

    # Reference history is kept a bar a minute; every interval is a whole number of minutes
    # aligned the same way, so minute bars fold into the interval's bars exactly.
    reference_rows = list(
        PriceBar.objects.filter(stock=stock, start__gte=start, start__lt=end)
        .annotate(bucket=bucket("start", interval))
        .values("bucket")
        .annotate(high=Max("high"), low=Min("low"), first=Min("start"), last=Max("start"))
        .order_by("bucket")
    )
    untraded = [r for r in reference_rows if bucket_start(r["bucket"], interval) not in bars]
    ends = {
        when: (open_, close)
        for when, open_, close in PriceBar.objects.filter(
            stock=stock, start__in={r["first"] for r in untraded} | {r["last"] for r in untraded}
        ).values_list("start", "open", "close")
    }
    for row in untraded:
        when = bucket_start(row["bucket"], interval)
        bars[when] = Candle(
            start=when,
            open=price(ends[row["first"]][0]),
            high=price(row["high"]),
            low=price(row["low"]),
            close=price(ends[row["last"]][1]),
            volume=0,
            trades=0,
            source="reference",
        )
    return [bars[when] for when in sorted(bars)]


def forming_bars(*, stocks: Sequence[Stock | PricedStock], now: datetime) -> dict[int, Candle]:
    """Each stock's one-minute bar so far (the minute holding `now`), in two queries.

    A minute of trades per stock is a handful of rows, read through the (stock, time) index;
    the reference bar of the minute is one row per stock.
    """
    start = candle_start(now, "1m")
    end = start + INTERVALS["1m"]
    ids = [s.id for s in stocks]
    traded = trade_activity().ranges(stock_ids=ids, start=start, end=end)
    reference = {
        bar.stock_id: bar for bar in PriceBar.objects.filter(stock_id__in=ids, start=start)
    }
    bars = {}
    for stock_id in ids:
        if stock_id in traded:
            bars[stock_id] = _traded_candle(start, traded[stock_id])
        elif stock_id in reference:
            bar = reference[stock_id]
            bars[stock_id] = Candle(
                start=start,
                open=price(bar.open),
                high=price(bar.high),
                low=price(bar.low),
                close=price(bar.close),
                volume=0,
                trades=0,
                source="reference",
            )
    return bars
