"""Websocket URL routes: one endpoint, many subscriptions (see `trading.consumers`)."""

from django.urls import path

from trading.consumers import StreamConsumer

websocket_urlpatterns = [
    # Channels routes ASGI apps with Django's path(), whose stub knows only views.
    path("ws/", StreamConsumer.as_asgi()),  # type: ignore[arg-type]
]
