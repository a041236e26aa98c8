"""/healthz: is the database reachable, is Redis reachable, are the web processes up.

Anyone (a load balancer) gets the status alone; staff also get which part failed and how,
and the web processes: each says it is alive into Redis every few seconds (see
`web_heartbeat_start`), so whichever process answers counts all of them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not reachable"
        return False, type(exc).__name__
    return True, "ok"


def _check_redis() -> tuple[bool, str]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return False, type(exc).__name__
    finally:
        client.close()
    return True, "ok"


def _alerts() -> list[dict[str, str]]:
    """What needs staff: auctions whose close failed and was set aside (see the admin)."""
    from trading.auctions.selectors import auctions_set_aside

    return [
        {
            "code": "auction_close_failed",
            "message": f"Auction {a.pk} ({a.stock.symbol}) could not close: {a.close_error}",
        }
        for a in auctions_set_aside()
    ]


def healthz(request):
    """Answer 200 when the database and Redis both answer, 503 otherwise."""
    db_ok, db_detail = _check_database()
    redis_ok, redis_detail = _check_redis()
    healthy = db_ok and redis_ok
    body: dict = {"status": "ok" if healthy else "unavailable"}
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        body["database"] = {"ok": db_ok, "detail": db_detail, "vendor": connection.vendor}
        body["redis"] = {"ok": redis_ok, "detail": redis_detail}
        body["web"] = web_processes() if redis_ok else {"answered_by": _me()}
        body["alerts"] = _alerts() if db_ok else []
    return JsonResponse(body, status=200 if healthy else 503)


# --------------------------------------------------------------------------- web processes
HEARTBEAT_SECONDS = 5
ALIVE_SECONDS = 3 * HEARTBEAT_SECONDS
log = logging.getLogger(__name__)
_started = threading.Event()


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _beat_once() -> None:
    from core.redis import redis_client

    now = time.time()
    pipe = redis_client(timeout=2).pipeline()
    pipe.zadd(settings.WEB_PROCESSES_KEY, {_me(): now})
    pipe.zremrangebyscore(settings.WEB_PROCESSES_KEY, "-inf", f"({now - ALIVE_SECONDS}")
    pipe.execute()


def _beat_forever() -> None:
    while True:
        try:
            _beat_once()
        except Exception:  # Redis away: /healthz says so; keep trying
            log.debug("web heartbeat failed", exc_info=True)
        time.sleep(HEARTBEAT_SECONDS)


def web_heartbeat_start() -> None:
    """In a web process: say every HEARTBEAT_SECONDS that this process is alive (once per
    process; a daemon thread)."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=_beat_forever, name="web-heartbeat", daemon=True).start()


def web_processes() -> dict:
    """The web processes alive (heard from within ALIVE_SECONDS), against WEB_CONCURRENCY."""
    from core.redis import redis_client

    try:
        alive = redis_client(timeout=1).zrangebyscore(
            settings.WEB_PROCESSES_KEY, time.time() - ALIVE_SECONDS, "+inf"
        )
    except redis.RedisError:
        alive = []
    names = sorted(a.decode() if isinstance(a, bytes) else a for a in alive)
    expected = os.environ.get("WEB_CONCURRENCY", "").strip()
    return {
        "answered_by": _me(),
        "alive": names,
        "expected": int(expected) if expected.isdigit() else None,
    }
