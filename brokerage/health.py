"""/healthz: is the database reachable, is Redis reachable.

Anyone (a load balancer) gets the status alone; staff also get which part failed and how.
"""

from __future__ import annotations

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
    return JsonResponse(body, status=200 if healthy else 503)
