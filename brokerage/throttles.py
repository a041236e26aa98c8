"""API rate limits: a fixed window per user (all their API keys together), in Redis.

Windows: a user's API keys share one (`user:`), so more keys buy no more requests; the pages'
own calls from a signed-in browser have another (`web:`), so browsing never spends a bot's or
the ticket's budget on the key side, and vice versa; anonymous requests are counted per
client address (`brokerage.proxies` makes it the real one).

`API_RATE_LIMIT` (default `200/min`, Alpaca's) and `API_ANON_RATE_LIMIT` (default the same)
say how many requests a window allows; `off` disables a limit. Every answer under /api/ then
carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds),
the headers Alpaca sends; a refusal is a 429 with `Retry-After` in the one error shape.

One Redis INCR per request counts across every web process. Should Redis not answer within
`RATE_LIMIT_REDIS_TIMEOUT_MS` the request is let through (and logged), and for the next
`RATE_LIMIT_BREAKER_SECONDS` this process does not ask Redis at all (a circuit breaker): a
frozen Redis costs one short wait per process, not a wait in every request of the one
request thread.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import BaseThrottle

from core.redis import redis_client

log = logging.getLogger(__name__)


class _Breaker:
    """Open (skip Redis) for a while after a failure; closed again once the time is up."""

    def __init__(self) -> None:
        self.open_until = 0.0
        self.trips = 0

    def allows(self, now: float) -> bool:
        return now >= self.open_until

    def trip(self, now: float, seconds: float) -> None:
        self.open_until = now + seconds
        self.trips += 1


breaker = _Breaker()


def rate_ident(request) -> tuple[str, tuple[int, int] | None]:
    """The window a request counts against, and its rate."""
    auth = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if getattr(auth, "key_id", None) and user is not None:
        return f"user:{user.pk}", settings.API_RATE_LIMIT
    if user is not None and user.is_authenticated:
        return f"web:{user.pk}", settings.API_RATE_LIMIT
    return f"ip:{request.META.get('REMOTE_ADDR', '')}", settings.API_ANON_RATE_LIMIT


class ApiRateThrottle(BaseThrottle):
    """Counts the request against its user's (keys or browser) or (anonymous) address's window."""

    def allow_request(self, request, view) -> bool:
        ident, rate = rate_ident(request)
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        if not breaker.allows(time.monotonic()):
            return True  # Redis failed a moment ago: not asked again until the breaker closes
        window = int(now // period)
        reset = (window + 1) * period
        try:
            timeout = settings.RATE_LIMIT_REDIS_TIMEOUT_MS / 1000
            pipe = redis_client(timeout=timeout).pipeline(transaction=False)
            counter = f"{settings.API_RATE_LIMIT_PREFIX}:{ident}:{period}:{window}"
            pipe.incr(counter)
            pipe.expire(counter, period + 1)
            used = int(pipe.execute()[0])
        except Exception:
            breaker.trip(time.monotonic(), settings.RATE_LIMIT_BREAKER_SECONDS)
            log.warning(
                "rate limit unavailable (Redis); letting requests through for %s s",
                settings.RATE_LIMIT_BREAKER_SECONDS,
                exc_info=True,
            )
            return True
        self.wait_seconds = max(1, math.ceil(reset - now))
        # The Django request outlives DRF's wrapper: the headers are added by the middleware.
        request._request.rate_limit = (limit, max(0, limit - used), reset)
        return used <= limit

    def wait(self) -> float | None:
        return getattr(self, "wait_seconds", None)


class RateLimitHeadersMiddleware:
    """Adds the X-RateLimit-* headers the throttle measured to the API's answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        measured = getattr(request, "rate_limit", None)
        if measured is not None:
            limit, remaining, reset = measured
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response


class IsAuthenticatedCountingAnonymous(IsAuthenticated):
    """DRF's IsAuthenticated, counting refused anonymous requests against their IP's limit.

    DRF checks permissions before throttles, so without this an anonymous client would never
    be counted: its every request is a 401 before the throttle runs. Over the limit it gets
    the 429 instead."""

    def has_permission(self, request, view) -> bool:
        if super().has_permission(request, view):
            return True
        throttle = ApiRateThrottle()
        if not throttle.allow_request(request, view):
            raise Throttled(wait=throttle.wait())
        return False
