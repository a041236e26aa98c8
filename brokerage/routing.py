"""Websocket URL routes: one endpoint, many subscriptions (see `streams.consumers`), and the
Alpaca-compatible streams (see `alpaca_adapter.routing`)."""

from django.urls import path, re_path

from alpaca_adapter import routing as alpaca_routing
from alpaca_adapter.streams.trading import NoSuchStream
from streams.consumers import StreamConsumer

websocket_urlpatterns = [
    # Channels routes ASGI apps with Django's path(), whose stub knows only views.
    path("ws/", StreamConsumer.as_asgi()),  # type: ignore[arg-type]
    *alpaca_routing.websocket_urlpatterns,
    re_path(r"^.*$", NoSuchStream.as_asgi()),  # type: ignore[arg-type]
]
