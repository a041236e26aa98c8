"""The provider contract: quotes, errors, price checks and the shared HTTP plumbing."""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from core.env import Secret

from .ratelimit import UNLIMITED, Backoff, Clock, Limit, RateLimiter, utc_now

logger = logging.getLogger("marketdata.providers")

NEW_YORK = ZoneInfo("America/New_York")
SESSION_CLOSE = time(16, 0)

# No listed share trades anywhere near this; a bigger number is a unit or parsing mistake.
MAX_PRICE = Decimal("100000000")

# max_batch of a provider that prices any number of symbols in one call.
WHOLE_MARKET = UNLIMITED


@dataclass(frozen=True)
class Quote:
    """A reference price for one symbol at one moment."""

    symbol: str
    price: Decimal
    previous_close: Decimal | None
    time: datetime

    def __post_init__(self) -> None:
        # The last line of defence: adapters filter with parse_price, so this never fires.
        if _checked_price(self.price) is None:
            raise ValueError(f"{self.symbol}: not a usable price: {self.price!r}")
        if self.previous_close is not None and _checked_price(self.previous_close) is None:
            raise ValueError(f"{self.symbol}: not a usable previous close: {self.previous_close!r}")
        if self.time.tzinfo is None:
            raise ValueError(f"{self.symbol}: quote time must be timezone-aware")
        object.__setattr__(self, "time", self.time.astimezone(UTC))


class ProviderError(Exception):
    """The provider could not be asked or did not answer usefully; keep the last good prices.

    `quotes` holds what the round obtained before the failure: store them, then back off.
    """

    def __init__(self, message: str, *, quotes: Iterable[Quote] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.quotes: tuple[Quote, ...] = tuple(quotes)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, quotes={len(self.quotes)})"


class RateLimited(ProviderError):
    """The provider refused for rate reasons; make no call for `retry_after_seconds`."""

    def __init__(
        self, retry_after_seconds: float, message: str = "", *, quotes: Iterable[Quote] = ()
    ) -> None:
        super().__init__(message or "rate limited", quotes=quotes)
        self.retry_after_seconds = float(retry_after_seconds)

    def __repr__(self) -> str:
        return f"RateLimited({self.retry_after_seconds:g}, {self.message!r}, quotes={len(self.quotes)})"


def _checked_price(value: Decimal) -> Decimal | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    if value <= 0 or value > MAX_PRICE:
        return None
    return value


def parse_price(value: object) -> Decimal | None:
    """A positive, finite Decimal from a JSON number or numeric string, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            # Only reached if someone parsed JSON without parse_float; str() keeps the digits sent.
            number = Decimal(str(value))
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return _checked_price(number)


def is_sane(new: Decimal, last: Decimal | None, max_jump: Decimal = Decimal("0.5")) -> bool:
    """Whether `new` is a usable price within `max_jump` (a fraction) of the last stored one."""
    if _checked_price(new) is None:
        return False
    if last is None or _checked_price(last) is None:
        return True
    return abs(new - last) <= last * max_jump


def shown(value: object, limit: int = 24) -> str:
    """A provider-sent value, shortened for a log line."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def session_close(day: date) -> datetime:
    """The regular-session close (16:00 New York) of `day`, in UTC."""
    return datetime.combine(day, SESSION_CLOSE, tzinfo=NEW_YORK).astimezone(UTC)


def from_epoch(seconds: object) -> datetime | None:
    """A UTC datetime from epoch seconds (number or numeric string); None when absent or 0."""
    try:
        value = float(str(seconds)) if not isinstance(seconds, bool) else 0.0
    except (TypeError, ValueError):
        return None
    if not 0 < value < 32_503_680_000:  # before the year 3000
        return None
    return datetime.fromtimestamp(value, UTC)


