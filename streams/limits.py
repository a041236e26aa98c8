"""Per-socket limits on what a client sends: a token bucket, and a count of recent errors.

Pure: the caller passes the time (`time.monotonic()`), so tests need no clock.
"""

from __future__ import annotations

from collections import deque


class TokenBucket:
    """A burst of `burst` messages, then `per_second`; each message takes one token."""

    def __init__(self, *, burst: int, per_second: float, now: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self.tokens = float(burst)
        self.at = now

    def take(self, now: float) -> bool:
        """Spend a token if there is one; False means the message is over the limit."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RecentErrors:
    """Counts a client's errors over the last `window` seconds."""

    def __init__(self, *, window: float) -> None:
        self.window = window
        self.times: deque[float] = deque()

    def add(self, now: float) -> int:
        """Record an error at `now`; the number of errors within the window, this one included."""
        self.times.append(now)
        while self.times and self.times[0] < now - self.window:
            self.times.popleft()
        return len(self.times)
