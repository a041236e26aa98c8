"""REST endpoints for the stock universe."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from marketdata.models import Stock
from marketdata.selectors import stock_search


class StockOutput(serializers.ModelSerializer):
    tradable = serializers.SerializerMethodField()
    change = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    change_pct = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

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
            "price_source",
            "price_updated_at",
            "price_stale",
        ]

    def get_tradable(self, stock: Stock) -> bool:
        return not stock.is_halted


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
        return paginator.get_paginated_response(StockOutput(page, many=True).data)


class StockDetailApi(APIView):
    @extend_schema(responses=StockOutput)
    def get(self, request, symbol: str):
        """One stock by symbol."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        return Response(StockOutput(stock).data)
