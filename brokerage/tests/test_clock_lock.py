"""Beat on every app host: one holds the lock in Redis and acts; the others stand by."""

from __future__ import annotations

import uuid

import pytest

from brokerage.celery import ClockScheduler, app
from core.redis import redis_client


@pytest.fixture
def lock_key():
    key = f"test:clock:{uuid.uuid4().hex}"
    yield key
    redis_client().delete(key)


@pytest.fixture
def quiet_schedule(monkeypatch):
    """No entries: these tests are about who may act, not about what is sent."""
    monkeypatch.setattr(ClockScheduler, "schedule", property(lambda self: {}))


def _beat(lock_key: str) -> ClockScheduler:
    return ClockScheduler(app, lazy=True, lock_key=lock_key, lock_timeout=5)


def test_only_one_beat_holds_the_lock(lock_key, quiet_schedule):
    first, second = _beat(lock_key), _beat(lock_key)

    first.tick()
    second.tick()

    assert first.lock is not None and first.lock.owned()
    assert second.lock is None


def test_a_beat_whose_lock_was_taken_over_stands_by_instead_of_exiting(lock_key, quiet_schedule):
    active, standby = _beat(lock_key), _beat(lock_key)
    active.tick()
    standby.tick()
    # The active host was cut off long enough for its lock to run out; the standby took it.
    redis_client().delete(lock_key)
    standby.tick()

    wait = active.tick()  # RedBeat's own tick raises LockNotOwnedError here, and beat exits

    assert standby.lock is not None and standby.lock.owned()
    assert active.lock is None
    assert wait == active.max_interval
    # And it takes the clock back when the other one goes.
    standby.lock.release()
    active.tick()
    assert active.lock is not None and active.lock.owned()


def test_beat_keeps_the_lock_it_holds_across_ticks(lock_key, quiet_schedule):
    active, standby = _beat(lock_key), _beat(lock_key)
    active.tick()
    for _ in range(3):
        active.tick()
        standby.tick()

    assert active.lock is not None and active.lock.owned()
    assert standby.lock is None
    assert 0 < redis_client().pttl(lock_key) <= 5000
