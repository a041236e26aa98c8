"""Market-data providers: reference prices from a simulator or a third-party API, within budget.

Pure Python, no Django. The `pull_prices` job holds one provider per worker process and
calls `fetch(symbols)` once per tick, with the symbols it cares most about first::

    provider = get_provider(settings.MARKETDATA_PROVIDER, settings.MARKETDATA_API_KEY)
    try:
        quotes = provider.fetch(symbols)
    except RateLimited as exc:     # refused: wait exc.retry_after_seconds
        quotes = exc.quotes
    except ProviderError as exc:   # timeout, 5xx, junk, bad key: back off
        quotes = exc.quotes
    # store `quotes` after is_sane(quote.price, stored_price); every other symbol keeps its
    # last good price and goes stale

The error design:

- `fetch` returns a list of `Quote`. One call is one round: it spends only what the
  provider's free-tier budget allows right now (a sliding window per minute and per day,
  `RateLimiter`), so symbols it did not reach are simply absent, as are symbols whose
  price was unusable (zero, negative, NaN, Infinity, not a number, unknown symbol). Drops
  are logged in one line per round and listed in `provider.last_dropped`.
- A failure ends the round by raising `ProviderError` whose `quotes` attribute holds the
  quotes obtained before it. `RateLimited` (a `ProviderError`) is raised for an HTTP 429,
  Alpha Vantage's "Note"/"Information" bodies and Twelve Data's code 429; its
  `retry_after_seconds` is the back-off the provider itself now observes (exponential
  from 10 s, capped at 10 min, never shorter than a Retry-After header). During that
  back-off `fetch` makes no call and raises `RateLimited` with the time left.
- No text the provider produces carries the API key: not exception messages (requests'
  own texts, which contain the URL, are replaced by ours), not `repr()`, not log records.

Each process keeps its own budget; where several processes share one key, pass the
budget around with `export_state()` / `restore_state()` under a lock.
"""

from __future__ import annotations

from decimal import Decimal

import requests

from .alphavantage import AlphaVantageProvider
from .base import Provider, ProviderError, Quote, RateLimited, is_sane, parse_price
from .finnhub import FinnhubProvider
from .polygon import PolygonProvider
from .ratelimit import Backoff, Clock, Limit, RateLimiter
from .simulated import SimulatedProvider
from .twelvedata import TwelveDataProvider

__all__ = [
    "PROVIDERS",
    "AlphaVantageProvider",
    "Backoff",
    "FinnhubProvider",
    "Limit",
    "PolygonProvider",
    "Provider",
    "ProviderError",
    "Quote",
    "RateLimited",
    "RateLimiter",
    "SimulatedProvider",
    "TwelveDataProvider",
    "get_provider",
    "is_sane",
    "parse_price",
]

PROVIDERS: dict[str, type[Provider]] = {
    provider.name: provider
    for provider in (
        SimulatedProvider,
        FinnhubProvider,
        AlphaVantageProvider,
        PolygonProvider,
        TwelveDataProvider,
    )
}


def get_provider(
    name: str,
    api_key: str | None,
    *,
    session: requests.Session | None = None,
    clock: Clock | None = None,
    seed_prices: dict[str, Decimal] | None = None,
    base_url: str | None = None,
    seed: int | str = 0,
) -> Provider:
    """The provider named `name`, configured; raises ProviderError on a bad name or no key.

    Called by the system check (`marketdata.checks`) so that a misconfiguration stops
    `manage.py check`, `migrate` and `make run` at once.
    """
    cleaned = (name or "").strip().lower()
    provider_class = PROVIDERS.get(cleaned)
    if provider_class is None:
        raise ProviderError(
            f"MARKETDATA_PROVIDER={_shown_name(name)} is not a provider;"
            f" choose one of: {', '.join(PROVIDERS)}"
        )
    key = (api_key or "").strip()
    if provider_class.needs_key and not key:
        raise ProviderError(
            f"MARKETDATA_PROVIDER={cleaned} needs MARKETDATA_API_KEY or MARKETDATA_API_KEY_FILE"
        )
    if provider_class is SimulatedProvider:
        return SimulatedProvider(clock=clock, seed=seed, seed_prices=seed_prices)
    return provider_class(key, session=session, clock=clock, base_url=base_url)


def _shown_name(name: str | None) -> str:
    """The configured name for an error message, unless it could be a key pasted by mistake."""
    # Provider names are short; API keys are 16 characters or more.
    if name and len(name) <= 15 and name.isprintable():
        return repr(name)
    return f"(a value of {len(name or '')} characters)"
