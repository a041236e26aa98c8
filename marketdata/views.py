"""The market overview page."""

from django.core.paginator import Paginator
from django.shortcuts import render

from marketdata.selectors import day_figures, featured_stocks, stock_search


def market(request):
    """Home: featured stocks and the searchable list of the whole universe, with today's figures."""
    query = request.GET.get("q", "")[:50]
    page = Paginator(stock_search(query=query), 50).get_page(request.GET.get("page"))
    featured = featured_stocks() if not query else []
    shown = [*featured, *page]
    figures = day_figures(stocks=shown)
    for stock in shown:
        stock.today = figures[stock.id]
    return render(
        request,
        "marketdata/market.html",
        {"featured": featured, "page": page, "query": query},
    )
