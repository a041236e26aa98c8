"""The NYSE calendar decides when day orders expire (holidays, early closes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trading import tasks
from trading.tests.factories import make_stock, place

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("now", "expires"),
    [
        (datetime(2025, 12, 24, 18, 0, tzinfo=UTC), True),  # Christmas Eve closed at 13:00 ET
        (datetime(2025, 12, 23, 18, 0, tzinfo=UTC), False),  # 13:00 ET on a full day
        (datetime(2025, 12, 23, 21, 0, tzinfo=UTC), True),  # 16:00 ET
        (datetime(2025, 12, 25, 21, 0, tzinfo=UTC), False),  # Christmas: no session
    ],
)
def test_day_orders_expire_at_the_calendars_close_only(alice, monkeypatch, now, expires):
    stock = make_stock("ACME", "100.00")
    order = place(alice, stock, "buy", 1, "99.00", tif="day")
    monkeypatch.setattr(tasks.timezone, "now", lambda: now)
    assert tasks.expire_day_orders() == (1 if expires else 0)
    order.refresh_from_db()
    assert order.status == ("expired" if expires else "new")
