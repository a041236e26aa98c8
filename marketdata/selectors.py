"""Reads on the stock universe."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marketdata.models import Stock

FEATURED = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "TSLA", "META", "AMD", "SPY", "QQQ"]


def stock_search(*, query: str = "") -> QuerySet[Stock]:
    """Stocks whose symbol starts with, or whose name contains, the query."""
    stocks = Stock.objects.all()
    query = query.strip()
    if query:
        stocks = stocks.filter(Q(symbol__istartswith=query) | Q(name__icontains=query))
    return stocks.order_by("symbol")


def featured_stocks() -> list[Stock]:
    """The well-known names shown at the top of the market page, in a fixed order."""
    by_symbol = {s.symbol: s for s in Stock.objects.filter(symbol__in=FEATURED)}
    return [by_symbol[s] for s in FEATURED if s in by_symbol]
