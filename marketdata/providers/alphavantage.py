"""Alpha Vantage: GLOBAL_QUOTE, one symbol per call, 5 calls a minute and 25 a day for free."""

from __future__ import annotations

from datetime import date, datetime

from .base import (
    NEW_YORK,
    Provider,
    ProviderError,
    Quote,
    RateLimited,
    _Round,
    parse_price,
    session_close,
    shown,
)


class AlphaVantageProvider(Provider):
    """GET /query?function=GLOBAL_QUOTE&symbol=IBM&apikey=KEY → {"Global Quote": {...}}.

    Alpha Vantage only takes the key as a query parameter, so its URLs are secret: they
    never reach an exception text, and urllib3's debug log line is redacted. It signals
    throttling with HTTP 200 and a "Note" or "Information" body, which counts as a 429. An
    unknown symbol answers an empty "Global Quote" and is dropped. The answer carries only
    the trading day, so a quote's time is that day's close, or now while the day is open.
    """

    name = "alphavantage"
    requests_per_minute = 5
    requests_per_day = 25
    max_batch = 1
    default_base_url = "https://www.alphavantage.co"

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        for symbol in symbols:
            if not self.limiter.try_acquire():
                return
            _, data = self._get_json(
                "/query",
                params={"function": "GLOBAL_QUOTE", "symbol": symbol, "apikey": self._key.reveal()},
            )
            if not isinstance(data, dict):
                raise ProviderError(f"{self.name}: GLOBAL_QUOTE answer is not an object")
            for field in ("Note", "Information"):
                if field in data:
                    raise RateLimited(0, f"{self.name}: throttled: {self._clean(str(data[field]))}")
            if "Error Message" in data:
                raise ProviderError(
                    f"{self.name}: GLOBAL_QUOTE refused: {self._clean(str(data['Error Message']))}"
                )
            quote = data.get("Global Quote")
            if not isinstance(quote, dict):
                raise ProviderError(f"{self.name}: GLOBAL_QUOTE answer has no 'Global Quote'")
            if not quote:
                collected.drop(symbol, "unknown symbol")
                continue
            if "05. price" not in quote:
                raise ProviderError(f"{self.name}: GLOBAL_QUOTE for {symbol} has no '05. price'")
            price = parse_price(quote["05. price"])
            if price is None:
                collected.drop(symbol, f"bad price {shown(quote['05. price'])}")
                continue
            previous = parse_price(quote.get("08. previous close"))
            collected.add(Quote(symbol, price, previous, self._quote_time(quote)))

    def _quote_time(self, quote: dict) -> datetime:
        now = self._now()
        try:
            day = date.fromisoformat(str(quote.get("07. latest trading day")))
        except ValueError:
            return now
        if day > now.astimezone(NEW_YORK).date():
            return now  # a date in our future is a clock disagreement; trust our clock
        return min(now, session_close(day))
