"""One way to write a moment for clients: RFC 3339 in UTC with a `Z`, as Alpaca writes it."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime | None) -> str | None:
    """`2026-12-01T14:30:00.123456Z`; None stays None. A naive moment is taken to be UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Moments a client may name: wide enough for any history or schedule, narrow enough that no
# arithmetic on them (a period back, an offset, a bucket) leaves what datetime and PostgreSQL
# can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_moment(raw: object) -> datetime:
    """An RFC 3339 time or a date from a client, in UTC; ValueError for anything else.

    A naive time is UTC; an offset is applied here (PostgreSQL never sees one); moments outside
    1970..2200 are refused.
    """
    text = str(raw).strip().replace("Z", "+00:00").replace("z", "+00:00")
    if len(text) > 40 or not text.isascii():
        raise ValueError("not an RFC 3339 time")
    if " " in text and len(text) > 19:  # a "+" in a query string arrives as a space
        text = text[:19] + text[19:].replace(" ", "+")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST.replace(year=1) < moment < LATEST.replace(year=9000):
        raise ValueError("out of range")
    moment = moment.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("out of range")
    return moment


def parse_count(raw: object, *, low: int, high: int) -> int:
    """A whole number written in ASCII digits, from `low` to `high`; ValueError otherwise
    (`int()` would take "１２", "1_000" and 4,000-digit strings)."""
    text = str(raw).strip()
    if not (0 < len(text) <= 12 and text.isascii() and text.isdigit()):
        raise ValueError("not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError("out of range")
    return value
