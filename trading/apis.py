"""Trading REST API under /api/v1/: orders, account, positions, fills, book and trades.

Names and JSON fields follow Alpaca's v2 trading API where they overlap, so that an
Alpaca-compatible client needs only a base URL. Every failure answers {"code", "message",
"fields"} (see brokerage.api_errors).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import BodyInput, QueryParams
from core.api_output import Output
from core.fields import PRICE_DECIMAL_PLACES, PRICE_MAX_DIGITS
from marketdata.models import Stock
from trading import selectors, services
from trading.errors import TradingError
from trading.models import Order, Side
from trading.services.parsing import MAX_QTY


def _amount(**options: Any) -> serializers.DecimalField:
    """A price or cash amount at the shared precision, answered as a string ("101.2500")."""
    return serializers.DecimalField(
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=PRICE_DECIMAL_PLACES,
        coerce_to_string=True,
        **options,
    )


class OrderOutput(Output):
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


# What a well-formed quantity or price looks like; the stock's lot, tick and band are checked
# by the service (a 422 when they refuse it). Prices are strings: a JSON number is lossy.
QTY_PATTERN = r"^0*(?:[1-9][0-9]{0,6}|10000000)(?:\.0*)?$"
PRICE_PATTERN = (
    r"^0*(?:(?:[1-9][0-9]{0,5}|1000000)(?:\.[0-9]{0,4})?"
    r"|\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
)
QTY_SCHEMA = {
    "oneOf": [
        {
            "type": "string",
            "pattern": QTY_PATTERN,
            "maxLength": 40,  # what _AsSent takes, leading zeros included
            "description": 'Whole shares, e.g. "10".',
        },
        {"type": "integer", "minimum": 1, "maximum": MAX_QTY},
    ]
}
PRICE_SCHEMA = {
    "type": "string",
    "pattern": PRICE_PATTERN,
    "maxLength": 40,  # what _AsSent takes, leading zeros included
    "description": "Dollars as a string, at most 4 decimals, on the stock's tick.",
}


class _AsSent(serializers.Field):
    """A quantity or price as the client sent it, for the service to read with its stable
    code (`invalid_qty`, `invalid_price`): a string, or for quantities a whole JSON number."""

    code = "invalid_request"
    integers = False
    allow_blank = False

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data.strip() and not self.allow_blank:
                raise TradingError(
                    self.code,
                    f"{self.field_name} may not be empty.",
                    fields={self.field_name: ["May not be empty."]},
                )
            if len(data) > 40:
                raise TradingError(
                    self.code,
                    f"{self.field_name} may be at most 40 characters.",
                    fields={self.field_name: ["Too long."]},
                )
            return data.strip()
        if self.integers and isinstance(data, int) and not isinstance(data, bool):
            return data
        kind = "a string or a whole number" if self.integers else "a string"
        raise TradingError(
            self.code,
            f"{self.field_name} must be {kind}.",
            fields={self.field_name: [f"Send {kind}."]},
        )

    def to_representation(self, value):
        return str(value)


@extend_schema_field(QTY_SCHEMA)
class QtyField(_AsSent):
    code = "invalid_qty"
    integers = True


@extend_schema_field(PRICE_SCHEMA)
class PriceField(_AsSent):
    code = "invalid_price"


class PriceOrEmptyField(PriceField):
    """A limit price, which a market order may send empty."""

    allow_blank = True


class ChoiceText(serializers.ChoiceField):
    """One of the choices the schema lists, read by the service with its stable code
    (`invalid_side`, `invalid_type`, `invalid_time_in_force`)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        raise TradingError(
            f"invalid_{self.field_name}",
            f"{self.field_name} must be one of: {', '.join(self.choices)}.",
            fields={self.field_name: ["Invalid choice."]},
        )


class OrderInput(BodyInput):
    """A new order."""

    symbol = serializers.CharField(max_length=12)
    qty = QtyField()
    side = ChoiceText(choices=Side.choices)
    type = ChoiceText(choices=Order.Type.choices, default="market")
    time_in_force = ChoiceText(choices=Order.TimeInForce.choices, default="day")
    limit_price = PriceOrEmptyField(
        required=False,
        allow_null=True,
        help_text="Required for limit orders; none (or empty) for market orders.",
    )
    client_order_id = serializers.CharField(max_length=128, required=False, allow_null=True)