def from_epoch_ms(milliseconds: object) -> datetime | None:
    """A UTC datetime from epoch milliseconds; None when absent, 0 or not a number."""
    if isinstance(milliseconds, bool):
        return None
    try:
        seconds = Decimal(str(milliseconds)) / 1000
    except InvalidOperation:
        return None
    return from_epoch(seconds) if seconds.is_finite() else None


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _KeyRedactingFilter(logging.Filter):
    """Rewrites log records that would print a key, e.g. urllib3's debug line with the URL."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: dict[str, Secret] = {}

    def add(self, secret: Secret) -> None:
        """Redact `secret` from now on (each distinct key is kept once)."""
        self._secrets[secret.reveal()] = secret

    def _scrub(self, text: str) -> str:
        for secret in self._secrets.values():
            text = secret.scrub(text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = self._scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is printed scrubbed.
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
        return True


_redactor = _KeyRedactingFilter()
# urllib3 logs every request line, query string included, at DEBUG; our own logger is
# covered too, as a second line of defence behind the scrubbed messages.
logging.getLogger("urllib3.connectionpool").addFilter(_redactor)
logger.addFilter(_redactor)


class _Round:
    """What one fetch collected: quotes, and symbols dropped with the reason why."""

    def __init__(self) -> None:
        self.quotes: list[Quote] = []
        self.dropped: dict[str, str] = {}

    def add(self, quote: Quote) -> None:
        self.quotes.append(quote)

    def drop(self, symbol: str, reason: str) -> None:
        self.dropped[symbol] = reason


class Provider:
    """Base of the adapters: one `fetch` is one round of as many calls as the budget allows.

    An instance keeps its budget in memory and is not thread-safe: keep one per process.
    """

    name: ClassVar[str] = ""
    requests_per_minute: ClassVar[int | None] = None
    requests_per_day: ClassVar[int | None] = None
    max_batch: ClassVar[int] = 1
    needs_key: ClassVar[bool] = True
    default_base_url: ClassVar[str] = ""
    timeout_seconds: ClassVar[float] = 5.0
    # Our clock and the provider's disagree by network latency, so each window is kept a
    # little longer than the provider's: a second a minute (and a minute a day).
    window_slack_seconds: ClassVar[float] = 1.0

    def __init__(
        self,
        api_key: str | None = None,
        *,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        base_url: str | None = None,
    ) -> None:
        self._key = Secret(api_key or "")
        if self.needs_key and not self._key:
            raise ProviderError(f"the {self.name} provider needs an API key")
        if self._key:
            _redactor.add(self._key)
        self._session = session if session is not None else requests.Session()
        self._clock: Clock = clock or utc_now
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.limiter = RateLimiter(self._limits(), clock=self._clock)
        self.backoff = Backoff(clock=self._clock)
        self.last_dropped: dict[str, str] = {}
        self._answered = False  # whether this round got a readable answer

    def _limits(self) -> list[Limit]:
        limits = []
        if self.requests_per_minute:
            limits.append(Limit(self.requests_per_minute, 60 + self.window_slack_seconds))
        if self.requests_per_day:
            limits.append(Limit(self.requests_per_day, 86_400 + 60 * self.window_slack_seconds))
        return limits

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name!r} per_minute={self.requests_per_minute}"
            f" per_day={self.requests_per_day} max_batch={self.max_batch}>"
        )

    # -- the round -------------------------------------------------------------------------

    def fetch(self, symbols: list[str]) -> list[Quote]:
        """Quote as many of `symbols` (in the caller's order) as the budget allows right now.

        Returns the quotes obtained; symbols not reached or dropped are absent. On a failure
        raises ProviderError (RateLimited for refusals) carrying the quotes obtained before it.
        """
        wanted = list(dict.fromkeys(s for s in symbols if s))
        waiting = self.backoff.remaining()
        if waiting > 0:
            raise RateLimited(waiting, f"{self.name}: backing off for {waiting:.0f} s more")
        collected = _Round()
        self._answered = False
        try:
            self._fetch_round(wanted, collected)
        except RateLimited as exc:
            delay = self.backoff.trip(exc.retry_after_seconds or None)
            logger.warning("%s: rate limited (%s); no calls for %.0f s", self.name, exc, delay)
            raise RateLimited(delay, exc.message, quotes=collected.quotes) from None
        except ProviderError as exc:
            raise ProviderError(exc.message, quotes=collected.quotes) from None
        except (LookupError, TypeError, AttributeError, ValueError, ArithmeticError):
            # An answer shaped unlike the documentation tripped the parser: that is the
            # provider's failure to report, not a reason to crash the worker.
            logger.exception("%s: could not read the answer", self.name)
            raise ProviderError(
                f"{self.name}: answer not in the documented shape", quotes=collected.quotes
            ) from None
        finally:
            self._report_drops(collected)
        if self._answered:
            self.backoff.reset()
        return collected.quotes

    def _fetch_round(self, symbols: list[str], collected: _Round) -> None:
        raise NotImplementedError

    def _report_drops(self, collected: _Round) -> None:
        self.last_dropped = dict(collected.dropped)
        if not collected.dropped:
            return
        shown = ", ".join(f"{s} ({why})" for s, why in list(collected.dropped.items())[:10])
        more = len(collected.dropped) - 10
        logger.warning(
            "%s: dropped %d quote(s): %s%s",
            self.name,
            len(collected.dropped),
            shown,
            f" and {more} more" if more > 0 else "",
        )

    def seconds_until_next_call(self) -> float:
        """How long until the next call may be made (back-off or budget), 0 when now."""
        return max(self.backoff.remaining(), self.limiter.seconds_until_available())

    def export_state(self) -> dict[str, Any]:
        """Budget and back-off as JSON-able data, to share one budget between processes."""
        return {"spent": self.limiter.export(), "backoff": self.backoff.export()}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Adopt a budget and back-off saved by `export_state`."""
        self.limiter.restore(state.get("spent", ()))
        self.backoff.restore(state.get("backoff", {}))

    # -- HTTP ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock()

    def _get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        passthrough_statuses: Iterable[int] = (),
    ) -> tuple[int, Any]:
        """GET base_url + path and parse the JSON body with Decimal numbers.

        Every failure becomes our own ProviderError whose text names the endpoint but never
        the URL: requests' exception texts carry the query string, and with it the key.
        """
        endpoint = path.split("?", 1)[0]
        failure: ProviderError | None = None
        try:
            response = self._session.get(
                self.base_url + path,
                params=params,
                headers=headers,
                timeout=self.timeout_seconds,
                allow_redirects=False,
            )
        except requests.Timeout:
            failure = ProviderError(
                f"{self.name}: {endpoint} timed out after {self.timeout_seconds:g} s"
            )
        except requests.ConnectionError:
            failure = ProviderError(f"{self.name}: could not connect for {endpoint}")
        except Exception as exc:  # whatever it is, its text may hold the URL
            failure = ProviderError(f"{self.name}: {endpoint} failed ({type(exc).__name__})")
        # Raised outside the except blocks so no traceback chains back to requests' message.
        if failure is not None:
            raise failure

        status = response.status_code
        if status == 429:
            raise RateLimited(
                retry_after_seconds(response.headers.get("Retry-After"), self._now()) or 0,
                f"{self.name}: {endpoint} answered HTTP 429{self._detail(response)}",
            )
        if status in (401, 403):
            raise ProviderError(
                f"{self.name}: {endpoint} refused the API key or plan (HTTP {status})"
                f"{self._detail(response)}"
            )
        if not 200 <= status < 300 and status not in set(passthrough_statuses):
            raise ProviderError(
                f"{self.name}: {endpoint} answered HTTP {status}{self._detail(response)}"
            )
        try:
            data = json.loads(response.content, parse_float=Decimal, parse_constant=Decimal)
        except ValueError:
            raise ProviderError(
                f"{self.name}: {endpoint} answered something that is not JSON"
                f" (HTTP {status}, {len(response.content)} bytes)"
            ) from None
        self._answered = True
        return status, data

    def _detail(self, response: requests.Response) -> str:
        """A short, key-free excerpt of an error body for the exception text."""
        try:
            data = json.loads(response.content)
        except ValueError:
            return ""
        if isinstance(data, dict):
            for field in ("error", "message", "Note", "Information", "Error Message"):
                if isinstance(data.get(field), str):
                    return f": {self._clean(data[field])}"
        return ""

    def _clean(self, text: str, limit: int = 200) -> str:
        """Provider-sent text made safe to log: key removed, one line, bounded length."""
        text = " ".join(self._key.scrub(text).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
