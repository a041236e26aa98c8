"""Polygon (now Massive): the whole market's daily bars in one call, 5 calls a minute for free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote as quote_path

from .base import (
    NEW_YORK,
    WHOLE_MARKET,
    Provider,
    ProviderError,
    Quote,
    _Round,
    from_epoch_ms,
    parse_price,
    session_close,
    shown,
)

OK_STATUSES = ("OK", "DELAYED")


def previous_weekday(day: date) -> date:
    """The weekday before `day` (Friday for a Monday)."""
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass
class _Day:
    """One trading date's grouped bars by ticker; empty for a holiday or unpublished day."""

    bars: dict[str, dict[str, Any]]
    fetched_at: datetime


@dataclass
class _Single:
    """A /prev answer for a ticker missing from the grouped bars, kept for one latest day."""

    latest_day: date
    quote: Quote | None = field(default=None)


class PolygonProvider(Provider):
    """Grouped daily bars: GET /v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=true.

    The free tier serves finished days, so the latest usable date is the previous weekday
    (New York time), stepping back a weekday at a time over holidays, at most
    `max_days_back` times. A finished day does not change, so each date is asked once and
    kept: after the first round, rounds cost no call until the date rolls over. The price
    is that day's close and the quote time the day's 16:00 close; `previous_close` is the
    close on the trading day before, from a second grouped call (the open would be a
    different number), or None until the budget has allowed that call. A ticker missing
    from the grouped bars is asked once per date through /v2/aggs/ticker/{T}/prev, with
    previous_close None. The key goes in an Authorization: Bearer header, never the URL.
    Polygon has become Massive: pass base_url="https://api.massive.com" to switch.
    """

    name = "polygon"
    requests_per_minute = 5
    requests_per_day = None
    max_batch = WHOLE_MARKET
    default_base_url = "https://api.polygon.io"
    max_days_back = 5  # a holiday next to a weekend needs 2; 5 also covers a closure week
    empty_day_ttl = timedelta(hours=1)  # an empty answer may only mean "not published yet"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._days: dict[date, _Day] = {}
        self._singles: dict[str, _Single] = {}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key.reveal()}"}

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        today = self._now().astimezone(NEW_YORK).date()
        latest = self._latest_day(previous_weekday(today))
        if latest is None:
            return
        day, bars = latest
        # The latest day is already in hand: a failure fetching the day before costs only
        # the previous closes, so the prices still go out and the error is raised after.
        failure: ProviderError | None = None
        try:
            before = self._latest_day(previous_weekday(day))
        except ProviderError as exc:
            before, failure = None, exc
        previous_bars = before[1] if before else {}
        self._forget_before(day - timedelta(days=14))

        missing = []
        for symbol in symbols:
            bar = bars.get(symbol)
            if bar is None:
                missing.append(symbol)
                continue
            price = parse_price(bar.get("c"))
            if price is None:
                collected.drop(symbol, f"bad price {shown(bar.get('c'))}")
                continue
            previous = parse_price(previous_bars.get(symbol, {}).get("c"))
            collected.add(Quote(symbol, price, previous, session_close(day)))
        if failure is not None:
            raise failure

        for symbol in missing:
            single = self._singles.get(symbol)
            if single is None or single.latest_day != day:
                if not self.limiter.try_acquire():
                    return
                single = self._singles[symbol] = _Single(day, self._previous_bar(symbol))
            if single.quote is None:
                collected.drop(symbol, "unknown symbol")
            else:
                collected.add(single.quote)

    def _latest_day(self, start: date) -> tuple[date, dict[str, dict[str, Any]]] | None:
        """The newest date at or before `start` with bars, or None when out of budget."""
        day = start
        for _ in range(self.max_days_back):
            known = self._days.get(day)
            stale = (
                known is not None
                and not known.bars
                and (self._now() - known.fetched_at >= self.empty_day_ttl)
            )
            if known is None or stale:
                if not self.limiter.try_acquire():
                    return None
                known = self._days[day] = _Day(self._grouped(day), self._now())
            if known.bars:
                return day, known.bars
            day = previous_weekday(day)
        raise ProviderError(
            f"{self.name}: no grouped daily bars for {self.max_days_back} weekdays up to {start}"
        )

    def _grouped(self, day: date) -> dict[str, dict[str, Any]]:
        _, data = self._get_json(
            f"/v2/aggs/grouped/locale/us/market/stocks/{day.isoformat()}",
            params={"adjusted": "true"},
            headers=self._headers(),
        )
        results = self._results(data, "grouped daily")
        return {bar["T"]: bar for bar in results if isinstance(bar, dict) and "T" in bar}

    def _previous_bar(self, symbol: str) -> Quote | None:
        _, data = self._get_json(
            f"/v2/aggs/ticker/{quote_path(symbol, safe='')}/prev",
            params={"adjusted": "true"},
            headers=self._headers(),
        )
        results = self._results(data, "previous day")
        if not results or not isinstance(results[0], dict):
            return None
        price = parse_price(results[0].get("c"))
        if price is None:
            return None
        bar_start = from_epoch_ms(results[0].get("t"))
        when = session_close(bar_start.astimezone(NEW_YORK).date()) if bar_start else self._now()
        return Quote(symbol, price, None, when)

    def _results(self, data: object, what: str) -> list[Any]:
        if not isinstance(data, dict):
            raise ProviderError(f"{self.name}: {what} answer is not an object")
        status = data.get("status")
        if status not in OK_STATUSES:
            detail = data.get("error") or data.get("message") or ""
            raise ProviderError(
                f"{self.name}: {what} answered status {shown(status)}"
                + (f": {self._clean(str(detail))}" if detail else "")
            )
        results = data.get("results")
        if results is None:
            if data.get("resultsCount", 0) in (0, None):
                return []
            raise ProviderError(f"{self.name}: {what} answer has a count but no results")
        if not isinstance(results, list):
            raise ProviderError(f"{self.name}: {what} results are not a list")
        return results

    def _forget_before(self, cutoff: date) -> None:
        for day in [d for d in self._days if d < cutoff]:
            del self._days[day]
