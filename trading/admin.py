"""Staff tools for trading: orders (cancel), trades, positions (grant shares), the share ledger."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.admin import ReadOnlyAdmin
from core.forms import form_add_domain_error
from marketdata.admin import StockAdmin
from marketdata.models import Stock
from marketdata.services import stock_set_status
from trading.auctions.services.close import auction_cancel
from trading.auctions.services.create import auction_create
from trading.errors import TradingError
from trading.models import Auction, Bid, BookState, Order, Position, ShareEntry, Trade
from trading.services import order_cancel, position_grant, stock_update
from trading.services.cancels import STAFF_REQUESTED


def _form_page(model_admin: admin.ModelAdmin, request, title: str, form: forms.Form, submit: str):
    """A staff tool's form in the admin's frame (grant shares, create an auction)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "submit": submit,
        "form": form,
        "opts": model_admin.model._meta,
    }
    return render(request, "admin/trading/position/grant.html", context)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "stock",
        "side",
        "type",
        "time_in_force",
        "qty",
        "limit_price",
        "filled_qty",
        "filled_avg_price",
        "status",
        "reason",
    )
    list_filter = ("status", "side", "type", "time_in_force")
    search_fields = ("id", "client_order_id", "user__username", "stock__symbol")
    list_select_related = ("user", "stock")
    date_hierarchy = "created_at"
    actions = ["cancel_orders"]

    @admin.action(description="Cancel the selected open orders")
    def cancel_orders(self, request, queryset):
        done = 0
        for order in queryset.select_related("user"):
            try:
                order_cancel(user=order.user, order_id=order.id, reason=STAFF_REQUESTED)
                done += 1
            except TradingError as exc:
                messages.warning(request, f"{order.id}: {exc.message}")
        messages.success(request, f"Canceled {done} order(s).")


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = (
        "executed_at",
        "stock",
        "seq",
        "price",
        "qty",
        "buyer",
        "seller",
        "maker_side",
        "buyer_fee",
        "seller_fee",
    )
    list_filter = ("maker_side",)
    search_fields = ("stock__symbol", "buyer__username", "seller__username")
    list_select_related = ("stock", "buyer", "seller")
    date_hierarchy = "executed_at"


class GrantSharesForm(forms.Form):
    qty = forms.IntegerField(help_text="Positive gives shares, negative takes free shares back.")
    memo = forms.CharField(max_length=200, initial="Staff grant")


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("user", "stock", "qty", "reserved_qty", "avg_cost", "realized_pl", "updated_at")
    search_fields = ("user__username", "stock__symbol")
    list_select_related = ("user", "stock")
    change_list_template = "admin/trading/position/change_list.html"

    def get_urls(self):
        return [
            path(
                "grant/", self.admin_site.admin_view(self.grant_view), name="trading_position_grant"
            ),
            *super().get_urls(),
        ]

    def grant_view(self, request):
        from accounts.models import User

        class Form(GrantSharesForm):
            user = forms.ModelChoiceField(
                queryset=User.objects.filter(is_house=False).order_by("username")
            )
            symbol = forms.CharField(max_length=12)

        form = Form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                position_grant(
                    user=form.cleaned_data["user"],
                    symbol=form.cleaned_data["symbol"],
                    qty=form.cleaned_data["qty"],
                    memo=form.cleaned_data["memo"],
                )
            except TradingError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, "Shares granted.")
                return redirect(reverse("admin:trading_position_changelist"))
        return _form_page(self, request, "Grant shares", form, submit="Grant shares")


@admin.register(ShareEntry)
class ShareEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "stock",
        "kind",
        "qty",
        "balance_after",
        "reference",
        "memo",
    )
    list_filter = ("kind",)
    search_fields = ("user__username", "stock__symbol", "reference")
    list_select_related = ("user", "stock")


@admin.register(BookState)
class BookStateAdmin(ReadOnlyAdmin):
    list_display = ("stock", "book_seq", "trade_seq", "order_seq", "last_price", "last_trade_at")
    search_fields = ("stock__symbol",)


