"""`/v2/orders`: place, list, read, replace and cancel orders, in Alpaca's shapes."""

from __future__ import annotations

from rest_framework.response import Response

from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.presenters import order_json
from alpaca_adapter.serializers import OrderInput, OrderReplaceInput
from trading import selectors, services
from trading.apis import OrderListParams
from trading.errors import TradingError


class OrdersApi(AlpacaApi):
    def post(self, request):
        """Place an order (market or limit, by qty or notional; day, gtc, ioc or fok).

        An unfilled IOC and an unfillable FOK alike answer the order, canceled (Alpaca's way).
        """
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_place(
            user=request.user, unfillable_fok="cancel", **data.order_fields()
        )
        return Response(order_json(order))

    def get(self, request):
        """Your orders: status open|closed|all, limit, after, until, direction, side, symbols."""
        query = request.query_params.dict()
        query.pop("nested", None)
        params = OrderListParams(data=query)
        params.is_valid(raise_exception=True)
        p = dict(params.validated_data)
        symbols = [s.strip().upper() for s in p.pop("symbols", "").split(",") if s.strip()]
        orders = selectors.orders_for(user=request.user, symbols=symbols or None, **p)
        return Response([order_json(o) for o in orders])

    def delete(self, request):
        """Cancel all your open orders: 207, one status per order."""
        canceled = services.order_cancel_all(user=request.user)
        body = [{"id": str(o.id), "status": 200, "body": order_json(o)} for o in canceled]
        return Response(body, status=207)


class OrderApi(AlpacaApi):
    def get(self, request, order_id: str):
        order = selectors.order_get_own(user=request.user, order_id=order_id)
        return Response(order_json(order))

    def patch(self, request, order_id: str):
        """Replace an open order: qty, limit_price, time_in_force, client_order_id."""
        data = OrderReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_replace(
            user=request.user, order_id=order_id, **data.replace_fields()
        )
        return Response(order_json(order))

    def delete(self, request, order_id: str):
        services.order_cancel(user=request.user, order_id=order_id)
        return Response(status=204)


class OrderByClientIdApi(AlpacaApi):
    def get(self, request):
        client_order_id = request.query_params.get("client_order_id", "")
        order = selectors.order_by_client_id(user=request.user, client_order_id=client_order_id)
        if not client_order_id or order is None:
            raise TradingError("not_found", "order not found")
        return Response(order_json(order))
