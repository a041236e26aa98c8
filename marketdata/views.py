"""The market overview page."""

from django.apps import apps
from django.core.paginator import Paginator
from django.shortcuts import render

from marketdata.selectors import day_figures, featured_stocks, stock_search


def _watched_ids(user) -> list[int]:
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


def market(request):
    """Home: your watchlist, featured stocks and the searchable universe, with today's figures."""
    query = request.GET.get("q", "")[:50]
    page = Paginator(stock_search(query=query), 50).get_page(request.GET.get("page"))
    watched_ids = _watched_ids(request.user)
    watched = list(stock_search().filter(id__in=watched_ids)) if watched_ids and not query else []
    featured = [s for s in featured_stocks() if s.id not in watched_ids] if not query else []
    shown = [*watched, *featured, *page]
    figures = day_figures(stocks=shown)
    for stock in shown:
        stock.today = figures[stock.id]
        stock.watched = stock.id in watched_ids
    return render(
        request,
        "marketdata/market.html",
        {"watched": watched, "featured": featured, "page": page, "query": query},
    )
