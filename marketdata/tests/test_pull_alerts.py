"""A price-pull round tells its port (`marketdata.price_watch`) which reference prices moved,
after its commit: the trading app's price alerts fire from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketdata import price_watch
from marketdata.providers import SimulatedProvider
from marketdata.services import prices_pull
from trading.alerts.models import Notification, PriceAlert
from trading.tests.factories import make_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pull_state")]


def test_a_round_reports_the_moved_prices_after_it_commits(
    django_capture_on_commit_callbacks, monkeypatch
):
    heard: list[dict] = []
    monkeypatch.setattr(price_watch, "_listeners", [heard.append])
    acme = make_stock("ACME", "100.00", price_source="universe")

    with django_capture_on_commit_callbacks() as callbacks:
        prices_pull(provider=SimulatedProvider(seed=7, replay=False))
    assert heard == []  # nothing before the commit
    for callback in callbacks:
        callback()

    acme.refresh_from_db()
    assert heard == [{acme.pk: acme.reference_price}]


def test_a_round_fires_the_alert_its_reference_price_reached(
    alice, django_capture_on_commit_callbacks
):
    acme = make_stock("ACME", "100.00", price_source="universe")
    # Armed directly at a level any first step of the walk reaches (the service would refuse
    # it as already reached; the rule under test is the pull's).
    reached = PriceAlert.objects.create(user=alice, stock=acme, direction="above", level="1")
    far = PriceAlert.objects.create(user=alice, stock=acme, direction="above", level="500")

    with django_capture_on_commit_callbacks(execute=True):
        prices_pull(provider=SimulatedProvider(seed=7, replay=False))

    reached.refresh_from_db()
    far.refresh_from_db()
    acme.refresh_from_db()
    assert reached.fired_price == acme.reference_price != Decimal("100.00")
    assert far.fired_at is None
    (line,) = Notification.objects.filter(user=alice)
    assert line.text.startswith(f"ACME has a reference price of ${acme.reference_price:,.2f}")
