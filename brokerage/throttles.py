"""API rate limits: a fixed window per API key (or signed-in user, or IP when anonymous), in Redis.

`API_RATE_LIMIT` (default `200/min`, Alpaca's), `API_SESSION_RATE_LIMIT` (a signed-in browser
session's own budget, default `600/min`) and `API_ANON_RATE_LIMIT` (default the API's) say how
many requests a window allows; `off` disables a limit. Every answer under /api/ then
carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds),
the headers Alpaca sends; a refusal is a 429 with `Retry-After` in the one error shape.

One Redis INCR per request counts across every web process. Should Redis be unreachable the
request is let through (and logged): a rate limit must not take the API down with it.
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


class ApiRateThrottle(BaseThrottle):
    """Counts the request against its key's, user's or (anonymous) IP's window."""

    def allow_request(self, request, view) -> bool:
        auth = getattr(request, "auth", None)
        key_id = getattr(auth, "key_id", None)
        user = getattr(request, "user", None)
        if key_id:
            ident, rate = f"key:{key_id}", settings.API_RATE_LIMIT
        elif user is not None and user.is_authenticated:
            # A browser session: the pages' budget, apart from the user's API keys'.
            ident, rate = f"session:{user.pk}", settings.API_SESSION_RATE_LIMIT
        else:
            ident, rate = f"ip:{self.get_ident(request)}", settings.API_ANON_RATE_LIMIT
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        reset = (window + 1) * period
        try:
            pipe = redis_client(timeout=0.5).pipeline(transaction=False)
            counter = f"{settings.API_RATE_LIMIT_PREFIX}:{ident}:{period}:{window}"
            pipe.incr(counter)
            pipe.expire(counter, period + 1)
            used = int(pipe.execute()[0])
        except Exception:
            log.warning(
                "rate limit unavailable (Redis); letting the request through", exc_info=True
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
