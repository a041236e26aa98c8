"""The market-data stream messages: `quote` (reference prices) and `candle` (bars).

One builder per message type: the snapshot a new subscriber gets and the live updates after
it come from the same function, so they carry the same fields.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from core.streams import candles_group, event, now_ms, publish, quotes_group
from core.times import rfc3339
from marketdata.models import Stock
from marketdata.selectors import Candle, PricedStock


# One TypedDict per client message; `docs/stream-messages.schema.json` is the same contract
# for clients, checked against these by `streams/tests/test_contract.py`.
class QuotePayload(TypedDict):
    """A stock's reference price and the day's range."""

    symbol: str
    price: str | None
    previous_close: str | None
    change: str | None
    change_pct: str | None
    day_high: str | None
    day_low: str | None
    stale: bool
    source: str
    time: str | None
    status: str


class QuoteMessage(QuotePayload):
    type: Literal["quote"]
    ts: float


class CandlePayload(TypedDict):
    """A bar, money as strings; a still-forming bar may be sent repeatedly."""

    symbol: str
    interval: str
    start: str | None
    open: str
    high: str
    low: str
    close: str
    volume: int
    trades: int
    auction_prints: int
    source: str


class CandleMessage(CandlePayload):
    type: Literal["candle"]
    ts: float


def _dec(value) -> str | None:
    return None if value is None else str(value)


def quote_payload(stock: Stock | PricedStock, *, stale: bool | None = None) -> QuotePayload:
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


def quote_message(stock: Stock) -> QuoteMessage:
    """The client message of a quote (snapshot or update)."""
    return {"type": "quote", **quote_payload(stock), "ts": now_ms()}


def candle_payload(symbol: str, bar: Candle, interval: str = "1m") -> CandlePayload:
    """The candles-stream payload of a bar (money as strings)."""
    return {
        "symbol": symbol,
        "interval": interval,
        "start": rfc3339(bar.start),
        "open": str(bar.open),
        "high": str(bar.high),
        "low": str(bar.low),
        "close": str(bar.close),
        "volume": bar.volume,
        "trades": bar.trades,
        "auction_prints": bar.auction_prints,
        "source": bar.source,
    }


def candle_message(candle: CandlePayload, ts: float) -> CandleMessage:
    return {"type": "candle", **candle, "ts": ts}


def publish_quotes(quotes: list[QuotePayload]) -> None:
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


def publish_candle(candle: CandlePayload) -> None:
    """Publish a bar update (a still-forming bar may be sent repeatedly)."""
    symbol = candle["symbol"]
    message = candle_message(candle, now_ms())
    publish([(candles_group(symbol), event("candles", symbol, {"candles": message}))])
