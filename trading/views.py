"""Trading pages: a stock with its book and order ticket, the portfolio, the order history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.forms import form_add_domain_error
from core.http import safe_next
from marketdata.models import Stock
from trading import selectors, services
from trading.errors import TradingError
from trading.forms import OrderTicketForm
from trading.models import OPEN_STATUSES, Order, Position


def stock_detail(request, symbol: str):
    """A stock's price, live book and trades, and (signed in) the order ticket."""
    stock = get_object_or_404(Stock, symbol=symbol.upper())
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
    context = {
        "stock": stock,
        "form": form,
        "book": selectors.book_snapshot(stock=stock, depth=10),
        "trades": selectors.trades_for_stock(stock=stock, limit=20),
    }
    if request.user.is_authenticated:
        context["position"] = Position.objects.filter(user=request.user, stock=stock).first()
        context["open_orders"] = (
            Order.objects.filter(user=request.user, stock=stock, status__in=OPEN_STATUSES)
            .select_related("stock")
            .order_by("-created_at")
        )
        context["summary"] = selectors.account_summary(user=request.user)
    return render(request, "trading/stock.html", context)


def _order_message(order: Order) -> str:
    what = f"{order.side.title()} {order.qty} {order.stock.symbol}"
    if order.status == "filled":
        assert order.filled_avg_price is not None  # set by every fill
        return f"{what}: filled at an average {order.filled_avg_price.normalize():f}."
    if order.status == "partially_filled":
        return f"{what}: {order.filled_qty} filled, the rest rests on the book."
    if order.status == "canceled":
        return f"{what}: {order.filled_qty} filled, the rest was cancelled ({order.reason.replace('_', ' ')})."
    return f"{what}: placed on the book."


@login_required
def portfolio(request):
    """Cash, buying power, positions and open orders."""
    summary = selectors.account_summary(user=request.user)
    open_orders = selectors.orders_for(user=request.user, status="open", limit=200)
    return render(
        request, "trading/portfolio.html", {"summary": summary, "open_orders": open_orders}
    )


@login_required
def order_history(request):
    """Every order of the user, newest first."""
    orders = Order.objects.filter(user=request.user).select_related("stock").order_by("-created_at")
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(request, "trading/orders.html", {"page": page})


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
            request, f"Order to {order.side} {order.qty} {order.stock.symbol} cancelled."
        )
    return redirect(safe_next(request, reverse("portfolio")))
