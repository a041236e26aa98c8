"""The market overview page."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render

from marketdata.selectors import (
    day_figures,
    featured_stocks,
    market_movers,
    sparkline_closes,
    stock_search,
    watched_stock_ids,
)

SPARK_WIDTH, SPARK_HEIGHT = 100, 24


def sparkline(closes: list) -> dict | None:
    """The SVG path through `closes` in a 100 × 24 box, and whether the line ends up or down
    (drawn by the server: the page asks nothing per row)."""
    if not closes:
        return None
    values = [float(c) for c in closes]
    if len(values) == 1:
        values = values * 2  # one bar so far: a flat line
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / (len(values) - 1)
    points = []
    for i, value in enumerate(values):
        y = SPARK_HEIGHT / 2 if high == low else SPARK_HEIGHT - (value - low) / span * 22 - 1
        points.append(f"{'L' if i else 'M'}{i * step:.1f} {y:.1f}")
    return {"path": " ".join(points), "up": values[-1] >= values[0]}


def market(request):
    """Home: your watchlist, featured stocks and the searchable universe, with today's figures."""
    query = request.GET.get("q", "")[:50]
    page = Paginator(stock_search(query=query), 50).get_page(request.GET.get("page"))
    watched_ids = watched_stock_ids(request.user)
    watched = list(stock_search().filter(id__in=watched_ids)) if watched_ids and not query else []
    featured = [s for s in featured_stocks() if s.id not in watched_ids] if not query else []
    shown = [*watched, *featured, *page]
    figures = day_figures(stocks=shown)
    lines = sparkline_closes(stock_ids=[s.id for s in page])
    for stock in shown:
        stock.today = figures[stock.id]
        stock.watched = stock.id in watched_ids
        stock.sparkline = sparkline(lines.get(stock.id, []))
    return render(
        request,
        "marketdata/market.html",
        {
            "watched": watched,
            "featured": featured,
            "page": page,
            "query": query,
            "movers": None if query else market_movers(),
        },
    )


SUGGESTIONS = 8


def stock_suggest(request):
    """Type-ahead for the search box: the first stocks whose symbol starts with, or whose name
    contains, what was typed (a page's own request, not the API's: no key, no rate limit)."""
    query = request.GET.get("q", "").strip()[:50]
    stocks = stock_search(query=query)[:SUGGESTIONS] if query else []
    return JsonResponse({"results": [{"symbol": s.symbol, "name": s.name} for s in stocks]})
