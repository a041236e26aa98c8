"""The Redis keys the price pull shares between worker processes, and the client for them."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import redis
from django.conf import settings

PULL_LOCK_KEY = "marketdata:pull:lock"
PRUNE_KEY = "marketdata:pull:pruned"


def state_key(provider_name: str) -> str:
    """Where one provider's budget, back-off and walk cursors live between rounds."""
    return f"marketdata:pull:state:{provider_name}"


@cache
def _client(url: str) -> redis.Redis:
    # redis-py's pool notices a fork and reconnects, so Celery's prefork children can share this.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def redis_client() -> redis.Redis:
    """The client for the configured Redis."""
    return _client(settings.REDIS_URL)


def load_json(key: str) -> dict[str, Any]:
    """A JSON object stored at `key`, or {} when absent or unreadable."""
    raw = redis_client().get(key)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_json(key: str, value: dict[str, Any]) -> None:
    """Store a JSON object at `key`."""
    redis_client().set(key, json.dumps(value, separators=(",", ":")))
