"""Trading REST API under /api/v1/: orders, account, positions, fills, book and trades.

Names and JSON fields follow Alpaca's v2 trading API where they overlap, so that an
Alpaca-compatible client needs only a base URL. Every failure answers {"code", "message",
"fields"} (see brokerage.api_errors).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import PRICE_DECIMAL_PLACES, PRICE_MAX_DIGITS
from core.words import label
from marketdata.models import Stock
from trading import selectors, services
from trading.errors import TradingError
from trading.models import Order, Side


def _amount(**options: Any) -> serializers.DecimalField:
    """A price or cash amount at the shared precision, answered as a string ("101.2500")."""
    return serializers.DecimalField(
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=PRICE_DECIMAL_PLACES,
        coerce_to_string=True,
        **options,
    )


class OrderOutput(serializers.Serializer):
    """An order as Alpaca's v2 Order object names it.

    Declared field by field rather than as a ModelSerializer: that one rebuilds its fields
    from the model for every instance, a third of the cost of answering an order request.
    """

    id = serializers.UUIDField()
    client_order_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(source="created_at")
    filled_at = serializers.DateTimeField(allow_null=True)
    expired_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    replaced_at = serializers.DateTimeField(allow_null=True)
    replaced_by = serializers.SerializerMethodField()
    replaces = serializers.UUIDField(source="replaces_id", allow_null=True)
    symbol = serializers.CharField(source="stock.symbol")
    asset_class = serializers.SerializerMethodField()
    qty = serializers.CharField()
    filled_qty = serializers.CharField()
    filled_avg_price = _amount(allow_null=True)
    order_class = serializers.SerializerMethodField()
    order_type = serializers.ChoiceField(source="type", choices=Order.Type.choices)
    type = serializers.ChoiceField(choices=Order.Type.choices)
    side = serializers.ChoiceField(choices=Side.choices)
    time_in_force = serializers.ChoiceField(choices=Order.TimeInForce.choices)
    limit_price = _amount(allow_null=True)
    stop_price = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    reason = serializers.CharField(help_text="Why it was canceled or rejected.")
    fees = _amount()
    extended_hours = serializers.SerializerMethodField()

    def get_asset_class(self, order) -> str:
        return "us_equity"

    def get_order_class(self, order) -> str:
        return "simple"

    def get_extended_hours(self, order) -> bool:
        return False

    def get_stop_price(self, order) -> str | None:
        return None

    def get_replaced_by(self, order) -> str | None:
        replaced = getattr(order, "replaced_by", None) if order.status == "replaced" else None
        return str(replaced.id) if replaced else None


class CancelAllItem(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.IntegerField()
    body = OrderOutput()


class OrderInput(serializers.Serializer):
    symbol = serializers.CharField(max_length=12)
    qty = serializers.CharField(max_length=40)
    side = serializers.CharField(max_length=8)
    type = serializers.CharField(max_length=16, default="market")
    time_in_force = serializers.CharField(max_length=8, default="day")
    limit_price = serializers.CharField(
        max_length=40, required=False, allow_null=True, allow_blank=True
    )
    client_order_id = serializers.CharField(max_length=128, required=False, allow_null=True)


class OrderReplaceInput(serializers.Serializer):
    qty = serializers.CharField(max_length=40, required=False, allow_null=True)
    limit_price = serializers.CharField(max_length=40, required=False, allow_null=True)
    time_in_force = serializers.CharField(max_length=8, required=False, allow_null=True)
    client_order_id = serializers.CharField(max_length=128, required=False, allow_null=True)


class OrderListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "closed", "all"], default="open")
    symbols = serializers.CharField(required=False, allow_blank=True)
    side = serializers.ChoiceField(choices=Side.choices, required=False)
    after = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=50)
    direction = serializers.ChoiceField(choices=["asc", "desc"], default="desc")


def _order_response(order: Order, code=status.HTTP_200_OK) -> Response:
    # The service returns the order as it stored it, stock attached: no need to read it back.
    return Response(OrderOutput(order).data, status=code)


class OrdersApi(APIView):
    @extend_schema(request=OrderInput, responses={200: OrderOutput}, operation_id="order_place")
    def post(self, request):
        """Place an order: it matches at once against the book; what is left rests (limit gtc/day)."""
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_place(user=request.user, **data.validated_data)
        return _order_response(order)

    @extend_schema(
        parameters=[OrderListParams], responses=OrderOutput(many=True), operation_id="orders_list"
    )
    def get(self, request):
        """List your orders: status open|closed|all, symbols (comma-separated), side, after, until."""
        params = OrderListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = dict(params.validated_data)
        symbols = [s.strip().upper() for s in p.pop("symbols", "").split(",") if s.strip()]
        orders = selectors.orders_for(user=request.user, symbols=symbols or None, **p)
        return Response(OrderOutput(orders, many=True).data)

    @extend_schema(responses={207: CancelAllItem(many=True)}, operation_id="orders_cancel_all")
    def delete(self, request):
        """Cancel all your open orders; answers the id and status of each."""
        canceled = services.order_cancel_all(user=request.user)
        body = [{"id": str(o.id), "status": 200, "body": OrderOutput(o).data} for o in canceled]
        return Response(body, status=207)


class OrderDetailApi(APIView):
    @extend_schema(responses=OrderOutput, operation_id="order_get")
    def get(self, request, order_id):
        """One of your orders by id (another user's order is 404)."""
        order = selectors.order_get_own(user=request.user, order_id=order_id)
        return Response(OrderOutput(order).data)

    @extend_schema(request=OrderReplaceInput, responses=OrderOutput, operation_id="order_replace")
    def patch(self, request, order_id):
        """Replace an open order with new qty, limit_price or time_in_force (priority is lost)."""
        data = OrderReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_replace(user=request.user, order_id=order_id, **data.validated_data)
        return _order_response(order)

    @extend_schema(responses={204: None}, operation_id="order_cancel")
    def delete(self, request, order_id):
        """Cancel an open order."""
        services.order_cancel(user=request.user, order_id=order_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderByClientIdApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("client_order_id", str, required=True)],
        responses=OrderOutput,
        operation_id="order_by_client_order_id",
    )
    def get(self, request):
        """One of your orders by its client_order_id."""
        client_order_id = request.query_params.get("client_order_id", "")
        if not client_order_id:
            raise TradingError(
                "client_order_id_required",
                "Give a client order id.",
                fields={"client_order_id": ["Required."]},
            )
        order = (
            Order.objects.select_related("stock")
            .filter(user=request.user, client_order_id=client_order_id)
            .first()
        )
        if order is None:
            raise TradingError("not_found", "No such order.")
        return Response(OrderOutput(order).data)


