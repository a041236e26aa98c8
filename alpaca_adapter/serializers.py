"""Alpaca's order requests, read by input serializers as `/api/v1` reads its own.

Alpaca's clients send loose JSON (numbers as strings, names in any case, fields we do not
support yet), and every refusal keeps Alpaca's answer: 422 with its own `reason`
(`invalid_side`, `unsupported_order_type`, ...), raised as a `TradingError` in the order the
fields are declared, the first refusal only. Values `order_place` checks itself (qty, limit
price, client order id) pass through untouched so both APIs refuse them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from alpaca_adapter import selectors
from alpaca_adapter.parsing import blank, choice, invalid, positive_decimal, unsupported
from trading.errors import TradingError

SUPPORTED_TYPES = ("market", "limit")
UNSUPPORTED_TYPES = ("stop", "stop_limit", "trailing_stop")
SUPPORTED_TIF = ("day", "gtc", "ioc", "fok")
UNSUPPORTED_TIF = ("opg", "cls")
UNSUPPORTED_CLASSES = ("bracket", "oco", "oto", "mleg")
LEGS = ("take_profit", "stop_loss")


class Loose(serializers.Field):
    """A value as the client sent it (null included), or `default` when it is left out; each
    subclass reads the one or the other alike."""

    def __init__(self, *, default: object = None, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=True, **kwargs)
        self.missing = default

    def run_validation(self, data: object = empty) -> object:
        return self.to_internal_value(self.missing if data is empty else data)

    def to_internal_value(self, data: object) -> object:
        return data

    def to_representation(self, value: object) -> object:
        return value


class Choice(Loose):
    """One of `supported`, in any case; one we do not support yet is a 422 of its own."""

    def __init__(
        self,
        supported: tuple[str, ...],
        unsupported_values: tuple[str, ...] = (),
        *,
        code: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.supported, self.unsupported_values, self.code = supported, unsupported_values, code

    def to_internal_value(self, data: object) -> str:
        return choice(
            data, str(self.field_name), self.supported, self.unsupported_values, code=self.code
        )


class NotSupported(Loose):
    """A field of an order kind this exchange does not have yet: any value is a 422."""

    def __init__(self, code: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.code = code

    def to_internal_value(self, data: object) -> None:
        if not blank(data):
            raise unsupported(self.code, str(self.field_name), data)
        return None


class AlpacaInput(serializers.Serializer):
    """A request body that must be a JSON object; refusals are Alpaca's (see the module)."""

    def run_validation(self, data: Any = empty) -> Any:
        if not isinstance(data, Mapping):  # a JSON list, string or null
            raise invalid("body", "the request body must be a JSON object")
        return super().run_validation(data)


class OrderInput(AlpacaInput):
    """A new order: market or limit, by qty or notional; day, gtc, ioc or fok."""

    type = Choice(
        SUPPORTED_TYPES, UNSUPPORTED_TYPES, default="market", code="unsupported_order_type"
    )
    time_in_force = Choice(SUPPORTED_TIF, UNSUPPORTED_TIF, default="day")
    side = Choice(("buy", "sell"))
    order_class = Loose(default="simple")
    stop_price = NotSupported("unsupported_order_type")
    trail_price = NotSupported("unsupported_order_type")
    trail_percent = NotSupported("unsupported_order_type")
    extended_hours = Loose()
    position_intent = Loose()
    symbol = Loose()
    qty = Loose()
    notional = Loose()
    limit_price = Loose()
    client_order_id = Loose()

    def validate_order_class(self, value: object) -> str:
        order_class = str(value or "simple").strip().lower()
        if order_class in UNSUPPORTED_CLASSES:
            raise unsupported("unsupported_order_class", "order_class", order_class)
        for leg in LEGS:
            if not blank(self.initial_data.get(leg)):
                # Named for itself: without an order_class, "simple" was never the problem.
                raise TradingError(
                    "unsupported_order_class",
                    f"{leg} is not supported yet on this exchange: bracket, OCO and OTO orders "
                    "are not.",
                    fields={leg: ["Not supported yet."]},
                )
        if order_class != "simple":
            raise invalid("order_class", f"invalid order_class: {order_class!r}")
        return order_class

    def validate_extended_hours(self, value: object) -> bool:
        if value in (True, "true", "True"):
            raise unsupported("unsupported_extended_hours", "extended_hours", True)
        return False

    def validate_position_intent(self, value: object) -> object:
        if value in ("sell_to_open", "buy_to_close"):
            raise unsupported("unsupported_short_sale", "position_intent", value)
        if not blank(value) and value not in ("buy_to_open", "sell_to_close"):
            raise invalid("position_intent", f"invalid position_intent: {value!r}")
        return value

    def validate_symbol(self, value: object) -> str:
        if blank(value):
            raise invalid("symbol", "symbol is required")
        return str(value).strip().upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        qty, notional = attrs["qty"], attrs["notional"]
        if not blank(qty) and not blank(notional):
            raise invalid("notional", "qty and notional cannot both be given", "qty_and_notional")
        if blank(qty) and blank(notional):
            raise invalid("qty", "qty or notional is required", "qty_required")
        if not blank(notional) and attrs["type"] != "market":
            raise invalid("notional", "notional is only for market orders", "notional_not_allowed")
        return attrs

    def order_fields(self) -> dict[str, Any]:
        """The valid request as `order_place` keywords; a notional becomes whole lots."""
        data = self.validated_data
        qty = data["qty"]
        if not blank(data["notional"]):
            amount = positive_decimal(data["notional"], "notional")
            stock = selectors.stock_for(data["symbol"])
            qty = selectors.qty_for_notional(stock, data["side"], amount)
        return {
            "symbol": data["symbol"],
            "side": data["side"],
            "type": data["type"],
            "time_in_force": data["time_in_force"],
            "qty": qty,
            "limit_price": data["limit_price"],
            "client_order_id": data["client_order_id"] or None,
        }


class OrderReplaceInput(serializers.Serializer):
    """What a replacement changes: qty, limit_price, time_in_force, client_order_id."""

    stop_price = NotSupported("unsupported_order_type")
    trail = NotSupported("unsupported_order_type")
    qty = Loose()
    limit_price = Loose()
    time_in_force = Loose()
    client_order_id = Loose()

    def run_validation(self, data: Any = empty) -> Any:
        # A body that is not an object changes nothing (and is refused as such by the service).
        return super().run_validation(data if isinstance(data, Mapping) else {})

    def validate_time_in_force(self, value: object) -> str | None:
        if blank(value):
            return None
        return choice(value, "time_in_force", SUPPORTED_TIF, UNSUPPORTED_TIF)

    def replace_fields(self) -> dict[str, Any]:
        """The valid request as `order_replace` keywords."""
        data = self.validated_data
        return {
            "qty": data["qty"],
            "limit_price": data["limit_price"],
            "time_in_force": data["time_in_force"],
            "client_order_id": data["client_order_id"] or None,
        }
