"""Alpaca's websocket paths: the trading stream and the market-data stream."""

from django.urls import re_path

from alpaca_adapter.streams.market_data import DataStreamConsumer
from alpaca_adapter.streams.trading import TradingStreamConsumer

websocket_urlpatterns = [
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
]
