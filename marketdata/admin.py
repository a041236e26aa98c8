"""Staff tools for the stock universe: listing, halts, tick and lot sizes, prices."""

from django.contrib import admin, messages

from marketdata.models import Stock
from marketdata.services import stock_set_status


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "name",
        "status",
        "reference_price",
        "previous_close",
        "price_source",
        "price_updated_at",
        "price_stale",
    )
    list_filter = ("status", "price_stale", "price_source")
    search_fields = ("symbol", "name", "isin")
    readonly_fields = ("price_source", "price_updated_at", "price_stale", "updated_at")
    actions = ["halt", "resume"]

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
