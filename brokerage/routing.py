"""Websocket URL routes: one endpoint, many subscriptions."""

from django.urls import path

from brokerage.consumers import EchoConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
]
