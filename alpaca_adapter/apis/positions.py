"""`/v2/positions`: list, read and close positions (a close is a market sell)."""

from __future__ import annotations

from decimal import ROUND_DOWN

from rest_framework.response import Response

from alpaca_adapter import errors
from alpaca_adapter import selectors as alpaca_selectors
from alpaca_adapter.apis.base import AlpacaApi
from alpaca_adapter.parsing import blank, invalid, positive_decimal
from alpaca_adapter.presenters import order_json, position_json
from trading import selectors, services
from trading.errors import TradingError
from trading.models import Order, Position


def _position_view(user, symbol_or_asset_id: str):
    stock = alpaca_selectors.stock_for(symbol_or_asset_id)
    views = selectors.positions_for(user=user, symbol=stock.symbol)
    if not views:
        raise TradingError("position_not_found", "position does not exist")
    return views[0]


def _close_qty(position: Position, query) -> int:
    qty, percentage = query.get("qty"), query.get("percentage")
    if not blank(qty) and not blank(percentage):
        raise invalid("percentage", "qty and percentage cannot both be given")
    if not blank(percentage):
        pct = positive_decimal(percentage, "percentage")
        if pct > 100:
            raise invalid("percentage", "percentage must be at most 100")
        lot = position.stock.lot_size
        wanted = int((position.qty * pct / 100).to_integral_value(ROUND_DOWN))
        return wanted - wanted % lot
    if not blank(qty):
        return qty
    return position.qty


def _close(user, position: Position, qty) -> Order:
    """The closing order of a position: a market sell (no shorting, so only what is held)."""
    return services.order_place(
        user=user,
        symbol=position.stock.symbol,
        side="sell",
        type="market",
        time_in_force="day",
        qty=qty,
    )


def _close_answer(user, position: Position) -> dict:
    """One position's part of a close-all: its closing order, or why it was refused."""
    symbol = position.stock.symbol
    try:
        order = _close(user, position, position.available_qty or position.qty)
    except TradingError as exc:
        status, body = errors.domain_answer(exc)
        body.update(
            symbol=symbol,
            available=position.available_qty,
            existing_qty=position.qty,
            held_for_orders=position.reserved_qty,
        )
        return {"symbol": symbol, "status": status, "body": body}
    return {"symbol": symbol, "status": 200, "order_id": str(order.id), "body": order_json(order)}


class PositionsApi(AlpacaApi):
    def get(self, request):
        return Response([position_json(v) for v in selectors.positions_for(user=request.user)])

    def delete(self, request):
        """Close every position with a market sell (`cancel_orders=true` cancels orders first)."""
        cancel = str(request.query_params.get("cancel_orders", "")).lower()
        if cancel not in ("", "true", "false"):
            raise invalid("cancel_orders", "cancel_orders must be true or false")
        if cancel == "true":
            services.order_cancel_all(user=request.user)
        views = selectors.positions_for(user=request.user)
        return Response([_close_answer(request.user, v.position) for v in views], status=207)


class PositionApi(AlpacaApi):
    def get(self, request, symbol_or_asset_id: str):
        return Response(position_json(_position_view(request.user, symbol_or_asset_id)))

    def delete(self, request, symbol_or_asset_id: str):
        """Close a position (all of it, `qty` shares, or a `percentage`): the closing order."""
        position = _position_view(request.user, symbol_or_asset_id).position
        qty = _close_qty(position, request.query_params)
        if not qty:
            raise invalid("percentage", "that percentage is less than one lot")
        return Response(order_json(_close(request.user, position, qty)))