class OrderReplaceInput(BodyInput):
    """What a replacement changes; the rest is taken from the order it replaces."""

    qty = QtyField(required=False, allow_null=True)
    limit_price = PriceField(required=False, allow_null=True)
    time_in_force = ChoiceText(choices=Order.TimeInForce.choices, required=False, allow_null=True)
    client_order_id = serializers.CharField(max_length=128, required=False, allow_null=True)


class OrderListParams(QueryParams):
    status = serializers.ChoiceField(choices=["open", "closed", "all"], default="open")
    symbols = serializers.CharField(
        required=False, allow_blank=True, help_text="Comma-separated symbols."
    )
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
        parameters=[
            OpenApiParameter(
                "client_order_id",
                {"type": "string", "minLength": 1, "maxLength": 128},
                required=True,
            )
        ],
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
        order = selectors.order_by_client_id(user=request.user, client_order_id=client_order_id)
        if order is None:
            raise TradingError("not_found", "No such order.")
        return Response(OrderOutput(order).data)


class AccountOutput(Output):
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
    today_pl = _amount(
        allow_null=True,
        help_text="Today's profit or loss over your positions (since `market_day_start`, the "
        "market's midnight): the shares' value now less their value at the previous close, "
        "today's buys and sells at their prices, fees apart. Null when a stock held has no "
        "previous close.",
    )
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


class PositionOutput(Output):
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
    today_pl = _amount(
        allow_null=True,
        help_text="Today's profit or loss in this stock: the value now less the shares held "
        "at the day's start at the previous close, less today's buys, plus today's sells (at "
        "their prices, fees apart). Null when shares were held at the day's start and the "
        "stock has no previous close.",
    )

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


class FillOutput(Output):
    id = serializers.CharField()
    order_id = serializers.UUIDField()
    symbol = serializers.CharField()
    side = serializers.CharField()
    price = _amount()
    qty = serializers.CharField()
    liquidity = serializers.CharField()
    fee = _amount()
    transaction_time = serializers.DateTimeField()


class FillListParams(QueryParams):
    symbol = serializers.CharField(max_length=12, required=False)
    after = serializers.DateTimeField(required=False, help_text="Only fills after this time.")
    until = serializers.DateTimeField(required=False, help_text="Only fills up to this time.")
    page_token = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The id of the last fill of the previous page: this page starts after it.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class FillsApi(APIView):
    @extend_schema(
        parameters=[FillListParams], responses=FillOutput(many=True), operation_id="fills_list"
    )
    def get(self, request):
        """Your executions, newest first; page back with `page_token` (or `until`)."""
        params = FillListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = dict(params.validated_data)
        if "symbol" in p:
            p["symbol"] = p["symbol"].upper()
        return Response(FillOutput(selectors.fills_for(user=request.user, **p), many=True).data)


class DepthParams(QueryParams):
    depth = serializers.IntegerField(min_value=1, max_value=1000, default=10)


class TradeListParams(QueryParams):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=50)


class BookLevelOutput(Output):
    price = serializers.CharField()
    qty = serializers.CharField()
    orders = serializers.IntegerField()


class BookOutput(Output):
    symbol = serializers.CharField()
    seq = serializers.IntegerField()
    bids = BookLevelOutput(many=True)
    asks = BookLevelOutput(many=True)


class BookApi(APIView):
    @extend_schema(parameters=[DepthParams], responses=BookOutput, operation_id="book_get")
    def get(self, request, symbol: str):
        """The aggregated order book, best levels first, with the book sequence number."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        params = DepthParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(selectors.book_snapshot(stock=stock, **params.validated_data))


class TradeOutput(Output):
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
        parameters=[TradeListParams], responses=TradeOutput(many=True), operation_id="stock_trades"
    )
    def get(self, request, symbol: str):
        """The latest trades in a symbol, newest first."""
        stock = get_object_or_404(Stock, symbol=symbol.upper())
        params = TradeListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        trades = selectors.trades_for_stock(stock=stock, **params.validated_data)
        return Response(TradeOutput(trades, many=True).data)
