"""Price alerts and notifications under /api/v1/: list, create and delete alerts; read and
mark read the notification list. Refusals answer {"code", "message", "fields"}."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import BodyInput
from core.api_output import Output
from trading.alerts import selectors, services
from trading.apis import PriceField, _amount


class LevelField(PriceField):
    """An alert's level: a price as the schema says one looks like (`PRICE_SCHEMA`), read by
    the service with its own code (`invalid_level`, `level_off_tick`)."""

    code = "invalid_level"


class AlertInput(BodyInput):
    symbol = serializers.CharField(max_length=12)
    direction = serializers.ChoiceField(choices=["above", "below"])
    level = LevelField(help_text='The price, as a string ("105.50"), on the stock\'s tick.')


class AlertOutput(Output):
    id = serializers.IntegerField()
    symbol = serializers.CharField(source="stock.symbol")
    direction = serializers.CharField()
    level = _amount()
    status = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    fired_at = serializers.DateTimeField(allow_null=True)
    fired_price = _amount(allow_null=True)

    def get_status(self, alert) -> str:
        return "armed" if alert.fired_at is None else "fired"


class AlertsApi(APIView):
    @extend_schema(responses=AlertOutput(many=True), operation_id="alerts_list")
    def get(self, request):
        """Your price alerts: the armed ones first, then the ones that fired."""
        return Response(AlertOutput(selectors.alerts_for(user=request.user), many=True).data)

    @extend_schema(request=AlertInput, responses={201: AlertOutput}, operation_id="alerts_create")
    def post(self, request):
        """Arm an alert: notified once when the stock's price (its last trade here, or its
        reference price if it has not traded here) reaches the level."""
        data = AlertInput(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.price_alert_create(user=request.user, **data.validated_data)
        return Response(AlertOutput(alert).data, status=status.HTTP_201_CREATED)


class AlertDetailApi(APIView):
    @extend_schema(responses={204: None}, operation_id="alerts_delete")
    def delete(self, request, alert_id: str):
        """Delete one of your alerts."""
        services.price_alert_delete(user=request.user, alert_id=alert_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationOutput(Output):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.SerializerMethodField()

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationsApi(APIView):
    @extend_schema(responses=NotificationOutput(many=True), operation_id="notifications_list")
    def get(self, request):
        """Your latest notifications (fills, price alerts that fired), newest first."""
        rows = selectors.notifications_for(user=request.user)
        return Response(NotificationOutput(rows, many=True).data)


class ReadOutput(Output):
    marked = serializers.IntegerField()


class NotificationsReadApi(APIView):
    @extend_schema(request=None, responses=ReadOutput, operation_id="notifications_mark_read")
    def post(self, request):
        """Mark every notification of yours read."""
        return Response({"marked": services.notifications_mark_read(user=request.user)})
