"""An alert fires once when several processes see the same crossing at the same time.

Parallel transactions on PostgreSQL (skipped on SQLite, whose one writer proves nothing): the
guarded UPDATE (`fired_at IS NULL`) lets one of them fire it; the others update no row and say
nothing.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from trading.alerts import services as alerts
from trading.alerts.models import Notification, PriceAlert
from trading.tests.factories import make_stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

MOVE = alerts.Move(Decimal("105.00"), Decimal("105.00"))


@pytest.fixture
def told(monkeypatch):
    sent: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def publish(user_id, message):
        with lock:
            sent.append((user_id, message))

    monkeypatch.setattr(alerts, "_publish", publish)
    return sent


def _in_thread(target, results: list, errors: list):
    def run():
        try:
            results.append(target())
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_a_second_process_that_saw_the_crossing_waits_and_fires_nothing(alice, told):
    acme = make_stock("ACME", "100.00")
    alert = PriceAlert.objects.create(user=alice, stock=acme, direction="above", level="104")
    moves = {acme.pk: MOVE}
    first_fired = threading.Event()
    release = threading.Event()
    results: list = []
    errors: list = []

    def first():
        # Fire inside a transaction that stays open: the row stays locked, uncommitted.
        with transaction.atomic():
            fired = alerts.price_alerts_fire(moves=moves, source="last_trade")
            first_fired.set()
            release.wait(10)
        return ("first", [a.pk for a in fired])

    def second():
        first_fired.wait(10)
        # It read the alert as armed (the first has not committed) and its UPDATE waits
        # for the first's row lock; once that commits, PostgreSQL re-checks `fired_at IS NULL`.
        return (
            "second",
            [a.pk for a in alerts.price_alerts_fire(moves=moves, source="last_trade")],
        )

    threads = [_in_thread(first, results, errors), _in_thread(second, results, errors)]
    for thread in threads:
        thread.start()
    first_fired.wait(10)
    time.sleep(0.5)  # the second is now blocked on the row
    release.set()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert sorted(results) == [("first", [alert.pk]), ("second", [])]
    assert Notification.objects.filter(user=alice, kind="alert").count() == 1
    assert [m["alert_id"] for _, m in told] == [alert.pk]


def test_many_processes_at_once_fire_each_alert_once(alice, bob, told):
    acme = make_stock("ACME", "100.00")
    armed = [
        PriceAlert.objects.create(user=user, stock=acme, direction="above", level=level)
        for user in (alice, bob)
        for level in ("101", "102", "103", "104", "105")
    ]
    start = threading.Barrier(8)
    results: list = []
    errors: list = []

    def fire():
        start.wait(10)
        return len(alerts.price_alerts_fire(moves={acme.pk: MOVE}, source="last_trade"))

    threads = [_in_thread(fire, results, errors) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sum(results) == len(armed)
    assert PriceAlert.objects.filter(fired_at__isnull=True).count() == 0
    assert Notification.objects.filter(kind="alert").count() == len(armed)
    assert sorted(m["alert_id"] for _, m in told) == sorted(a.pk for a in armed)
