"""Alpaca's market-data shapes, read from our own trades, book and reference prices.

Shared by the REST data API (`alpaca_adapter.apis.market_data`) and the data stream
(`alpaca_adapter.streams.market_data`), so a bar, a trade or a quote looks the same on both.

- A **trade** is one of our executions: `i` its per-symbol sequence, `x` "D" (FINRA ADF, where
  off-exchange trades are reported: ours happen between this exchange's users, off any listed
  venue), `c` ["@"] (a regular sale).
- A **quote** is the top of our order book: best bid and ask with their total shares; an empty
  side is 0 at 0, as Alpaca writes it.
- A **bar** is a candle of `marketdata.selectors.candles_for` (our trades, or reference prices
  in a bar nobody traded; such a bar has `v` 0, `n` 0 and `vw` null), folded into the asked
  timeframe; `vw` is the volume-weighted price of the bar's trades.

Prices are kept as Decimals and become JSON (or msgpack) numbers only on the wire, as Alpaca
sends them; times are RFC 3339 in UTC with a `Z`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from core.times import rfc3339
from marketdata.models import PriceBar, Stock
from marketdata.selectors import Candle, bucket, bucket_start, candles_for, price
from trading.errors import TradingError
from trading.models import BookLevel, Trade

EXCHANGE = "D"
TRADE_CONDITIONS = ["@"]
QUOTE_CONDITIONS = ["R"]

_TIMEFRAME = re.compile(r"^(\d{1,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNITS = {
    "Min": "Min",
    "T": "Min",
    "Hour": "Hour",
    "H": "Hour",
    "Day": "Day",
    "D": "Day",
    "Week": "Week",
    "W": "Week",
    "Month": "Month",
    "M": "Month",
}


def _market_tz():
    return timezone.get_default_timezone()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_market_tz())


@dataclass(frozen=True)
class TimeFrame:
    """An Alpaca timeframe (`1Min`, `15Min`, `1Hour`, `1Day`, `1Week`, `3Month`, ...).

    Minute and hour bars are aligned to the Unix epoch (so 15Min bars start at :00, :15, ...);
    days start at midnight in TIME_ZONE (the market's), weeks on Monday, months on the 1st.
    """

    amount: int
    unit: str

    @classmethod
    def parse(cls, raw: object) -> TimeFrame:
        match = _TIMEFRAME.match(str(raw or "").strip())
        if match is None:
            raise _invalid("timeframe", f"invalid timeframe: {raw!r}")
        amount, unit = int(match[1]), _UNITS[match[2]]
        allowed = {
            "Min": range(1, 60),
            "Hour": range(1, 24),
            "Day": (1,),
            "Week": (1,),
            "Month": (1, 2, 3, 4, 6, 12),
        }[unit]
        if amount not in allowed:
            raise _invalid("timeframe", f"invalid timeframe: {raw!r}")
        return cls(amount, unit)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def base(self) -> str:
        """The `candles_for` interval whose bars fold exactly into this timeframe's."""
        if self.unit == "Min":
            return "5m" if self.amount % 5 == 0 else "1m"
        if self.unit == "Hour":
            return "1h"
        return "1d"

    @property
    def approx(self) -> timedelta:
        """At least one bar's length (months counted as 31 days)."""
        return {
            "Min": timedelta(minutes=self.amount),
            "Hour": timedelta(hours=self.amount),
            "Day": timedelta(days=1),
            "Week": timedelta(days=7),
            "Month": timedelta(days=31 * self.amount),
        }[self.unit]

    def start_of(self, moment: datetime) -> datetime:
        """The start of the bar holding `moment`."""
        if self.unit in ("Min", "Hour"):
            seconds = int(self.approx.total_seconds())
            return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)
        day = timezone.localtime(moment, _market_tz()).date()
        if self.unit == "Week":
            day -= timedelta(days=day.weekday())
        elif self.unit == "Month":
            day = date(day.year, (day.month - 1) // self.amount * self.amount + 1, 1)
        return _local_midnight(day)

    def after(self, start: datetime) -> datetime:
        """The start of the bar after the one starting at `start`."""
        if self.unit in ("Min", "Hour"):
            return start + self.approx
        day = timezone.localtime(start, _market_tz()).date()
        if self.unit == "Day":
            return _local_midnight(day + timedelta(days=1))
        if self.unit == "Week":
            return _local_midnight(day + timedelta(days=7))
        months = day.year * 12 + day.month - 1 + self.amount
        return _local_midnight(date(months // 12, months % 12 + 1, 1))


MINUTE = TimeFrame(1, "Min")
DAY = TimeFrame(1, "Day")


def _invalid(name: str, message: str) -> TradingError:
    return TradingError(f"invalid_{name}", message, fields={name: [message]})


@dataclass(frozen=True)
class Bar:
    """One bar in a timeframe: OHLCV, the number of trades and their volume-weighted price."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    trades: int
    vwap: Decimal | None


# --------------------------------------------------------------------------- reads
DataRange = tuple[datetime, datetime] | None
# "Not read yet" for a data range a caller may pass in (None means the stock has no data).
_UNREAD: Any = object()


def data_range(stock: Stock) -> tuple[datetime, datetime] | None:
    """The first and last moment anything priced the stock (a trade or a reference bar)."""
    trades = Trade.objects.filter(stock=stock).order_by("executed_at")
    bars = PriceBar.objects.filter(stock=stock).order_by("start")
    firsts = [
        t
        for t in (
            trades.values_list("executed_at", flat=True).first(),
            bars.values_list("start", flat=True).first(),
        )
        if t is not None
    ]
    if not firsts:
        return None
    lasts = [
        t
        for t in (
            trades.reverse().values_list("executed_at", flat=True).first(),
            bars.reverse().values_list("start", flat=True).first(),
        )
        if t is not None
    ]
    return min(firsts), max(lasts)


def _vwaps(stock: Stock, interval: str, start: datetime, end: datetime) -> dict[datetime, tuple]:
    """{base bar start: (traded value, volume)} of the trades in [start, end)."""
    notional = ExpressionWrapper(
        F("price") * F("qty"), output_field=DecimalField(max_digits=30, decimal_places=4)
    )
    rows = (
        Trade.objects.filter(stock=stock, executed_at__gte=start, executed_at__lt=end)
        .annotate(bucket=bucket("executed_at", interval))
        .values("bucket")
        .annotate(value=Sum(notional), volume=Sum("qty"))
        .order_by()
    )
    return {
        bucket_start(r["bucket"], interval): (Decimal(r["value"]), int(r["volume"])) for r in rows
    }


def bars_between(stock: Stock, frame: TimeFrame, start: datetime, end: datetime) -> list[Bar]:
    """The bars of `frame` starting in [start, end), oldest first; both are bar starts."""
    base: list[Candle] = candles_for(stock=stock, interval=frame.base, start=start, end=end)
    if not base:
        return []
    vwaps = _vwaps(stock, frame.base, start, end)
    groups: dict[datetime, list[Candle]] = {}
    for candle in base:
        groups.setdefault(frame.start_of(candle.start), []).append(candle)
    bars = []
    for when, parts in groups.items():
        value = sum((vwaps[p.start][0] for p in parts if p.start in vwaps), Decimal(0))
        volume = sum(vwaps[p.start][1] for p in parts if p.start in vwaps)
        bars.append(
            Bar(
                start=when,
                open=parts[0].open,
                high=max(p.high for p in parts),
                low=min(p.low for p in parts),
                close=parts[-1].close,
                volume=sum(p.volume for p in parts),
                trades=sum(p.trades for p in parts),
                vwap=price(value / volume) if volume else None,
            )
        )
    return bars


def bars_page(
    stock: Stock,
    frame: TimeFrame,
    *,
    start: datetime,
    end: datetime,
    limit: int,
    descending: bool = False,
    found: DataRange = _UNREAD,
) -> tuple[list[Bar], datetime | None]:
    """Up to `limit` bars starting in [start, end) (bar starts), and where the next page starts.

    Read a window of about `limit` bars at a time, so a long range costs what its data costs,
    not what its length does; the range is first narrowed to where the stock has any data
    (`found`: the stock's data_range when the caller has read it already).
    """
    if found is _UNREAD:
        found = data_range(stock)
    if found is None:
        return [], None
    start = max(start, frame.start_of(found[0]))
    end = min(end, frame.after(frame.start_of(found[1])))
    bars: list[Bar] = []
    low, high = start, end
    while low < high and len(bars) <= limit:
        # Never more than the range: 10,000 12-month bars would overflow a datetime.
        span = min(frame.approx * (limit + 1 - len(bars)), high - low)
        if descending:
            edge = max(low, frame.start_of(high - span))
            if edge >= high:
                edge = frame.start_of(high - timedelta(microseconds=1))
            bars.extend(reversed(bars_between(stock, frame, edge, high)))
            high = edge
        else:
            edge = min(high, frame.start_of(low + span))
            if edge <= low:
                edge = frame.after(low)
            bars.extend(bars_between(stock, frame, low, edge))
            low = edge
    if len(bars) > limit:
        return bars[:limit], bars[limit].start
    return bars, None


def latest_bars(
    stock: Stock, frame: TimeFrame, count: int = 1, found: DataRange = _UNREAD
) -> list[Bar]:
    """The stock's latest `count` bars of `frame`, newest first, in one read."""
    if found is _UNREAD:
        found = data_range(stock)
    if found is None:
        return []
    last = frame.start_of(found[1])
    bars, _ = bars_page(
        stock,
        frame,
        start=frame.start_of(last - frame.approx * (count + 9)),
        end=frame.after(last),
        limit=count,
        descending=True,
        found=found,
    )
    return bars


def latest_bar(
    stock: Stock,
    frame: TimeFrame,
    before: int = 0,
    found: DataRange = _UNREAD,
) -> Bar | None:
    """The stock's latest bar of `frame` (or the `before`-th one before it)."""
    bars = latest_bars(stock, frame, before + 1, found)
    return bars[before] if len(bars) > before else None


def trades_page(
    stock: Stock,
    *,
    start: datetime,
    end: datetime | None,
    limit: int,
    descending: bool = False,
    after_seq: int | None = None,
) -> tuple[list[Trade], int | None]:
    """Up to `limit` trades executed in [start, end], and the sequence the next page starts at."""
    trades = Trade.objects.filter(stock=stock, executed_at__gte=start)
    if end is not None:
        trades = trades.filter(executed_at__lte=end)
    if after_seq is not None:
        trades = (
            trades.filter(seq__lte=after_seq) if descending else trades.filter(seq__gte=after_seq)
        )
    rows = list(trades.order_by("-seq" if descending else "seq")[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit].seq
    return rows, None


def latest_trade(stock: Stock) -> Trade | None:
    return Trade.objects.filter(stock=stock).order_by("-seq").first()


@dataclass(frozen=True)
class TopOfBook:
    """The best bid and ask of our book, with the shares resting at each (0 at 0 when empty)."""

    bid_price: Decimal
    bid_size: int
    ask_price: Decimal
    ask_size: int


def top_of_book(stock: Stock | int) -> TopOfBook:
    stock_id = stock if isinstance(stock, int) else stock.pk
    levels = BookLevel.objects.filter(stock_id=stock_id, qty__gt=0)
    bid = levels.filter(side="buy").order_by("-price").values_list("price", "qty").first()
    ask = levels.filter(side="sell").order_by("price").values_list("price", "qty").first()
    bid_price, bid_size = bid or (Decimal(0), 0)
    ask_price, ask_size = ask or (Decimal(0), 0)
    return TopOfBook(bid_price, int(bid_size), ask_price, int(ask_size))


# --------------------------------------------------------------------------- wire shapes
def listed_symbols(symbols: set[str]) -> set[str]:
    """Those of `symbols` that are stocks here."""
    if not symbols:
        return set()
    return set(Stock.objects.filter(symbol__in=symbols).values_list("symbol", flat=True))


def top_of_book_for(symbol: str) -> TopOfBook | None:
    """A symbol's best bid and ask; None for a symbol that is not a stock here."""
    stock_id = Stock.objects.filter(symbol=symbol).values_list("pk", flat=True).first()
    return None if stock_id is None else top_of_book(stock_id)


def minute_and_day_bars(symbol: str, minute: datetime) -> tuple[Bar | None, Bar | None]:
    """The minute's bar and, when there is one, the day's bar so far."""
    stock = Stock.objects.filter(symbol=symbol).first()
    if stock is None:
        return None, None
    bars = bars_between(stock, MINUTE, minute, minute + timedelta(minutes=1))
    if not bars:
        return None, None
    day = DAY.start_of(minute)
    daily = bars_between(stock, DAY, day, DAY.after(day))
    return bars[0], (daily[0] if daily else None)


def _number(value: Decimal | None) -> float | None:
    # Alpaca sends prices as JSON numbers; a float prints the shortest decimal that reads
    # back as itself, so a 4-place price goes out with the digits it has.
    return None if value is None else float(value)


def bar_json(bar: Bar) -> dict[str, Any]:
    return {
        "t": rfc3339(bar.start.astimezone(UTC)),
        "o": _number(bar.open),
        "h": _number(bar.high),
        "l": _number(bar.low),
        "c": _number(bar.close),
        "v": bar.volume,
        "n": bar.trades,
        "vw": _number(bar.vwap),
    }


def trade_wire(*, seq: int, price: Decimal | str, qty: int | str, moment: Any) -> dict[str, Any]:
    """A trade as Alpaca writes it; `moment` is a datetime (REST) or whatever the stream wants."""
    return {
        "t": moment,
        "x": EXCHANGE,
        "p": _number(Decimal(price)),
        "s": int(qty),
        "c": TRADE_CONDITIONS,
        "i": seq,
    }


def trade_json(trade: Trade) -> dict[str, Any]:
    return trade_wire(
        seq=trade.seq, price=trade.price, qty=trade.qty, moment=rfc3339(trade.executed_at)
    )


def quote_wire(top: TopOfBook, moment: Any) -> dict[str, Any]:
    return {
        "t": moment,
        "bx": EXCHANGE,
        "bp": _number(top.bid_price),
        "bs": top.bid_size,
        "ax": EXCHANGE,
        "ap": _number(top.ask_price),
        "as": top.ask_size,
        "c": QUOTE_CONDITIONS,
    }


def snapshot_json(stock: Stock, now: datetime) -> dict[str, Any]:
    """Latest trade, the book's quote now, the latest minute bar, the latest two daily bars."""
    trade = latest_trade(stock)
    found = data_range(stock)  # read once for the three bars
    minute = latest_bar(stock, MINUTE, found=found)
    days = latest_bars(stock, DAY, 2, found=found)  # today's and the one before, in one read
    daily = days[0] if days else None
    previous = days[1] if len(days) > 1 else None
    return {
        "latestTrade": None if trade is None else trade_json(trade),
        "latestQuote": quote_wire(top_of_book(stock), rfc3339(now)),
        "minuteBar": None if minute is None else bar_json(minute),
        "dailyBar": None if daily is None else bar_json(daily),
        "prevDailyBar": None if previous is None else bar_json(previous),
    }
