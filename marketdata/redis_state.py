"""The Redis keys the price pull shares between worker processes, and the client for them."""

from __future__ import annotations

import json
from typing import Any

import redis

from core.redis import redis_client as shared_client

PULL_LOCK_KEY = "marketdata:pull:lock"
PULL_PERIOD_KEY = "marketdata:pull:period"  # the lease of the current period's pull
PRUNE_KEY = "marketdata:pull:pruned"


def state_key(provider_name: str) -> str:
    """Where one provider's budget, back-off and walk cursors live between rounds."""
    return f"marketdata:pull:state:{provider_name}"


def redis_client() -> redis.Redis:
    """The client for the configured Redis."""
    return shared_client()


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
