"""The market-data stream messages: `quote` (reference prices) and `candle` (bars).

One builder per message type: the snapshot a new subscriber gets and the live updates after
it come from the same function, so they carry the same fields.
"""

from __future__ import annotations

from typing import Any

from core.streams import candles_group, event, now_ms, publish, quotes_group
from core.times import rfc3339
from marketdata.models import Stock
from marketdata.selectors import PricedStock


def _dec(value) -> str | None:
    return None if value is None else str(value)


def quote_payload(stock: Stock | PricedStock, *, stale: bool | None = None) -> dict[str, Any]:
    """A stock's reference price and the day's range, as the `quotes` stream sends it."""
    return {
        "symbol": stock.symbol,
        "price": _dec(stock.reference_price),
        "previous_close": _dec(stock.previous_close),
        "change": _dec(stock.change),
        "change_pct": _dec(stock.change_pct),
        "day_high": _dec(stock.day_high),
        "day_low": _dec(stock.day_low),
        "stale": bool(stock.price_stale) if stale is None else stale,
        "source": stock.price_source,
        "time": rfc3339(stock.price_updated_at),
        "status": stock.status,  # "active" or "halted": pages show halts as they happen
    }


def quote_message(stock: Stock) -> dict[str, Any]:
    """The client message of a quote (snapshot or update)."""
    return {"type": "quote", **quote_payload(stock), "ts": now_ms()}


def publish_quotes(quotes: list[dict[str, Any]]) -> None:
    """Publish reference-price changes (see `quote_payload`), one message per symbol."""
    ts = now_ms()
    publish(
        [
            (
                quotes_group(quote["symbol"]),
                event("quotes", quote["symbol"], {"quotes": {"type": "quote", **quote, "ts": ts}}),
            )
            for quote in quotes
        ]
    )


def publish_candle(candle: dict[str, Any]) -> None:
    """Publish a bar update: `{"symbol", "interval", "start", "open", "high", "low", "close",
    "volume", ...}` (a still-forming bar may be sent repeatedly)."""
    symbol = candle["symbol"]
    message = {"type": "candle", **candle, "ts": now_ms()}
    publish([(candles_group(symbol), event("candles", symbol, {"candles": message}))])
