"""The auction pages as a browser gets them: the list, one auction, the bid form, my auctions."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.urls import reverse

from conftest import PASSWORD
from trading.auctions.services.create import auction_create
from trading.models import Bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_browser(client, alice):
    client.login(username="alice", password=PASSWORD)
    return client


def test_the_list_shows_live_auctions_with_their_countdown_and_reserve(client, lot):
    page = client.get(reverse("auctions")).content.decode()
    assert "ACME" in page and "reserve not met" in page
    [ends_at] = re.findall(r'data-ends-at="([^"]+)"', page)
    assert datetime.fromisoformat(ends_at) == lot.ends_at
    secret = auction_create(seller=None, symbol="ACME", qty=5, reserve_price="123.45")
    page = client.get(reverse("auctions")).content.decode()
    assert f'data-auction-id="{secret.pk}"' in page
    assert "123.45" not in page  # the reserve stays hidden


def test_the_bid_form_has_the_minimum_bid_filled_in_and_a_bid_leads(alice_browser, lot):
    url = reverse("auction", args=[lot.pk])
    page = alice_browser.get(url).content.decode()
    assert 'value="90.00"' in page

    placed = alice_browser.post(url, {"max_price": "95.00"}, follow=True)

    assert "You lead at $90.00 a share." in placed.content.decode()
    assert Bid.objects.get(auction=lot).status == "leading"


def test_a_refused_bid_is_a_form_error_and_nothing_is_reserved(alice_browser, lot, alice):
    response = alice_browser.post(reverse("auction", args=[lot.pk]), {"max_price": "12"})
    assert response.status_code == 200
    assert "The lowest bid now is $90.00 a share." in response.content.decode()
    assert alice.account.reserved_cash == 0


def test_my_auctions_lists_my_bids(alice_browser, lot):
    alice_browser.post(reverse("auction", args=[lot.pk]), {"max_price": "95.00"})
    page = alice_browser.get(reverse("my-auctions")).content.decode()
    assert "10 ACME" in page and "leading" in page


def test_an_unknown_auction_is_a_404(client):
    assert client.get("/auctions/99999/").status_code == 404
