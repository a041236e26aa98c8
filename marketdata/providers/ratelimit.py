"""Call budgets and back-off for rate-limited APIs, driven by an injectable clock."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], datetime]

# Stands for "no limit" where a count is expected; any real batch is far smaller.
UNLIMITED = 1_000_000


def utc_now() -> datetime:
    """The real clock: the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Limit:
    """At most `calls` units in any window of `seconds`."""

    calls: int
    seconds: float

    def __post_init__(self) -> None:
        if self.calls < 1 or self.seconds <= 0:
            raise ValueError(f"a limit needs calls >= 1 and seconds > 0, got {self!r}")


class RateLimiter:
    """A sliding-window log over one or more windows (e.g. per minute and per day).

    A token bucket would allow a full bucket plus its refill inside one window, which is
    exactly what a provider counting calls per minute punishes; a log of spent units can
    promise that no window of `seconds` ever holds more than `calls` units.
    """

    def __init__(self, limits: Iterable[Limit], clock: Clock = utc_now) -> None:
        self.limits = tuple(limits)
        self._clock = clock
        self._spent: list[float] = []  # one timestamp per unit spent, sorted
        self._horizon = max((limit.seconds for limit in self.limits), default=0.0)

    def __repr__(self) -> str:
        windows = ", ".join(f"{limit.calls}/{limit.seconds:g}s" for limit in self.limits)
        return f"<RateLimiter {windows or 'unlimited'}>"

    def _now(self) -> float:
        now = self._clock().timestamp()
        # Forget what no window can see any more, so the log stays as small as the day budget.
        del self._spent[: bisect.bisect_right(self._spent, now - self._horizon)]
        return now

    def _used(self, limit: Limit, now: float) -> int:
        return len(self._spent) - bisect.bisect_right(self._spent, now - limit.seconds)

    def available(self) -> int:
        """How many units could be spent right now without breaking any window."""
        if not self.limits:
            return UNLIMITED
        now = self._now()
        return max(0, min(limit.calls - self._used(limit, now) for limit in self.limits))

    def try_acquire(self, units: int = 1) -> bool:
        """Spend `units` if every window has room for them, else spend nothing."""
        if units < 1:
            raise ValueError("units must be >= 1")
        if not self.limits:
            return True
        if self.available() < units:
            return False
        now = self._now()
        for _ in range(units):
            bisect.insort(self._spent, now)
        return True

    def seconds_until_available(self, units: int = 1) -> float:
        """How long until `units` can be spent (0 when they can be spent now)."""
        if not self.limits:
            return 0.0
        now = self._now()
        wait = 0.0
        for limit in self.limits:
            if units > limit.calls:
                return math.inf
            in_window = self._spent[bisect.bisect_right(self._spent, now - limit.seconds) :]
            excess = len(in_window) + units - limit.calls
            if excess > 0:
                # The window frees up when its `excess`-th oldest unit falls out of it.
                wait = max(wait, in_window[excess - 1] + limit.seconds - now)
        return wait

    def export(self) -> list[float]:
        """The spent units as epoch seconds, for handing the budget to another process."""
        self._now()
        return list(self._spent)

    def restore(self, spent: Iterable[float]) -> None:
        """Replace the budget with one exported by `export` (the shared copy is the truth)."""
        self._spent = sorted(map(float, spent))
        self._now()


class Backoff:
    """Exponential back-off with a cap that also honours a server's Retry-After."""

    def __init__(
        self,
        clock: Clock = utc_now,
        *,
        base_seconds: float = 10.0,
        cap_seconds: float = 600.0,
        max_retry_after: float = 86_400.0,
    ) -> None:
        self._clock = clock
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds
        self.max_retry_after = max_retry_after
        self.failures = 0
        self._until = 0.0

    def __repr__(self) -> str:
        return f"<Backoff failures={self.failures} remaining={self.remaining():.1f}s>"

    def remaining(self) -> float:
        """Seconds left before the next call may be made (0 when not backing off)."""
        return max(0.0, self._until - self._clock().timestamp())

    def trip(self, retry_after: float | None = None) -> float:
        """Record a refusal and start a back-off; returns its length in seconds."""
        delay = min(self.cap_seconds, self.base_seconds * 2**self.failures)
        if retry_after is not None and retry_after > 0:
            # The server knows its window better than our guess; never call before it says.
            delay = max(delay, min(retry_after, self.max_retry_after))
        self.failures += 1
        self._until = max(self._until, self._clock().timestamp() + delay)
        return delay

    def reset(self) -> None:
        """A call succeeded: the next refusal starts again from the base delay."""
        self.failures = 0
        self._until = 0.0

    def export(self) -> dict[str, float]:
        """The back-off state, for handing it to another process."""
        return {"until": self._until, "failures": self.failures}

    def restore(self, state: dict[str, float]) -> None:
        """Replace the back-off with one exported by `export`."""
        self._until = float(state.get("until", 0.0))
        self.failures = int(state.get("failures", 0))
