"""Refusals read as a trader's sentences, the same on the stock page's ticket and in the API."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from conftest import PASSWORD
from trading.models import Order
from trading.tests.factories import make_stock

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DATABASE_DECIMALS = re.compile(r"\d\.\d{3,}")  # "95.2500": a cent-tick price has two

ORDER = {
    "side": "buy",
    "type": "limit",
    "qty": "1",
    "limit_price": "100.00",
    "time_in_force": "gtc",
}

# (what is sent, on which stock, what the trader reads): the refusals an order meets most.
REFUSALS = [
    ({"qty": "1.5"}, "ACME", "Quantity must be a whole number of shares."),
    ({"qty": "ten"}, "ACME", "Quantity must be a whole number of shares."),
    ({"qty": "0"}, "ACME", "Quantity must be positive."),
    ({"qty": "15"}, "LOTS", "Quantity must be a multiple of the lot (10 shares)."),
    ({"qty": "20000000"}, "ACME", "Quantity may be at most 10,000,000 shares."),
    ({"limit_price": "abc"}, "ACME", "The limit price must be a positive amount, like 101.25."),
    ({"limit_price": "100.005"}, "ACME", "Prices move in steps of $0.01."),
    ({"qty": "10", "limit_price": "100.03"}, "LOTS", "Prices move in steps of $0.05."),
    ({"limit_price": ""}, "ACME", "A limit order needs a limit price."),
    (
        {"limit_price": "150.00"},
        "ACME",
        "The limit price must be between $90.00 and $110.00 (within 10% of the reference price).",
    ),
    (
        {"qty": "2000", "limit_price": "1050.00"},
        "BIGS",
        "Not enough buying power: this needs $2,100,000.00 and you have $100,000.00.",
    ),
    (
        {"side": "sell", "qty": "5"},
        "ACME",
        "You have 0 ACME shares free to sell (shares in open sell orders are held).",
    ),
    (
        {"time_in_force": "fok"},
        "ACME",
        "Fill or kill: the book cannot fill all of it at its price, so nothing was traded.",
    ),
    ({}, "HALT", "Trading in HALT is halted."),
]


@pytest.fixture
def stocks(db):
    make_stock("ACME", "100.00")
    make_stock("LOTS", "100.00", lot_size=10, tick_size="0.05")
    make_stock("BIGS", "1000.00")
    make_stock("HALT", "100.00", status="halted")


def _plain(text: str) -> None:
    assert not SNAKE_CASE.search(text), text
    assert not DATABASE_DECIMALS.search(text), text


@pytest.mark.parametrize(("sent", "symbol", "words"), REFUSALS)
def test_a_refused_ticket_shows_the_sentence_on_the_page(
    client, alice, stocks, sent, symbol, words
):
    client.login(username=alice.username, password=PASSWORD)

    response = client.post(reverse("stock", args=[symbol]), {**ORDER, **sent})

    assert response.status_code == 200
    shown = [m for messages in response.context["form"].errors.values() for m in messages]
    assert shown == [words]
    assert html.escape(words) in response.content.decode()
    _plain(" ".join(shown))
    assert not Order.objects.exists()


@pytest.mark.parametrize(("sent", "symbol", "words"), REFUSALS)
def test_a_refused_order_says_the_same_sentence_in_the_api(
    key_client, alice, stocks, sent, symbol, words
):
    body = {**ORDER, "symbol": symbol, **sent}

    response = key_client(alice).post("/api/v1/orders", body, format="json")

    assert response.status_code in (400, 403, 422)
    error = response.json()
    assert error["message"] == words
    _plain(error["message"])
    for hints in error["fields"].values():
        _plain(" ".join(hints))
    assert set(error["fields"]) <= {"qty", "limit_price"}  # the API's names, unchanged


def test_a_refused_bid_reads_the_same_on_the_auction_page_and_in_the_api(
    client, key_client, alice, bob, stocks
):
    from trading.auctions.services.create import auction_create
    from trading.tests.factories import give_shares

    acme = make_stock("BIDS", "100.00")
    give_shares(bob, acme, 10)
    lot = auction_create(seller=bob, symbol="BIDS", qty=10, reserve_price="95", start_price="95.25")
    client.login(username=alice.username, password=PASSWORD)

    page = client.post(reverse("auction", args=[lot.pk]), {"max_price": "90"})
    api = key_client(alice).post(
        f"/api/v1/auctions/{lot.pk}/bids", {"max_price": "90"}, format="json"
    )

    words = "The lowest bid now is $95.25 a share."
    assert page.context["form"].errors["max_price"] == [words]
    assert (api.json()["code"], api.json()["message"]) == ("bid_too_low", words)
    assert api.json()["fields"]["min_next_bid"] == ["95.2500"]  # for bots: the API's number
    _plain(api.json()["message"])
