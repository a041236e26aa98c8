"""REST endpoints for the stock universe, its day figures and its candles."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

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


class StockPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class StockListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="symbol prefix or name fragment")],
        responses=StockOutput(many=True),
    )
    def get(self, request):
        """List the stock universe, searchable and paginated (limit/offset)."""
        paginator = StockPagination()
        page = paginator.paginate_queryset(
            stock_search(query=request.query_params.get("q", "")[:50]), request, view=self
        )
        data = StockOutput(page, many=True, context={"day": day_figures(stocks=page)}).data
        return paginator.get_paginated_response(data)


class StockDetailApi(APIView):
    @extend_schema(responses=StockOutput)
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

    class InputSerializer(serializers.Serializer):
        interval = serializers.ChoiceField(choices=list(INTERVALS), default="1m")
        start = QueryTimeField(required=False)
        end = QueryTimeField(required=False)

        def validate(self, data):
            interval = data["interval"]
            end = data.get("end") or timezone.now()
            start = data.get("start")
            for name, moment in (("start", start), ("end", end)):
                if moment is not None and not EARLIEST <= moment < LATEST:
                    raise serializers.ValidationError(
                        {name: [f"Must be {EARLIEST.year} or later and before {LATEST.year}."]}
                    )
            if start is None:
                # Default: the latest MAX_CANDLES bars up to `end`.
                start = end - INTERVALS[interval] * (MAX_CANDLES - 1)
                while candle_count(interval, start, end) > MAX_CANDLES:
                    start += INTERVALS[interval]
            if start < EARLIEST:
                raise serializers.ValidationError({"start": ["Must be 1970 or later."]})
            if end <= start:
                raise serializers.ValidationError({"end": ["Must be after start."]})
            if candle_count(interval, start, end) > MAX_CANDLES:
                raise serializers.ValidationError(
                    {
                        "end": [
                            f"At most {MAX_CANDLES} bars of {interval} per request;"
                            " narrow start and end."
                        ]
                    }
                )
            return {"interval": interval, "start": start, "end": end}

    @extend_schema(
        responses=CandlesOutput,
        parameters=[
            OpenApiParameter("interval", str, enum=list(INTERVALS), description="bar length"),
            OpenApiParameter("start", str, description="ISO 8601 time; default: 1,000 bars back"),
            OpenApiParameter("end", str, description="ISO 8601 time, exclusive; default: now"),
        ],
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
