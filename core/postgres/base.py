"""Django's PostgreSQL backend, with one difference: after a connection attempt fails, the
process does not try again for `DATABASE_RETRY_SECONDS`; requests meanwhile fail at once, and answer 503.

Why: a web process runs its requests one after another in one thread. When its database host
goes silent (a cut network, a dead machine), each request would wait out the connect timeout
in turn, so the last in the queue waits for all of them, and the load balancer's health check
behind them too. With the pause, one request a pause pays for finding out; the others, and
`/healthz`, answer 503 at once, and the load balancer takes the host out of rotation within
its checks. A lost session (a terminated backend, a restart) reconnects on the next request as
before: only a failed *connection attempt* starts a pause.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

# Per process: every thread's connection reaches the same database.
_unreachable_until = 0.0


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        global _unreachable_until
        left = _unreachable_until - time.monotonic()
        if left > 0:
            raise psycopg.OperationalError(
                f"the database could not be reached moments ago; next attempt in {left:.1f} s"
            )
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            _unreachable_until = time.monotonic() + float(settings.DATABASE_RETRY_SECONDS)
            raise


def reset_pause() -> None:
    """Forget a failed attempt (tests)."""
    global _unreachable_until
    _unreachable_until = 0.0
