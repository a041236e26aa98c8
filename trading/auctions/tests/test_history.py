"""Finding 4: the bid history reads as a buyer expects (eBay's): the highest amount first, the
automatic raises of proxy bidding as rows, each bidder's own maximum kept to themselves; and
the page's one status area says where the user stands (finding 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from trading.auctions.selectors import auction_bid_ladder
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_close
from trading.models import Auction

pytestmark = pytest.mark.django_db


@pytest.fixture
def war(lot, alice, bob, charlie):
    """alice up to 95.00, bob 93.00 (outbid as it lands), charlie 120.00 (takes the lead)."""
    auction_bid_place(user=alice, auction_id=lot.pk, max_price="95.00")
    auction_bid_place(user=bob, auction_id=lot.pk, max_price="93.00")
    auction_bid_place(user=charlie, auction_id=lot.pk, max_price="120.00")
    lot.refresh_from_db()
    return lot


def rows(auction, viewer):
    return [
        (r["bidder"], str(r["amount"]), r["automatic"], r["status"])
        for r in auction_bid_ladder(auction=auction, viewer=viewer)
    ]


def test_a_proxy_war_lists_the_automatic_raises_and_the_leading_amount_first(war, charlie):
    assert war.current_price == Decimal("100.0000")
    assert rows(war, charlie) == [
        ("you", "100.0000", False, "leading"),
        ("bidder 1", "95.0000", True, "outbid"),  # alice raised to her maximum by the proxy
        ("bidder 1", "93.2500", True, "outbid"),  # alice's answer to bob, one increment over
        ("bidder 2", "93.0000", False, "outbid"),
        ("bidder 1", "90.0000", False, "outbid"),
    ]


def test_at_the_close_the_winning_amount_is_first_and_marked_won(war, clock, alice):
    clock.advance(301)
    auction_close(auction_id=war.pk)
    war.refresh_from_db()
    assert war.status == Auction.Status.CLOSED
    assert rows(war, alice)[0] == ("bidder 3", "100.0000", False, "won")
    assert [r[0] for r in rows(war, alice)].count("you") == 3


def page_status(user, auction) -> str:
    browser = Client()
    browser.force_login(user)
    html = browser.get(f"/auctions/{auction.pk}/live/").content.decode()
    start = html.index('id="auction-status"')
    return html[html.index(">", start) + 1 : html.index("</p>", start)]


def test_the_status_area_says_where_each_bidder_stands_with_their_own_maximum(war, alice, charlie):
    assert page_status(charlie, war) == "You lead at $100.00 a share. Your maximum: $120.00."
    assert page_status(alice, war) == (
        "You were outbid: another bidder&#x27;s maximum is higher; the price is $100.00 a share. "
        "The $950.00 held for your bid is back in your buying power. Bid $100.50 or more to lead."
    )


def test_at_the_close_the_loser_is_told_the_held_cash_is_back_and_the_winner_what_they_bought(
    war, clock, alice, charlie
):
    clock.advance(301)
    auction_close(auction_id=war.pk)
    assert page_status(alice, war) == (
        "You lost: sold to another bidder at $100.00 a share. The $950.00 held for your bid is "
        "back in your buying power."
    )
    assert page_status(charlie, war) == (
        "You won: 10 ACME shares at $100.00 a share, $1,000.00 in all. They are in your portfolio."
    )
