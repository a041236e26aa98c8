"""REST endpoints for the stock universe, its day figures and its candles."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import QueryParams
from core.errors import DomainError
from marketdata.models import Stock
from marketdata.selectors import (
    INTERVALS,
    MAX_CANDLES,
    DayFigures,
    candle_count,
    candle_start,
    candles_for,
    day_figures,
    stock_search,
)

# The earliest time a candle request may name: epoch bucketing starts there.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Far enough for any chart, near enough that bar arithmetic never leaves datetime's range.
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
NO_FIGURES = DayFigures(high=None, low=None, volume=0, trades=0)


class StockOutput(serializers.ModelSerializer):
    tradable = serializers.SerializerMethodField()
    change = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    change_pct = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    day_high = serializers.SerializerMethodField(
        help_text="Today's highest trade or reference price."
    )
    day_low = serializers.SerializerMethodField(
        help_text="Today's lowest trade or reference price."
    )
    volume = serializers.SerializerMethodField(help_text="Shares traded here today.")

    class Meta:
        model = Stock
        fields = [
            "symbol",
            "name",
            "isin",
            "status",
            "tradable",
            "tick_size",
            "lot_size",
            "band_pct",
            "reference_price",
            "previous_close",
            "change",
            "change_pct",
            "day_high",
            "day_low",
            "volume",
            "price_source",
            "price_updated_at",
            "price_stale",
        ]

    def get_tradable(self, stock: Stock) -> bool:
        return not stock.is_halted

    def _figures(self, stock: Stock) -> DayFigures:
        return self.context.get("day", {}).get(stock.id, NO_FIGURES)

    def get_day_high(self, stock: Stock) -> str | None:
        high = self._figures(stock).high
        return None if high is None else str(high)

    def get_day_low(self, stock: Stock) -> str | None:
        low = self._figures(stock).low
        return None if low is None else str(low)

    def get_volume(self, stock: Stock) -> int:
        return self._figures(stock).volume


class StockListParams(QueryParams):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A symbol prefix or a name fragment (its first 50 characters are used).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)


class StockPageOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Stocks matching, on every page.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = StockOutput(many=True)


class StockListApi(APIView):
    @extend_schema(
        parameters=[StockListParams], responses=StockPageOutput, operation_id="stocks_list"
    )
    def get(self, request):
        """List the stock universe, searchable and paginated (limit/offset)."""
        params = StockListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        query, limit, offset = (params.validated_data.get(k, "") for k in ("q", "limit", "offset"))
        found = stock_search(query=query[:50])
        count = found.count()
        page = list(found[offset : offset + limit])
        data = StockOutput(page, many=True, context={"day": day_figures(stocks=page)}).data

        def link(at: int) -> str:
            url = request.build_absolute_uri(request.path)
            return f"{url}?{urlencode({'q': query, 'limit': limit, 'offset': at})}"

        return Response(
            {
                "count": count,
                "next": link(offset + limit) if offset + limit < count else None,
                "previous": link(max(0, offset - limit)) if offset else None,
                "results": data,
            }
        )


class StockDetailApi(APIView):
    @extend_schema(responses=StockOutput, operation_id="stock_get")
    def get(self, request, symbol: str):
        """One stock by symbol."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        return Response(StockOutput(stock, context={"day": day_figures(stocks=[stock])}).data)


class QueryTimeField(serializers.DateTimeField):
    """ISO 8601; a naive time is market time, and a '+' that URL decoding made a space is restored."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", value.strip())
        return super().to_internal_value(value)


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": r"^(?:19[7-9][0-9]|2[01][0-9]{2})-",
        "description": "RFC 3339, from 1970 to 2199; a time without an offset is market time.",
    }
)
class CandleTimeField(QueryTimeField):
    """A candle period's edge: its schema says the years the API takes."""


class CandleOutput(serializers.Serializer):
    time = serializers.DateTimeField(source="start", help_text="The bar's start.")
    open = serializers.DecimalField(max_digits=20, decimal_places=4)
    high = serializers.DecimalField(max_digits=20, decimal_places=4)
    low = serializers.DecimalField(max_digits=20, decimal_places=4)
    close = serializers.DecimalField(max_digits=20, decimal_places=4)
    volume = serializers.IntegerField(help_text="Shares traded; 0 for a reference-price bar.")
    trades = serializers.IntegerField()
    auction_prints = serializers.IntegerField(
        help_text="Of `trades`, how many were auction prints (an auction's close); 0 for a"
        " reference-price bar."
    )
    # A declared field, not Field.source: the serializer's metaclass takes it out of the class.
    source = serializers.ChoiceField(choices=["trades", "reference"])  # type: ignore[assignment]


class CandlesOutput(serializers.Serializer):
    symbol = serializers.CharField()
    interval = serializers.CharField()
    start = serializers.DateTimeField(
        help_text="The start of the period holding the start asked for."
    )
    end = serializers.DateTimeField(help_text="Exclusive.")
    candles = CandleOutput(many=True)


class CandlesApi(APIView):
    # Public market data, like the candles stream: the stock page's chart draws for visitors.
    permission_classes = [AllowAny]

    class InputSerializer(QueryParams):
        interval = serializers.ChoiceField(
            choices=list(INTERVALS), default="1m", help_text="The bar length."
        )
        start = CandleTimeField(required=False, help_text="Default: 1,000 bars before end.")
        end = CandleTimeField(required=False, help_text="Exclusive. Default: now.")

        def validate(self, data):
            interval = data["interval"]
            end = data.get("end") or timezone.now()
            start = data.get("start")
            for name, moment in (("start", start), ("end", end)):
                if moment is not None and not EARLIEST <= moment < LATEST:
                    raise serializers.ValidationError(
                        {name: [f"Must be {EARLIEST.year} or later and before {LATEST.year}."]}
                    )
            # What follows relates the parameters to each other, which no schema can say of
            # each one alone: well-formed but refused, a 422.
            if start is None:
                # Default: the latest MAX_CANDLES bars up to `end`, from 1970 at the earliest.
                start = max(EARLIEST, end - INTERVALS[interval] * (MAX_CANDLES - 1))
                while candle_count(interval, start, end) > MAX_CANDLES:
                    start += INTERVALS[interval]
            if end <= start:
                raise DomainError(
                    "invalid_period", "end must be after start.", fields={"end": ["Before start."]}
                )
            if candle_count(interval, start, end) > MAX_CANDLES:
                raise DomainError(
                    "invalid_period",
                    f"At most {MAX_CANDLES} bars of {interval} per request; narrow start and end.",
                    fields={"end": [f"At most {MAX_CANDLES} bars."]},
                )
            return {"interval": interval, "start": start, "end": end}

    @extend_schema(
        responses=CandlesOutput, parameters=[InputSerializer], operation_id="stock_candles"
    )
    def get(self, request, symbol: str):
        """OHLCV bars of a stock: from its trades, or its reference prices where none traded."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        candles = candles_for(stock=stock, **params)
        output = {
            "symbol": stock.symbol,
            "interval": params["interval"],
            "start": candle_start(params["start"], params["interval"]),
            "end": params["end"],
            "candles": candles,
        }
        return Response(CandlesOutput(output).data)