# Tick, lot and band decide which resting orders are valid: their edits go through the trading
# service, which refuses one that would leave resting orders off the new tick or lot.
MARKET_SETTINGS = ("tick_size", "lot_size", "band_pct")


class StockTradingAdmin(StockAdmin):
    def save_model(self, request, obj, form, change):
        changed = {
            name: form.cleaned_data[name] for name in MARKET_SETTINGS if name in form.changed_data
        }
        status = form.cleaned_data.get("status") if "status" in form.changed_data else None
        if change and (changed or status):
            # Written by the services (the market settings under the book lock; a halt or a
            # resume published to the open pages); the rest of the form saves as usual.
            for name in [*changed, *(["status"] if status else [])]:
                setattr(obj, name, form.initial[name])
            super().save_model(request, obj, form, change)
            if changed:
                stock_update(stock_id=obj.pk, **changed)
            if status:
                stock_set_status(stock_id=obj.pk, status=status)
            return
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TradingError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)


admin.site.unregister(Stock)
admin.site.register(Stock, StockTradingAdmin)


class BidInline(admin.TabularInline):
    model = Bid
    extra = 0
    can_delete = False
    fields = ("placed_at", "bidder", "max_price", "price", "reserved_cash", "status", "reason")
    readonly_fields = fields
    ordering = ("-placed_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AuctionCreateForm(forms.Form):
    symbol = forms.CharField(max_length=16)
    qty = forms.CharField(max_length=40, label="Lot (shares)")
    reserve_price = forms.CharField(max_length=40)
    start_price = forms.CharField(max_length=40, required=False)
    duration_seconds = forms.IntegerField(min_value=10, initial=300)


class SetAsideFilter(admin.SimpleListFilter):
    """Auctions whose close failed: set aside with the reason, retried by the sweep."""

    title = "close"
    parameter_name = "close"

    def lookups(self, request, model_admin):
        return [("failed", "Failed (set aside)")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.exclude(close_error="")
        return queryset


@admin.register(Auction)
class AuctionAdmin(ReadOnlyAdmin):
    """Staff create house auctions and cancel any auction; every bid is listed."""

    list_display = (
        "id",
        "stock",
        "qty",
        "seller",
        "status",
        "current_price",
        "reserve_price",
        "bid_count",
        "ends",
        "close_lateness_ms",
        "close_error",
    )
    list_filter = ("status", SetAsideFilter)
    search_fields = ("stock__symbol", "seller__username")
    list_select_related = ("stock", "seller")
    inlines = [BidInline]
    actions = ["cancel_auctions"]
    change_list_template = "admin/trading/auction/change_list.html"

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is not None and request.method == "GET"  # a page to look at, not a form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A page to look at: no Save buttons (a save would be refused); cancel from the list.
        nothing_to_save = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().changeform_view(
            request, object_id, form_url, {**(extra_context or {}), **nothing_to_save}
        )

    @admin.display(description="ends (ET)", ordering="ends_at")
    def ends(self, auction: Auction) -> str:
        # To the second: the admin's default format drops the minutes on the hour ("3 p.m.").
        return date_format(timezone.localtime(auction.ends_at), "M j, Y, H:i:s")

    def get_urls(self):
        return [
            path(
                "create/",
                self.admin_site.admin_view(self.create_view),
                name="trading_auction_create",
            ),
            *super().get_urls(),
        ]

    def create_view(self, request):
        form = AuctionCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                auction = auction_create(seller=None, **form.cleaned_data)
            except TradingError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, f"House auction {auction.pk} is open.")
                return redirect(reverse("admin:trading_auction_changelist"))
        return _form_page(self, request, "Create a house auction", form, submit="Open the auction")

    @admin.action(description="Cancel the selected auctions (releases every reservation)")
    def cancel_auctions(self, request, queryset):
        done = 0
        for auction in queryset:
            try:
                auction_cancel(auction_id=auction.pk, user=None)
                done += 1
            except TradingError as exc:
                messages.warning(request, f"Auction {auction.pk}: {exc.message}")
        messages.success(request, f"Canceled {done} auction(s).")
