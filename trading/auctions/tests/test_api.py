"""The auctions API as a bot uses it: list, bid, history with masked bidders, errors."""

from __future__ import annotations

import pytest

from trading.models import Bid
from trading.tests.factories import give_shares

pytestmark = pytest.mark.django_db


def test_a_bot_finds_a_live_auction_and_bids_on_it(lot, alice, key_client):
    client = key_client(alice)
    [listed] = client.get("/api/v1/auctions").json()
    assert (listed["id"], listed["symbol"], listed["min_next_bid"]) == (lot.pk, "ACME", "90.0000")
    assert "reserve_price" not in listed and listed["reserve_met"] is False
    assert listed["server_time"] and listed["ends_at"]

    placed = client.post(f"/api/v1/auctions/{lot.pk}/bids", {"max_price": "95.00"}, format="json")

    assert placed.status_code == 201
    assert (placed.json()["status"], placed.json()["max_price"]) == ("leading", "95.0000")
    detail = client.get(f"/api/v1/auctions/{lot.pk}").json()
    assert (detail["current_price"], detail["bid_count"], detail["my_standing"]) == (
        "90.0000",
        1,
        "leading",
    )


def test_the_history_masks_other_bidders_and_their_maximums(lot, alice, bob, key_client):
    key_client(alice).post(f"/api/v1/auctions/{lot.pk}/bids", {"max_price": "99.00"}, format="json")
    key_client(bob).post(f"/api/v1/auctions/{lot.pk}/bids", {"max_price": "98.00"}, format="json")

    seen_by_bob = key_client(bob).get(f"/api/v1/auctions/{lot.pk}/bids").json()

    assert [(b["bidder"], b["max_price"], b["status"]) for b in seen_by_bob] == [
        ("you", "98.0000", "outbid"),
        ("bidder 1", None, "leading"),
    ]
    assert "alice" not in str(seen_by_bob)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"max_price": "10"}, 422, "bid_too_low"),
        ({"max_price": "NaN"}, 400, "invalid_price"),
        ({"max_price": "1e9"}, 400, "invalid_price"),
        ({"max_price": "95.123"}, 422, "price_off_tick"),
        ({}, 400, "invalid_request"),
        ({"max_price": "50000"}, 403, "insufficient_buying_power"),
    ],
)
def test_bad_bids_get_a_clear_4xx(lot, alice, key_client, body, status, code):
    response = key_client(alice).post(f"/api/v1/auctions/{lot.pk}/bids", body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["message"]
    assert not Bid.objects.exclude(status="refused").exists()


def test_a_user_sells_held_shares_by_auction_and_cancels_before_any_bid(acme, bob, key_client):
    give_shares(bob, acme, 20)
    client = key_client(bob)
    created = client.post(
        "/api/v1/auctions",
        {"symbol": "ACME", "qty": "20", "reserve_price": "95.00", "duration_seconds": 60},
        format="json",
    )
    assert created.status_code == 201, created.json()
    too_many = client.post(
        "/api/v1/auctions", {"symbol": "ACME", "qty": "1", "reserve_price": "95.00"}, format="json"
    )
    assert (too_many.status_code, too_many.json()["code"]) == (403, "insufficient_qty")

    canceled = client.delete(f"/api/v1/auctions/{created.json()['id']}")
    assert canceled.json()["status"] == "canceled"
    assert client.get("/api/v1/auctions/999999").status_code == 404
