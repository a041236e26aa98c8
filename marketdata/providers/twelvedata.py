"""Twelve Data: batch /quote, one credit per symbol, 8 credits a minute and 800 a day for free."""

from __future__ import annotations

from typing import Any

from .base import (
    Provider,
    ProviderError,
    Quote,
    RateLimited,
    _Round,
    from_epoch,
    parse_price,
    shown,
)

# Codes Twelve Data puts in an error body that concern one symbol, not the request.
SYMBOL_ERROR_CODES = (400, 404)


class TwelveDataProvider(Provider):
    """GET /quote?symbol=AAPL,MSFT → {"AAPL": {...}, "MSFT": {...}}; one symbol → the object.

    The budget counts credits, not calls: a batch of n symbols costs n, so a round sends
    batches of up to `max_batch` symbols while credits last. Errors come as
    {"code", "message", "status": "error"}, with HTTP 200 or the matching status: code 429
    is a refusal, 401/403 a bad key, 400/404 an unknown symbol (dropped; inside a batch it
    is that symbol's entry). The key goes in an Authorization: apikey header.
    """

    name = "twelvedata"
    requests_per_minute = 8  # credits
    requests_per_day = 800  # credits
    max_batch = 8
    default_base_url = "https://api.twelvedata.com"

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        remaining = list(symbols)
        while remaining:
            size = min(self.max_batch, len(remaining), self.limiter.available())
            if size < 1 or not self.limiter.try_acquire(size):
                return
            batch, remaining = remaining[:size], remaining[size:]
            _, data = self._get_json(
                "/quote",
                params={"symbol": ",".join(batch)},
                headers={"Authorization": f"apikey {self._key.reveal()}"},
                passthrough_statuses=SYMBOL_ERROR_CODES,
            )
            if not isinstance(data, dict):
                raise ProviderError(f"{self.name}: /quote answer is not an object")
            if _is_error(data):
                self._raise_or_drop(data, batch, collected)
                continue
            if len(batch) == 1 and "close" in data:
                self._read_item(batch[0], data, collected)
                continue
            for symbol in batch:
                self._read_item(symbol, data.get(symbol), collected)

    def _raise_or_drop(self, error: dict[str, Any], batch: list[str], collected: _Round) -> None:
        code = _code(error)
        message = self._clean(str(error.get("message", "")))
        if code == 429:
            raise RateLimited(0, f"{self.name}: out of credits: {message}")
        if code in SYMBOL_ERROR_CODES and len(batch) == 1:
            collected.drop(batch[0], f"error {code}")
            return
        raise ProviderError(f"{self.name}: /quote answered error {shown(code)}: {message}")

    def _read_item(self, symbol: str, item: object, collected: _Round) -> None:
        # One unreadable entry must not cost the rest of the batch, so it is dropped, not raised.
        if not isinstance(item, dict):
            collected.drop(symbol, "missing from the answer")
            return
        if _is_error(item):
            collected.drop(symbol, f"error {shown(_code(item))}")
            return
        price = parse_price(item.get("close"))
        if price is None:
            collected.drop(symbol, f"bad price {shown(item.get('close'))}")
            return
        when = from_epoch(item.get("last_quote_at")) or from_epoch(item.get("timestamp"))
        previous = parse_price(item.get("previous_close"))
        collected.add(Quote(symbol, price, previous, when or self._now()))


def _is_error(data: dict[str, Any]) -> bool:
    return data.get("status") == "error"


def _code(error: dict[str, Any]) -> int | None:
    try:
        return int(str(error.get("code")))
    except ValueError:
        return None
