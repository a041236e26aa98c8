"""Websocket URL routes: one endpoint, many subscriptions (see `trading.consumers`)."""

from django.urls import path, re_path

from trading.alpaca_stream import NoSuchStream, TradingStreamConsumer
from trading.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/", StreamConsumer.as_asgi()),
    # Alpaca's trading stream, for alpaca-py's TradingStream(url_override="ws://HOST/stream").
    path("stream", TradingStreamConsumer.as_asgi()),
    re_path(r"^.*$", NoSuchStream.as_asgi()),
]
