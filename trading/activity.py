"""The trading side of `marketdata.activity`: what our own trades say about each stock."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from marketdata.activity import TradedRange
from marketdata.models import Stock
from marketdata.selectors import bucket, bucket_start, price
from trading.models import OPEN_STATUSES, Order, Trade


class TradesActivity:
    """Reads over `Trade` and open orders, through their (stock, time) and open-book indexes."""

    def symbols_traded(self, *, since: datetime) -> set[str]:
        open_ids = Order.objects.filter(status__in=OPEN_STATUSES).values("stock_id")
        traded_ids = Trade.objects.filter(executed_at__gte=since).values("stock_id")
        return set(
            Stock.objects.filter(Q(id__in=open_ids) | Q(id__in=traded_ids)).values_list(
                "symbol", flat=True
            )
        )

    def ranges(
        self, *, stock_ids: list[int], start: datetime, end: datetime | None, with_ends: bool = True
    ) -> dict[int, TradedRange]:
        trades = Trade.objects.filter(stock_id__in=stock_ids, executed_at__gte=start)
        if end is not None:
            trades = trades.filter(executed_at__lt=end)
        rows = list(_aggregate(trades.values("stock_id"), with_ends))
        ends = _end_prices(rows, lambda row: row["stock_id"]) if with_ends else {}
        return {row["stock_id"]: _range(row, ends, row["stock_id"]) for row in rows}

    def bars(
        self, *, stock_id: int, interval: str, start: datetime, end: datetime
    ) -> dict[datetime, TradedRange]:
        trades = Trade.objects.filter(
            stock_id=stock_id, executed_at__gte=start, executed_at__lt=end
        )
        rows = list(
            _aggregate(
                trades.annotate(bucket=bucket("executed_at", interval)).values("bucket"), True
            ).order_by("bucket")
        )
        ends = _end_prices(rows, lambda row: stock_id)
        return {bucket_start(row["bucket"], interval): _range(row, ends, stock_id) for row in rows}


def _aggregate(grouped: QuerySet, with_ends: bool) -> QuerySet:
    extra = {"first": Min("seq"), "last": Max("seq")} if with_ends else {}
    return grouped.annotate(
        high=Max("price"),
        low=Min("price"),
        volume=Sum("qty"),
        trades=Count("id"),
        auction_prints=Count("id", filter=Q(auction__isnull=False)),
        **extra,
    ).order_by()


def _end_prices(rows: list[dict], stock_of) -> dict[tuple[int, int], object]:
    """{(stock id, seq): price} of each group's first and last trade, in one indexed query."""
    if not rows:
        return {}
    wanted = Q()
    for row in rows:
        wanted |= Q(stock_id=stock_of(row), seq__in=(row["first"], row["last"]))
    found = Trade.objects.filter(wanted).values_list("stock_id", "seq", "price")
    return {(sid, seq): p for sid, seq, p in found}


def _range(row: dict, ends: dict, stock_id: int) -> TradedRange:
    first, last = ends.get((stock_id, row.get("first"))), ends.get((stock_id, row.get("last")))
    return TradedRange(
        high=price(row["high"]),
        low=price(row["low"]),
        volume=int(row["volume"]),
        trades=row["trades"],
        auction_prints=row["auction_prints"],
        open=None if first is None else price(first),
        close=None if last is None else price(last),
    )
