"""The price-alert and notification pages, the stock page's "Alert me at…" and the bell."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from trading.alerts.models import Notification, PriceAlert
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_stock("ACME", "100.00")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_alert_set_from_the_stock_page_goes_back_there_saying_so(alice, acme):
    client = signed_in(alice)
    page = client.get("/stocks/ACME/").content.decode()
    assert "Alert me at…" in page and 'action="/alerts/"' in page

    answer = client.post(
        "/alerts/",
        {"symbol": "ACME", "direction": "below", "level": "95.5", "next": "/stocks/ACME/"},
        follow=True,
    )

    assert answer.redirect_chain[-1][0] == "/stocks/ACME/"
    assert "Alert set: you will be told when ACME is at or below $95.50." in answer.content.decode()
    assert PriceAlert.objects.get(user=alice).level == Decimal("95.50")


def test_a_refused_alert_from_the_stock_page_says_why_there(alice, acme):
    answer = signed_in(alice).post(
        "/alerts/",
        {"symbol": "ACME", "direction": "above", "level": "99", "next": "/stocks/ACME/"},
        follow=True,
    )

    assert answer.redirect_chain[-1][0] == "/stocks/ACME/"
    assert "ACME is already at or above $99.00 (it is at $100.00)." in answer.content.decode()
    assert not PriceAlert.objects.exists()


def test_the_alerts_page_lists_refuses_in_place_and_deletes(alice, bob, acme):
    client = signed_in(alice)
    refused = client.post("/alerts/", {"symbol": "ACME", "direction": "above", "level": "100.001"})
    assert refused.status_code == 200
    assert "ACME is priced in steps of $0.01." in refused.content.decode()

    client.post("/alerts/", {"symbol": "acme", "direction": "above", "level": "110"})
    alert = PriceAlert.objects.get(user=alice)
    page = client.get("/alerts/").content.decode()
    assert f'data-alert-id="{alert.pk}"' in page and "$110.00" in page

    # Bob cannot delete it; alice can.
    signed_in(bob).post(f"/alerts/{alert.pk}/delete/")
    assert PriceAlert.objects.filter(pk=alert.pk).exists()
    client.post(f"/alerts/{alert.pk}/delete/")
    assert not PriceAlert.objects.exists()


def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(alice, bob):
    Notification.objects.create(user=alice, kind="fill", text="Bought 1 ACME at $100.00.")
    Notification.objects.create(user=alice, kind="alert", text="ACME traded at $105.00: …")
    Notification.objects.create(user=bob, kind="fill", text="Sold 1 ACME at $100.00.")
    client = signed_in(alice)

    page = client.get("/activity/").content.decode()
    assert 'data-unread="2"' in page and 'aria-label="Notifications, 2 unread"' in page
    listing = client.get("/notifications/").content.decode()
    assert listing.count('class="notification unread"') == 2
    assert "Bought 1 ACME at $100.00." in listing and "Sold 1 ACME" not in listing

    client.post("/notifications/")

    assert 'data-unread="0"' in client.get("/activity/").content.decode()
    assert 'class="notification unread"' not in client.get("/notifications/").content.decode()
    assert Notification.objects.get(user=bob).read_at is None


def test_the_pages_need_a_sign_in(acme):
    client = Client()
    for path in ("/alerts/", "/notifications/"):
        assert client.get(path).status_code == 302
    assert "data-unread" not in client.get("/stocks/ACME/").content.decode()