class AccountOutput(serializers.Serializer):
    id = serializers.UUIDField(source="account.id")
    account_number = serializers.CharField(source="account.account_number")
    status = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    cash = _amount()
    reserved_cash = _amount()
    buying_power = _amount()
    long_market_value = _amount()
    equity = _amount()
    portfolio_value = _amount()
    open_orders = serializers.IntegerField()
    created_at = serializers.DateTimeField(source="account.created_at")

    def get_status(self, summary) -> str:
        return "ACTIVE"

    def get_currency(self, summary) -> str:
        return "USD"


class AccountApi(APIView):
    @extend_schema(responses=AccountOutput, operation_id="account_get")
    def get(self, request):
        """Your account: cash, reserved cash, buying power, equity and portfolio value."""
        return Response(AccountOutput(selectors.account_summary(user=request.user)).data)


class PositionOutput(serializers.Serializer):
    symbol = serializers.CharField(source="position.stock.symbol")
    asset_class = serializers.SerializerMethodField()
    side = serializers.SerializerMethodField()
    qty = serializers.CharField(source="position.qty")
    qty_available = serializers.CharField(source="position.available_qty")
    avg_entry_price = _amount(source="position.avg_cost")
    current_price = _amount()
    lastday_price = _amount(allow_null=True)
    change_today = serializers.DecimalField(
        max_digits=20, decimal_places=6, coerce_to_string=True, allow_null=True
    )
    market_value = _amount()
    cost_basis = _amount()
    unrealized_pl = _amount()
    unrealized_plpc = serializers.DecimalField(
        max_digits=20, decimal_places=6, coerce_to_string=True
    )
    realized_pl = _amount(source="position.realized_pl")

    def get_asset_class(self, view) -> str:
        return "us_equity"

    def get_side(self, view) -> str:
        return "long"


