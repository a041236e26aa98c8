"""Finnhub: one symbol per call to /quote, 60 calls a minute on the free tier."""

from __future__ import annotations

from .base import Provider, ProviderError, Quote, _Round, from_epoch, parse_price, shown


class FinnhubProvider(Provider):
    """GET /api/v1/quote?symbol=AAPL → {"c": last, "pc": previous close, "t": epoch s, ...}.

    The key travels in the X-Finnhub-Token header (documented as equivalent to the `token`
    query parameter) so that it is never part of a URL. An unknown symbol answers all
    zeros and is dropped. Finnhub also caps bursts at 30 calls a second; calls here are
    sequential, each a network round trip, so a round stays well under that.
    """

    name = "finnhub"
    requests_per_minute = 60
    requests_per_day = None
    max_batch = 1
    default_base_url = "https://finnhub.io/api/v1"

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        for symbol in symbols:
            if not self.limiter.try_acquire():
                return
            _, data = self._get_json(
                "/quote", params={"symbol": symbol}, headers={"X-Finnhub-Token": self._key.reveal()}
            )
            if not isinstance(data, dict) or "c" not in data:
                raise ProviderError(f"{self.name}: /quote answer for {symbol} has no price field")
            price = parse_price(data["c"])
            if price is None:
                unknown = data["c"] == 0 and not data.get("t")
                collected.drop(
                    symbol, "unknown symbol" if unknown else f"bad price {shown(data['c'])}"
                )
                continue
            time = from_epoch(data.get("t")) or self._now()
            collected.add(Quote(symbol, price, parse_price(data.get("pc")), time))
