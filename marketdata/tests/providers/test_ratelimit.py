"""The call budget and the back-off."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from marketdata.providers.ratelimit import Backoff, Limit, RateLimiter

from .conftest import FakeClock


def start_clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 7, 16, 0, tzinfo=UTC))


def test_a_minute_window_never_holds_more_than_its_calls() -> None:
    clock = start_clock()
    limiter = RateLimiter([Limit(5, 60)], clock=clock)

    granted = [limiter.try_acquire() for _ in range(8)]

    assert granted == [True] * 5 + [False] * 3
    assert limiter.available() == 0


def test_spent_calls_come_back_when_they_leave_the_window() -> None:
    clock = start_clock()
    limiter = RateLimiter([Limit(5, 60)], clock=clock)
    limiter.try_acquire(3)
    clock.advance(30)
    limiter.try_acquire(2)

    clock.advance(29.9)
    assert limiter.available() == 0
    clock.advance(0.1)
    assert limiter.available() == 3
    clock.advance(30)
    assert limiter.available() == 5


def test_a_day_budget_holds_across_many_minutes() -> None:
    clock = start_clock()
    limiter = RateLimiter([Limit(5, 60), Limit(25, 86_400)], clock=clock)

    spent = 0
    for _ in range(24 * 60):  # one attempt burst a minute for a whole day
        while limiter.try_acquire():
            spent += 1
        clock.advance(60)

    assert spent == 25


def test_a_batch_is_granted_whole_or_not_at_all() -> None:
    limiter = RateLimiter([Limit(8, 60)], clock=start_clock())
    assert limiter.try_acquire(5)

    assert not limiter.try_acquire(4)
    assert limiter.available() == 3


def test_it_tells_how_long_until_a_call_is_possible() -> None:
    clock = start_clock()
    limiter = RateLimiter([Limit(2, 60)], clock=clock)
    limiter.try_acquire()
    clock.advance(10)
    limiter.try_acquire()

    assert limiter.seconds_until_available() == 50
    assert limiter.seconds_until_available(2) == 60
    clock.advance(50)
    assert limiter.seconds_until_available() == 0


def test_a_limiter_without_limits_never_refuses() -> None:
    limiter = RateLimiter([], clock=start_clock())

    assert all(limiter.try_acquire() for _ in range(1000))
    assert limiter.seconds_until_available() == 0


def test_an_exported_budget_binds_another_limiter() -> None:
    clock = start_clock()
    first = RateLimiter([Limit(5, 60)], clock=clock)
    first.try_acquire(4)
    second = RateLimiter([Limit(5, 60)], clock=clock)

    second.restore(first.export())

    assert second.try_acquire()
    assert not second.try_acquire()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=90), st.integers(min_value=1, max_value=4)),
        max_size=120,
    )
)
def test_no_window_ever_holds_more_than_its_limit(steps: list[tuple[float, int]]) -> None:
    clock = start_clock()
    limits = [Limit(5, 60), Limit(12, 300)]
    limiter = RateLimiter(limits, clock=clock)
    granted: list[float] = []

    for pause, units in steps:
        clock.advance(pause)
        if limiter.try_acquire(units):
            granted.extend([clock().timestamp()] * units)

    for limit in limits:
        for end in granted:
            in_window = [t for t in granted if end - limit.seconds < t <= end]
            assert len(in_window) <= limit.calls


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(start_clock(), base_seconds=10, cap_seconds=60)

    delays = [backoff.trip() for _ in range(5)]

    assert delays == [10, 20, 40, 60, 60]


def test_backoff_honours_a_longer_retry_after() -> None:
    clock = start_clock()
    backoff = Backoff(clock, base_seconds=10)

    assert backoff.trip(retry_after=90) == 90
    clock.advance(89)
    assert backoff.remaining() == 1


def test_a_success_resets_the_backoff() -> None:
    clock = start_clock()
    backoff = Backoff(clock, base_seconds=10)
    backoff.trip()
    backoff.trip()

    backoff.reset()

    assert backoff.remaining() == 0
    assert backoff.trip() == 10
