"""Pages for price alerts and the notification list (the same services as /api/v1/alerts)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import form_add_domain_error
from core.http import safe_next
from trading.alerts import selectors, services
from trading.alerts.models import PriceAlert
from trading.errors import TradingError


class AlertForm(forms.Form):
    symbol = forms.CharField(max_length=12, label="Stock")
    direction = forms.ChoiceField(
        choices=[("above", "Price rises to"), ("below", "Price falls to")], label="When"
    )
    level = forms.CharField(
        max_length=32,
        label="Level ($)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _alert_words(alert: PriceAlert) -> str:
    return f"{alert.stock.symbol} is {alert.get_direction_display()} ${alert.level:,.2f}"


@login_required
def alerts_page(request):
    """The user's price alerts, a form to set one; a POST (here or from a stock page) sets it."""
    form = AlertForm(request.POST or None, initial={"symbol": request.GET.get("symbol", "")})
    if request.method == "POST":
        if form.is_valid():
            try:
                alert = services.price_alert_create(user=request.user, **form.cleaned_data)
            except TradingError as exc:
                if request.POST.get("next"):
                    messages.error(request, exc.message)
                    return redirect(safe_next(request, "/alerts/"))
                form_add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"Alert set: you will be told when {_alert_words(alert)}."
                )
                return redirect(safe_next(request, "/alerts/"))
        elif request.POST.get("next"):
            messages.error(request, "Give the alert a level, as a price.")
            return redirect(safe_next(request, "/alerts/"))
    rows = selectors.alerts_for(user=request.user)
    return render(
        request,
        "trading/alerts.html",
        {
            "form": form,
            "armed": [a for a in rows if a.fired_at is None],
            "fired": [a for a in rows if a.fired_at is not None],
        },
    )


@login_required
@require_POST
def alert_delete(request, alert_id: int):
    try:
        services.price_alert_delete(user=request.user, alert_id=alert_id)
    except TradingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Alert deleted.")
    return redirect(safe_next(request, "/alerts/"))


@login_required
def notifications_page(request):
    """The user's latest notifications, unread ones marked; a POST marks them all read."""
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("notifications")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    rows = selectors.notifications_for(user=request.user)
    unread = sum(1 for n in rows if n.read_at is None)
    return render(request, "trading/notifications.html", {"rows": rows, "unread": unread})
