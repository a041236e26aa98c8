"""`/api/v2/stocks/...`: Alpaca's market-data API, for alpaca-py's `StockHistoricalDataClient`.

`StockHistoricalDataClient(key, secret, url_override="http://HOST/api")` calls the
multi-symbol paths (`stocks/bars`, `stocks/trades/latest`, `stocks/quotes/latest`,
`stocks/bars/latest`, `stocks/snapshots`, `stocks/trades`); each has its one-symbol form
(`stocks/{symbol}/bars`, ...). Answers are in Alpaca's data shapes (`alpaca_adapter.market_data`),
paged with `limit` and an opaque `next_page_token` across symbols, sorted by symbol and then
by time. Unknown symbols are left out of a multi-symbol answer and are a 404 on their own path,
as on Alpaca. Historical quotes are not kept (the book is live state): `stocks/quotes` is a 422.
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from alpaca_adapter import market_data as market
from alpaca_adapter import selectors
from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.parsing import invalid
from core.times import parse_count, parse_moment, rfc3339
from marketdata.models import Stock
from marketdata.selectors import market_day_start
from trading.errors import TradingError

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MAX_SYMBOLS = 200
FEEDS = ("iex", "sip", "delayed_sip", "otc", "boats", "overnight")
ADJUSTMENTS = ("raw", "split", "dividend", "spin-off", "all")


def _symbols(query, symbol: str | None = None) -> list[str]:
    if symbol is not None:
        return [symbol.strip().upper()]
    raw = str(query.get("symbols") or "")
    symbols = sorted({s.strip().upper() for s in raw.split(",") if s.strip()})
    if not symbols:
        raise invalid("symbols", "symbols is required")
    if len(symbols) > MAX_SYMBOLS:
        raise invalid("symbols", f"at most {MAX_SYMBOLS} symbols per request")
    return symbols


def _stocks(symbols: list[str], single: bool) -> dict[str, Stock]:
    found = selectors.stocks_by_symbol(symbols)
    if single and not found:
        raise TradingError("not_found", f"no stock {symbols[0]!r}")
    return found


def _check_common(query) -> None:
    feed = query.get("feed")
    if feed not in (None, "") and feed not in FEEDS:
        raise invalid("feed", f"invalid feed: {feed!r}")
    adjustment = query.get("adjustment")
    if adjustment not in (None, "") and adjustment not in ADJUSTMENTS:
        raise invalid("adjustment", f"invalid adjustment: {adjustment!r}")
    currency = query.get("currency")
    if currency not in (None, "", "USD"):
        raise TradingError(
            "unsupported_currency",
            "only USD prices are available on this exchange",
            fields={"currency": ["Only USD."]},
        )


def _moment(raw, name: str) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        return parse_moment(raw)
    except ValueError:
        raise invalid(
            name, f"{name} must be an RFC 3339 time or a date between 1970 and 2200"
        ) from None


def _limit(query) -> int:
    raw = query.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        return parse_count(raw, low=1, high=MAX_LIMIT)
    except ValueError:
        raise invalid("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}") from None


def _descending(query) -> bool:
    sort = query.get("sort") or "asc"
    if sort not in ("asc", "desc"):
        raise invalid("sort", f"invalid sort: {sort!r}")
    return sort == "desc"


def _range(query) -> tuple[datetime, datetime]:
    """`start` (default: today's midnight, market time) and `end` (default: now), inclusive."""
    now = timezone.now()
    start = _moment(query.get("start"), "start") or market_day_start(now)
    end = _moment(query.get("end"), "end") or now
    if end < start:
        raise invalid("end", "end must not be before start")
    return start, end


# A page token names the symbol and the position in it where the next page starts.
def _token(symbol: str, position: str) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{position}".encode()).decode()


def _untoken(raw) -> tuple[str, str] | None:
    if raw in (None, ""):
        return None
    try:
        symbol, position = base64.urlsafe_b64decode(str(raw)).decode().split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("page_token", "invalid page_token") from None
    return symbol, position


def _paged(symbols, stocks, token, limit: int, page_of) -> tuple[dict[str, list], str | None]:
    """Fill one page from the symbols in order; `page_of(stock, position, room)` reads one."""
    out: dict[str, list] = {}
    start_symbol, position = token if token else (symbols[0], "")
    room = limit
    todo = [s for s in symbols if s >= start_symbol and s in stocks]
    for i, symbol in enumerate(todo):
        items, next_position = page_of(
            stocks[symbol], position if symbol == start_symbol else "", room
        )
        if items:
            out[symbol] = items
        room -= len(items)
        if next_position is not None:
            return out, _token(symbol, next_position)
        if room == 0:
            rest = todo[i + 1 :]
            return out, (_token(rest[0], "") if rest else None)
    return out, None


class DataApi(AlpacaApi):
    """A market-data view; `symbol` is set on the one-symbol paths."""

    key = ""

    def answer(self, data: dict, symbol: str | None, token: str | None = None, **extra) -> Response:
        if symbol is not None:
            body = {self.key: data.get(symbol.upper(), [] if self.key.endswith("s") else None)}
            return Response({**body, "symbol": symbol.upper(), "next_page_token": token, **extra})
        return Response({self.key: data, "next_page_token": token, **extra})


class BarsApi(DataApi):
    key = "bars"

    def get(self, request, symbol: str | None = None):
        query = request.query_params
        _check_common(query)
        symbols = _symbols(query, symbol)
        frame = market.TimeFrame.parse(query.get("timeframe"))
        start, end = _range(query)
        limit, descending = _limit(query), _descending(query)
        stocks = _stocks(symbols, symbol is not None)
        first, last = frame.start_of(start), frame.after(frame.start_of(end))
        if first < start:
            first = frame.after(first)  # bars starting at or after `start`

        def page_of(stock, position, room):
            low, high = first, last
            if position:
                at = parse_moment(position)  # ValueError: the token was not ours
                low, high = (low, frame.after(at)) if descending else (at, high)
            bars, more = market.bars_page(
                stock, frame, start=low, end=high, limit=room, descending=descending
            )
            return [market.bar_json(b) for b in bars], None if more is None else more.isoformat()

        try:
            data, token = _paged(symbols, stocks, _untoken(query.get("page_token")), limit, page_of)
        except ValueError:
            raise invalid("page_token", "invalid page_token") from None
        return self.answer(data, symbol, token)


class TradesApi(DataApi):
    key = "trades"

    def get(self, request, symbol: str | None = None):
        query = request.query_params
        _check_common(query)
        symbols = _symbols(query, symbol)
        start, end = _range(query)
        limit, descending = _limit(query), _descending(query)
        stocks = _stocks(symbols, symbol is not None)

        def page_of(stock, position, room):
            trades, more = market.trades_page(
                stock,
                start=start,
                end=end,
                limit=room,
                descending=descending,
                after_seq=int(position) if position else None,
            )
            return [market.trade_json(t) for t in trades], None if more is None else str(more)

        try:
            data, token = _paged(symbols, stocks, _untoken(query.get("page_token")), limit, page_of)
        except ValueError:
            raise invalid("page_token", "invalid page_token") from None
        return self.answer(data, symbol, token)


class QuotesApi(DataApi):
    def get(self, request, symbol: str | None = None):
        raise TradingError(
            "unsupported_quote_history",
            "quote history is not kept on this exchange: use quotes/latest or the data stream",
        )


def _within_budget(items, started: float):
    """Yield `items` while the request has server time left (READ_BUDGET_MS); past it the
    request is refused whole (422 `request_too_large`), never answered in part."""
    budget = settings.READ_BUDGET_MS / 1000
    for item in items:
        if time.monotonic() - started > budget:
            raise TradingError(
                "request_too_large",
                f"This request would take more than {settings.READ_BUDGET_MS} ms of server "
                "time: ask for fewer symbols at once.",
                fields={"symbols": ["Too many for one request."]},
            )
        yield item


class LatestApi(DataApi):
    """`.../latest`: one item per symbol, the unknown and the never-traded left out."""

    def item(self, stock: Stock, now: datetime) -> dict | None:
        raise NotImplementedError

    def get(self, request, symbol: str | None = None):
        query = request.query_params
        _check_common(query)
        symbols = _symbols(query, symbol)
        stocks = _stocks(symbols, symbol is not None)
        now, started = timezone.now(), time.monotonic()
        data = {}
        for name in _within_budget(symbols, started):
            if name in stocks:
                item = self.item(stocks[name], now)
                if item is not None:
                    data[name] = item
        if symbol is not None:
            if not data:
                raise TradingError("not_found", f"no {self.key} for {symbols[0]!r} yet")
            return Response({"symbol": symbols[0], self.key: data[symbols[0]]})
        return Response({f"{self.key}s": data})


class LatestTradeApi(LatestApi):
    key = "trade"

    def item(self, stock, now):
        trade = market.latest_trade(stock)
        return None if trade is None else market.trade_json(trade)


class LatestQuoteApi(LatestApi):
    key = "quote"

    def item(self, stock, now):
        # The book is live state: its quote is as of the answer.
        return market.quote_wire(market.top_of_book(stock), rfc3339(now))


class LatestBarApi(LatestApi):
    key = "bar"

    def item(self, stock, now):
        bar = market.latest_bar(stock, market.MINUTE)
        return None if bar is None else market.bar_json(bar)


class SnapshotsApi(DataApi):
    def get(self, request, symbol: str | None = None):
        query = request.query_params
        _check_common(query)
        symbols = _symbols(query, symbol)
        stocks = _stocks(symbols, symbol is not None)
        now, started = timezone.now(), time.monotonic()
        data = {
            s: market.snapshot_json(stocks[s], now)
            for s in _within_budget(symbols, started)
            if s in stocks
        }
        if symbol is not None:
            return Response({"symbol": symbols[0], **data[symbols[0]]})
        return Response(data)
