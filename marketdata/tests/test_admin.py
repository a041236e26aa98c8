"""Staff see each stock's reference price, its source and how old it is; never the API key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketdata.models import PriceBar
from marketdata.providers.base import Secret
from trading.tests.factories import make_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

KEY = "admin-test-key-Vq81Lp0"


@pytest.fixture
def staff_client(client, make_user, settings):
    settings.MARKETDATA_PROVIDER = "finnhub"
    settings.MARKETDATA_API_KEY = Secret(KEY)
    user = make_user("staff")
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def test_staff_see_price_source_and_age_with_stale_prices_flagged(staff_client):
    make_stock(
        "ACME",
        "101.25",
        price_source="finnhub",
        price_updated_at=timezone.now() - timedelta(minutes=7),
        price_stale=True,
    )
    make_stock("BOLT", "20.00", price_source="finnhub", price_updated_at=timezone.now())

    page = staff_client.get("/admin/marketdata/stock/").content.decode()

    assert "101.2500" in page
    assert "finnhub" in page
    assert "7 min · stale" in page
    assert KEY not in page


def test_a_price_typed_by_staff_becomes_the_new_baseline(staff_client):
    acme = make_stock("ACME", "100.00", price_source="finnhub", price_stale=True)

    response = staff_client.post(
        f"/admin/marketdata/stock/{acme.pk}/change/",
        {
            "symbol": "ACME",
            "name": "ACME Corp",
            "isin": "",
            "exchange": "OTC",
            "status": "active",
            "tick_size": "0.01",
            "lot_size": "1",
            "band_pct": "0.10",
            "reference_price": "250.00",
            "previous_close": "100.00",
        },
    )

    acme.refresh_from_db()
    assert response.status_code == 302
    assert (acme.reference_price, acme.price_source, acme.price_stale) == (
        Decimal("250.00"),
        "staff",
        False,
    )


def test_staff_can_read_but_not_edit_the_price_history(staff_client):
    acme = make_stock("ACME", "100.00")
    bar = PriceBar.objects.create(
        stock=acme,
        start=timezone.now().replace(second=0, microsecond=0),
        open=Decimal("100.1"),
        high=Decimal("100.9"),
        low=Decimal("99.8"),
        close=Decimal("100.5"),
        source="simulated",
    )

    listing = staff_client.get("/admin/marketdata/pricebar/?q=ACME")
    change = staff_client.post(f"/admin/marketdata/pricebar/{bar.pk}/change/", {"close": "1"})

    assert "100.9000" in listing.content.decode()
    assert change.status_code == 403
    assert PriceBar.objects.get().close == Decimal("100.5")