class PositionsApi(APIView):
    @extend_schema(responses=PositionOutput(many=True), operation_id="positions_list")
    def get(self, request):
        """Your open positions, valued at the reference price."""
        return Response(PositionOutput(selectors.positions_for(user=request.user), many=True).data)


class PositionDetailApi(APIView):
    @extend_schema(responses=PositionOutput, operation_id="position_get")
    def get(self, request, symbol: str):
        """Your position in one symbol (404 if you hold none)."""
        views = selectors.positions_for(user=request.user, symbol=symbol.upper())
        if not views:
            raise TradingError("position_not_found", f"You hold no {symbol.upper()}.")
        return Response(PositionOutput(views[0]).data)


class FillOutput(serializers.Serializer):
    id = serializers.CharField()
    order_id = serializers.UUIDField()
    symbol = serializers.CharField()
    side = serializers.CharField()
    price = _amount()
    qty = serializers.CharField()
    liquidity = serializers.CharField()
    fee = _amount()
    transaction_time = serializers.DateTimeField()


class FillsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("symbol", str)],
        responses=FillOutput(many=True),
        operation_id="fills_list",
    )
    def get(self, request):
        """Your executions, newest first."""
        limit = _bounded_int(request.query_params.get("limit"), "limit", 100, 1, 500)
        symbol = (request.query_params.get("symbol") or "").upper() or None
        return Response(
            FillOutput(
                selectors.fills_for(user=request.user, limit=limit, symbol=symbol), many=True
            ).data
        )


def _bounded_int(raw, name: str, default: int, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TradingError(
            "invalid_request",
            f"{label(name)} must be a whole number.",
            fields={name: ["Not a number."]},
        ) from None
    if not low <= value <= high:
        raise TradingError(
            "invalid_request",
            f"{label(name)} must be between {low} and {high}.",
            fields={name: ["Out of range."]},
        )
    return value


class BookLevelOutput(serializers.Serializer):
    price = serializers.CharField()
    qty = serializers.CharField()
    orders = serializers.IntegerField()


class BookOutput(serializers.Serializer):
    symbol = serializers.CharField()
    seq = serializers.IntegerField()
    bids = BookLevelOutput(many=True)
    asks = BookLevelOutput(many=True)


class BookApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("depth", int)], responses=BookOutput, operation_id="book_get"
    )
    def get(self, request, symbol: str):
        """The aggregated order book, best levels first, with the book sequence number."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        depth = _bounded_int(request.query_params.get("depth"), "depth", 10, 1, 1000)
        return Response(selectors.book_snapshot(stock=stock, depth=depth))


class TradeOutput(serializers.Serializer):
    seq = serializers.IntegerField()
    price = _amount()
    qty = serializers.CharField()
    taker_side = serializers.SerializerMethodField()
    executed_at = serializers.DateTimeField()
    auction_id = serializers.IntegerField(
        allow_null=True, help_text="Set on an auction print: the auction whose close it was."
    )

    def get_taker_side(self, trade) -> str:
        return "sell" if trade.maker_side == "buy" else "buy"


class StockTradesApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int)],
        responses=TradeOutput(many=True),
        operation_id="stock_trades",
    )
    def get(self, request, symbol: str):
        """The latest trades in a symbol, newest first."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        limit = _bounded_int(request.query_params.get("limit"), "limit", 50, 1, 1000)
        return Response(
            TradeOutput(selectors.trades_for_stock(stock=stock, limit=limit), many=True).data
        )
