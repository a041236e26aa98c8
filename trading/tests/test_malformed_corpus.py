"""A corpus of malformed input from the audit: every answer is a 4xx with a stable error, never a
500 (bids, the bid form, and `/api/v2`'s times, periods, counts and page tokens)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from django.test import Client

from trading.auctions.services.create import auction_create
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db

HUGE = "9" * 4400
BAD_NUMBERS = ["1" * 25, "1e24", "1E+999", "1_000", "١٢", "²", "NaN", "-Infinity", HUGE, "0x10"]


@pytest.fixture
def lot(settings, db):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("ACME", "100.00")
    return auction_create(seller=None, symbol="ACME", qty=10, reserve_price="100.00")


@pytest.mark.parametrize("max_price", BAD_NUMBERS)
def test_a_malformed_bid_is_refused_with_a_code_on_the_api_and_the_form(
    lot, alice, key_client, max_price
):
    answer = key_client(alice).post(
        f"/api/v1/auctions/{lot.pk}/bids", {"max_price": max_price}, format="json"
    )
    assert answer.status_code in (400, 422), answer.content[:200]
    assert answer.json()["code"] == "invalid_price"

    browser = Client()
    browser.force_login(alice)
    page = browser.post(f"/auctions/{lot.pk}/", {"max_price": max_price})
    assert page.status_code == 200  # the page again, with the form's error
    assert b"has-error" in page.content  # the field marked, with its message


@pytest.mark.parametrize("price", BAD_NUMBERS)
def test_a_malformed_order_price_is_refused(alice, key_client, price):
    make_stock("ACME", "100.00")
    answer = key_client(alice).post(
        "/api/v1/orders",
        {"symbol": "ACME", "qty": "1", "side": "buy", "type": "limit", "limit_price": price,
         "time_in_force": "day"},
        format="json",
    )  # fmt: skip
    assert answer.status_code in (400, 422)
    assert answer.json()["code"] == "invalid_price"


V2_CORPUS = [
    "/api/v2/stocks/ACME/bars?timeframe=1Min&start=0001-01-01T00:00:00Z",
    "/api/v2/stocks/ACME/bars?timeframe=1Day&end=9999-12-31T23:59:59Z",
    "/api/v2/stocks/ACME/bars?timeframe=1Day&start=0001-01-01&end=9999-12-31",
    "/api/v2/stocks/ACME/bars?start=2026-01-01T00:00:00-23:59",
    "/api/v2/stocks/ACME/bars?start=0001-01-01T00:00:00" + quote("+23:59"),
    "/api/v2/stocks/ACME/trades?start=0001-01-01T00:00:00-23:59",
    "/api/v2/stocks/ACME/bars?limit=" + HUGE,
    "/api/v2/stocks/ACME/bars?limit=²",
    "/api/v2/stocks/ACME/bars?limit=١٢",
    "/api/v2/stocks/ACME/bars?page_token="
    + base64.urlsafe_b64encode(b"ACME|2026-01-01T00:00:00").decode(),
    "/api/v2/stocks/ACME/bars?page_token=" + base64.urlsafe_b64encode(b"ACME|not-a-time").decode(),
    "/api/v2/account/portfolio/history?period=99999999A",
    "/api/v2/account/portfolio/history?period=²D",
    "/api/v2/account/portfolio/history?start=0001-01-01T00:00:00Z",
    "/api/v2/account/portfolio/history?end=9999-12-31T23:59:59Z",
    "/api/v2/account/portfolio/history?end=0001-01-01T00:00:00-23:59",
    "/api/v2/account/activities?page_size=²",
    "/api/v2/account/activities?page_size=" + HUGE,
    "/api/v2/account/activities?after=0001-01-01T00:00:00-23:59",
    "/api/v2/account/activities?until=9999-12-31T23:59:59%2B23:59",
    "/api/v2/calendar?start=0001-01-01&end=9999-12-31",
    "/api/v2/orders?after=0001-01-01T00:00:00-23:59",
    "/api/v2/orders?until=9999-12-31T23:59:59Z&limit=²",
    "/api/v2/orders?limit=" + HUGE,
]


@pytest.mark.parametrize("path", V2_CORPUS)
def test_v2_answers_malformed_reads_with_a_4xx(alice, key_client, path):
    make_stock("ACME", "100.00")
    answer = key_client(alice).get(path)
    assert answer.status_code < 500, (path, answer.status_code, answer.content[:300])
