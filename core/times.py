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
