"""The Celery application shared by the worker and beat, and the clock's scheduler."""

from __future__ import annotations

import logging
import os

import kombu
import redis
from celery import Celery
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, get_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")


def _maybe_close_channel(self, channel) -> None:
    """kombu's `Connection.maybe_close_channel`, also ignoring the AttributeError that kombu
    5.7's Redis channel raises when closed after its connection broke (it restores unacked
    messages through a client already gone). Celery 5.7 closes the broken connection before
    reconnecting, so without this a Redis restart made every worker exit ("Unrecoverable
    error"), and under runstack its host's web processes with it. Unacked messages are
    restored after the visibility timeout instead, as after any lost worker."""
    try:
        channel.close()
    except (*self.connection_errors, *self.channel_errors, AttributeError):
        pass


kombu.Connection.maybe_close_channel = _maybe_close_channel  # type: ignore[method-assign]

app = Celery("brokerage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
log = logging.getLogger("celery.beat")


class ClockScheduler(RedBeatScheduler):
    """RedBeat: the schedule and each entry's last run live in Redis, and only the beat that
    holds the lock in Redis sends anything, so beat runs on every app host and one acts.

    RedBeat's own tick raises when the lock is gone (its TTL ran out while this host was cut
    off or Redis was frozen, and another beat took it) or Redis cannot be reached; beat would
    then exit, and under runstack one exiting process stops the host's web processes too. This
    one stands by instead: it waits for the lock again, as a beat that starts second does, and
    sends nothing meanwhile. What a stale holder may still send in the tick where it loses the
    lock is harmless: auction closes are exactly-once, a price pull takes a lease per period
    (`marketdata.tasks`), and day-order expiry acts on open orders only.
    """

    def __init__(self, app, **kwargs):
        # RedBeat looks for its URL under its own name only (not CELERY_-prefixed settings).
        from django.conf import settings

        app.conf.update(redbeat_redis_url=settings.REDIS_URL)
        super().__init__(app, **kwargs)

    def tick(self, min=min, **kwargs):
        if self.lock_key and self.lock is None:
            return self._stand_by()
        try:
            return super().tick(min=min, **kwargs)
        except (redis.exceptions.LockError, redis.exceptions.RedisError) as exc:
            log.warning("beat: lost the clock's lock (%s); standing by", type(exc).__name__)
            self.lock = None
            return self._stand_by()

    def _stand_by(self) -> float:
        """Try for the lock once, without waiting; the next tick tries again."""
        try:
            client = get_redis(self.app)
            lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
            # RedBeat's extend (to a new TTL, not by one), as its own start-up lock uses.
            lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
            if lock.acquire(blocking=False):
                log.info("beat: Acquired lock")
                self.lock = lock
                return 0
        except redis.exceptions.RedisError as exc:
            log.warning("beat: Redis unreachable while standing by (%s)", type(exc).__name__)
        return self.max_interval


@app.task(name="brokerage.ping")
def ping(value: str) -> str:
    """Echo a value back: lets /healthz and the tests see a worker execute a task."""
    return f"pong:{value}"
