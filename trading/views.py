"""Trading pages: a stock with its book and order ticket, the portfolio, the order history."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import words
from core.forms import form_add_domain_error
from core.http import safe_next
from marketdata import calendar
from marketdata.selectors import stock_by_symbol
from trading import account_history, selectors, services
from trading.errors import TradingError
from trading.forms import OrderTicketForm
from trading.models import Order
from trading.services.watchlists import watchlist_toggle


def stock_detail(request, symbol: str):
    """A stock's price, live book and trades, and (signed in) the order ticket."""
    stock = stock_by_symbol(symbol)
    if stock is None:
        # Rendered here rather than raised, so `make run` (DEBUG) shows the product's page too.
        return render(request, "404.html", {"missing": symbol.upper()}, status=404)
    form = OrderTicketForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        if form.is_valid():
            try:
                order = services.order_place(
                    user=request.user, symbol=stock.symbol, **form.cleaned_data
                )
            except TradingError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _order_message(order))
                return redirect("stock", symbol=stock.symbol)
    book = selectors.book_snapshot(stock=stock, depth=10)
    if settings.DEMO_MARKET_MAKER and not (book["bids"] and book["asks"]):
        # The demo's maker quotes any stock someone opens: its ladder arrives over the stream.
        from trading.tasks import open_demo_market

        open_demo_market.delay(stock.symbol)
    state = selectors.book_state(stock=stock)
    context = {
        "stock": stock,
        "form": form,
        "book": book,
        "best_bid": book["bids"][0]["price"] if book["bids"] else None,
        "best_ask": book["asks"][0]["price"] if book["asks"] else None,
        "last_price": state.last_price if state else None,
        "last_trade_at": state.last_trade_at if state else None,
        "trades": selectors.trades_for_stock(stock=stock, limit=20),
        "market_open": calendar.clock(timezone.now()).is_open,
        "taker_fee_bps": settings.TRADING_TAKER_FEE_BPS,
    }
    if request.user.is_authenticated:
        context["position"] = selectors.position_in(user=request.user, stock=stock)
        context["open_orders"] = selectors.open_orders_in(user=request.user, stock=stock)
        context["summary"] = selectors.account_summary(user=request.user)
    return render(request, "trading/stock.html", context)


def _order_message(order: Order) -> str:
    what = f"{order.side.title()} {order.qty} {order.stock.symbol}"
    if order.status == "filled":
        assert order.filled_avg_price is not None  # set by every fill
        average = words.price(order.filled_avg_price, order.stock.tick_size)
        return f"{what}: filled at an average {average}."
    if order.status == "partially_filled":
        return f"{what}: {order.filled_qty} filled, the rest rests on the book."
    if order.status == "canceled":
        return f"{what}: {order.filled_qty} filled, the rest was canceled ({order.reason_words})."
    return f"{what}: placed on the book."


@login_required
def portfolio(request):
    """Cash, buying power, positions and open orders."""
    summary = selectors.account_summary(user=request.user)
    open_orders = selectors.orders_for(user=request.user, status="open", limit=200)
    priced_at_reference = any(v.price_source == "reference" for v in summary["positions"])
    return render(
        request,
        "trading/portfolio.html",
        {
            "summary": summary,
            "open_orders": open_orders,
            "priced_at_reference": priced_at_reference,
        },
    )


@login_required
def portfolio_summary(request):
    """The portfolio's figures and positions as the page shows them: the page swaps them in
    when its private stream says one of the user's orders filled (no reload, nothing stale)."""
    summary = selectors.account_summary(user=request.user)
    priced_at_reference = any(v.price_source == "reference" for v in summary["positions"])
    context = {"summary": summary, "priced_at_reference": priced_at_reference}
    return render(request, "trading/_portfolio_live.html", context)


@login_required
def portfolio_equity(request):
    """The equity curve's points for the portfolio chart (the browser's session only)."""
    points = account_history.equity_history(user=request.user)
    return JsonResponse(
        {"points": [{"time": p["time"].isoformat(), "equity": str(p["equity"])} for p in points]}
    )


@login_required
def activity(request):
    """The user's fills and cash movements, newest first."""
    rows = account_history.activity_for(user=request.user, limit=300)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "trading/activity.html", {"page": page})


@login_required
@require_POST
def watch_toggle(request, symbol: str):
    """Star or unstar a stock in the user's primary watchlist (the /v2 watchlists' model)."""
    stock = stock_by_symbol(symbol)
    if stock is None:
        return JsonResponse({"code": "not_found", "message": "No such stock."}, status=404)
    watching = watchlist_toggle(user=request.user, stock=stock)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"symbol": stock.symbol, "watching": watching})
    return redirect(safe_next(request, reverse("home")))


@login_required
def order_history(request):
    """Every order of the user, newest first, filtered by status, symbol and side."""
    status = request.GET.get("status", "all")
    side = request.GET.get("side", "")
    symbol = request.GET.get("symbol", "").strip().upper()[:12]
    orders = selectors.orders_for(
        user=request.user,
        status=status if status in ("open", "closed") else "all",
        side=side if side in ("buy", "sell") else None,
        symbols=[symbol] if symbol else None,
        limit=None,
    )
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trading/orders.html",
        {
            "page": page,
            "filters": {"status": status, "side": side, "symbol": symbol},
            "query": query.urlencode(),
        },
    )


@login_required
@require_POST
def order_cancel_view(request, order_id):
    """Cancel one open order from a page."""
    try:
        order = services.order_cancel(user=request.user, order_id=order_id)
    except TradingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Order to {order.side} {order.qty} {order.stock.symbol} canceled."
        )
    return redirect(safe_next(request, reverse("portfolio")))
