"""The one Redis client factory: every app that talks to Redis directly gets its client here."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str, timeout: float) -> redis.Redis:
    # redis-py's pool notices a fork and reconnects, so Celery's prefork children can share one.
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def redis_client(*, url: str | None = None, timeout: float = 5.0) -> redis.Redis:
    """A shared client for `url` (default: the configured REDIS_URL) with `timeout` seconds."""
    return _client(url or settings.REDIS_URL, timeout)
