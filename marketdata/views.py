"""The market overview page."""

from django.core.paginator import Paginator
from django.shortcuts import render

from marketdata.selectors import featured_stocks, stock_search


def market(request):
    """Home: featured stocks and the searchable list of the whole universe."""
    query = request.GET.get("q", "")[:50]
    page = Paginator(stock_search(query=query), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "marketdata/market.html",
        {"featured": featured_stocks() if not query else [], "page": page, "query": query},
    )
