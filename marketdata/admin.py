"""Staff tools for the stock universe: listing, halts, tick and lot sizes, prices."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from marketdata.models import PriceBar, Stock
from marketdata.services import stock_set_status


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "name",
        "exchange",
        "status",
        "reference_price",
        "previous_close",
        "price_source",
        "price_age",
        "day_low",
        "day_high",
    )
    list_filter = ("status", "exchange", "price_stale", "price_source")
    search_fields = ("symbol", "name", "isin")
    readonly_fields = (
        "price_source",
        "price_updated_at",
        "price_age",
        "price_stale",
        "day",
        "day_high",
        "day_low",
        "updated_at",
    )
    actions = ["halt", "resume"]

    @admin.display(description="Price age", ordering="price_updated_at")
    def price_age(self, stock: Stock) -> str:
        """How old the reference price is, flagged when the pull has marked it stale."""
        if stock.price_updated_at is None:
            return "never priced"
        age = _age(max(0.0, (timezone.now() - stock.price_updated_at).total_seconds()))
        if stock.price_stale:
            return format_html('<strong style="color:#b7791f">{} · stale</strong>', age)
        return age

    def save_model(self, request, obj, form, change):
        # A price typed by staff is a new baseline: the next provider quote is not refused
        # for jumping away from it (the jump bound compares a source only with itself).
        if "reference_price" in form.changed_data:
            obj.price_source = "staff"
            obj.price_updated_at = timezone.now()
            obj.price_stale = False
        super().save_model(request, obj, form, change)

    @admin.action(description="Halt trading in the selected stocks")
    def halt(self, request, queryset):
        for stock in queryset:
            stock_set_status(stock_id=stock.pk, status=Stock.Status.HALTED)
        messages.success(request, f"Halted {queryset.count()} stock(s).")

    @admin.action(description="Resume trading in the selected stocks")
    def resume(self, request, queryset):
        for stock in queryset:
            stock_set_status(stock_id=stock.pk, status=Stock.Status.ACTIVE)
        messages.success(request, f"Resumed {queryset.count()} stock(s).")


@admin.register(PriceBar)
class PriceBarAdmin(ReadOnlyAdmin):
    """Read-only reference-price history, a bar a minute, for checking what a provider sent."""

    list_display = ("stock", "start", "open", "high", "low", "close", "source")
    list_select_related = ("stock",)
    # Exact symbol only, newest first, no filters or full counts: each of those would scan
    # a table that holds millions of rows.
    search_fields = ("=stock__symbol",)
    ordering = ("-start",)
    show_full_result_count = False
