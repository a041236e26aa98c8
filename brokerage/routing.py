"""Websocket URL routes: one endpoint, many subscriptions (see `streams.consumers`)."""

from django.urls import path, re_path

from streams.consumers import StreamConsumer
from trading.alpaca_data_stream import DataStreamConsumer
from trading.alpaca_stream import NoSuchStream, TradingStreamConsumer

websocket_urlpatterns = [
    # Channels routes ASGI apps with Django's path(), whose stub knows only views.
    path("ws/", StreamConsumer.as_asgi()),  # type: ignore[arg-type]
    # Alpaca's trading stream, for alpaca-py's TradingStream(url_override="ws://HOST/stream")
    # and alpaca-trade-api (which asks for `/stream/`); under `/api` too, and with the doubled
    # slash a base URL ending in one makes, as the REST API takes them.
    re_path(
        r"^/*(?:api/+)?stream/?$",
        TradingStreamConsumer.as_asgi(),  # type: ignore[arg-type]
    ),
    # Alpaca's market-data stream, for StockDataStream(url_override="ws://HOST/v2/iex"); every
    # feed name serves the same data: this exchange's own.
    re_path(
        r"^/*(?:api/+)?v2/+(?P<feed>iex|sip|delayed_sip)/?$",
        DataStreamConsumer.as_asgi(),  # type: ignore[arg-type]
    ),
    re_path(r"^.*$", NoSuchStream.as_asgi()),  # type: ignore[arg-type]
]
