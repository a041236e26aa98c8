"""Finding 5: class shares in Alpaca's dot form, with the whole shipped universe loaded."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from marketdata.models import Stock
from trading.services import position_grant

pytestmark = pytest.mark.django_db


def test_the_whole_universe_loads_class_shares_with_a_dot_and_their_pages_answer(
    alice, bob, key_client
):
    call_command("load_universe", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not Stock.objects.filter(symbol__contains="/").exists()
    crd = Stock.objects.get(symbol="CRD.B")
    price = str(crd.reference_price)
    position_grant(user=bob, symbol="CRD.B", qty=10)
    assert key_client(bob).post(
        "/api/v1/orders",
        {
            "symbol": "CRD.B",
            "side": "sell",
            "type": "limit",
            "time_in_force": "gtc",
            "qty": "5",
            "limit_price": price,
        },
        format="json",
    ).status_code in (200, 201)
    bought = key_client(alice).post(
        "/api/v1/orders",
        {
            "symbol": "CRD.B",
            "side": "buy",
            "type": "limit",
            "time_in_force": "gtc",
            "qty": "5",
            "limit_price": price,
        },
        format="json",
    )
    assert bought.status_code in (200, 201), bought.content
    assert bought.json()["status"] == "filled"

    browser = Client()
    browser.force_login(alice)
    for page in ("/portfolio/", "/orders/", "/stocks/CRD.B/", "/stocks/crd.b/"):
        response = browser.get(page)
        assert response.status_code == 200, page
    assert b"CRD.B" in browser.get("/portfolio/").content
    api = key_client(alice)
    for url in ("/api/v1/stocks/CRD.B", "/api/v1/stocks/CRD.B/book", "/api/v1/positions/CRD.B"):
        assert api.get(url).status_code == 200, url


def test_loading_again_keeps_one_row_per_class_share(db):
    call_command("load_universe", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115
    count = Stock.objects.count()
    call_command("load_universe", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Stock.objects.count() == count
