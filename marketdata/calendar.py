"""The NYSE trading calendar (sessions, early closes, holidays) from `exchange_calendars`.

One calendar for the clock and calendar of `/api/v2` and for the expiry of day orders. Sessions
are NYSE's; times come back in UTC, and `TIME_ZONE` is only used to name a local date. The
library builds its schedule once per process (about half a second), so it is loaded lazily and
kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

EXCHANGE = "XNYS"


@lru_cache(maxsize=1)
def _calendar():
    import exchange_calendars

    return exchange_calendars.get_calendar(EXCHANGE)


def _ts(moment: datetime):
    import pandas as pd

    return (
        pd.Timestamp(moment).tz_convert("UTC") if moment.tzinfo else pd.Timestamp(moment, tz="UTC")
    )


def _dt(timestamp) -> datetime:
    return timestamp.to_pydatetime().astimezone(UTC)


@dataclass(frozen=True)
class Clock:
    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True)
class Session:
    """One trading day: its date and its open and close moments (UTC)."""

    date: date
    open: datetime
    close: datetime


def clock(now: datetime) -> Clock:
    """Is the market open at `now`, and when does it next open and close."""
    cal, ts = _calendar(), _ts(now)
    return Clock(
        timestamp=now.astimezone(UTC),
        is_open=bool(cal.is_open_on_minute(ts, ignore_breaks=True)),
        next_open=_dt(cal.next_open(ts)),
        next_close=_dt(cal.next_close(ts)),
    )


def sessions(start: date | None = None, end: date | None = None) -> list[Session]:
    """The sessions from `start` to `end` (both included, clipped to the calendar's range)."""
    cal = _calendar()
    schedule = cal.schedule
    first, last = cal.first_session.date(), cal.last_session.date()
    start, end = max(start or first, first), min(end or last, last)
    if start > end:
        return []
    rows = schedule.loc[start.isoformat() : end.isoformat()]
    return [
        Session(day.date(), _dt(row["open"]), _dt(row["close"])) for day, row in rows.iterrows()
    ]


def last_close(now: datetime) -> datetime | None:
    """The most recent session close at or before `now` (None before the calendar starts)."""
    cal, ts = _calendar(), _ts(now)
    try:
        return _dt(cal.previous_close(ts))
    except ValueError:
        return None


def session_closed_today(now: datetime) -> bool:
    """Whether `now` is a trading day's close or later on that same day (UTC-aligned to NYSE)."""
    cal, ts = _calendar(), _ts(now)
    day = ts.tz_convert(cal.tz).normalize().tz_localize(None)
    if not cal.is_session(day):
        return False
    return ts >= cal.session_close(day)
