"""Websocket URL routes: one endpoint, many subscriptions (see `trading.consumers`)."""

from django.urls import path

from trading.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/", StreamConsumer.as_asgi()),
]
