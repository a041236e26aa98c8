"""The auction rules, service by service: proxy bidding, reserve, soft close, close, cancel."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import Account
from core.errors import DomainError
from trading.auctions.scheduler import auctions_sweep
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_cancel, auction_close
from trading.auctions.services.create import auction_create
from trading.management.commands.audit_ledger import audit_ledger
from trading.models import Auction, Bid, Position, Trade
from trading.tests.factories import give_shares, make_stock

pytestmark = pytest.mark.django_db(transaction=False)


def bid(user, auction, price):
    return auction_bid_place(user=user, auction_id=auction.pk, max_price=price)


def reserved(user) -> Decimal:
    return Account.objects.get(user=user).reserved_cash


def test_the_leader_stands_one_increment_over_the_runner_up_capped_at_its_maximum(lot, alice, bob):
    bid(alice, lot, "95.00")
    lot.refresh_from_db()
    assert lot.current_price == Decimal("90.00")  # alone: the opening price

    bid(bob, lot, "97.00")
    lot.refresh_from_db()
    assert lot.leading_bid.bidder == bob
    assert lot.current_price == Decimal("95.25")  # 95.00 + the 0.25 step of the ladder
    assert reserved(alice) == 0  # outbid: released in the same transaction
    assert reserved(bob) == Decimal("970.00")  # his maximum × the lot

    bid(alice, lot, "97.10")
    lot.refresh_from_db()
    assert (lot.leading_bid.bidder, lot.current_price) == (alice, Decimal("97.10"))


def test_a_tie_goes_to_the_earlier_maximum(lot, alice, bob):
    bid(alice, lot, "96.00")
    outbid = bid(bob, lot, "96.00")
    lot.refresh_from_db()
    assert lot.leading_bid.bidder == alice
    assert lot.current_price == Decimal("96.00")
    assert outbid.status == Bid.Status.OUTBID
    assert reserved(bob) == 0


def test_a_bidder_raises_their_own_maximum_but_cannot_outbid_themselves(lot, alice, bob):
    bid(alice, lot, "95.00")
    bid(bob, lot, "93.00")
    lot.refresh_from_db()
    assert lot.current_price == Decimal("93.25")

    bid(alice, lot, "99.00")
    lot.refresh_from_db()
    assert lot.current_price == Decimal("93.25")  # raising a maximum does not raise the price
    assert reserved(alice) == Decimal("990.00")
    with pytest.raises(DomainError) as refused:
        bid(alice, lot, "98.00")
    assert refused.value.code == "bid_not_higher"


def test_the_reserve_is_hidden_until_met(lot, alice, bob):
    bid(alice, lot, "99.00")
    lot.refresh_from_db()
    assert not lot.reserve_met
    bid(bob, lot, "120.00")
    lot.refresh_from_db()
    assert lot.reserve_met
    assert lot.current_price == Decimal("100.00")  # lifted to the reserve, not to the maximum


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("89.99", "bid_too_low"),
        ("-5", "invalid_price"),
        ("NaN", "invalid_price"),
        ("95.001", "price_off_tick"),
        ("abc", "invalid_price"),
        ("20000", "insufficient_buying_power"),
    ],
)
def test_a_refused_bid_is_kept_and_changes_nothing_else(lot, alice, price, code):
    with pytest.raises(DomainError) as refused:
        bid(alice, lot, price)
    assert refused.value.code == code
    lot.refresh_from_db()
    assert (lot.bid_count, lot.current_price, lot.ends_at) == (0, None, lot.original_ends_at)
    assert reserved(alice) == 0
    assert Bid.objects.get(auction=lot).status == Bid.Status.REFUSED


def test_the_seller_cannot_bid_on_their_own_auction(acme, alice, clock, settings):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    give_shares(alice, acme, 10)
    auction = auction_create(seller=alice, symbol="ACME", qty=10, reserve_price="50.00")
    with pytest.raises(DomainError) as refused:
        bid(alice, auction, "60.00")
    assert refused.value.code == "own_auction"


def test_a_bid_a_millisecond_after_the_end_is_refused(lot, alice, clock):
    clock.now = lot.ends_at
    with pytest.raises(DomainError) as refused:
        bid(alice, lot, "95.00")
    assert refused.value.code == "auction_ended"
    lot.refresh_from_db()
    assert lot.ends_at == lot.original_ends_at  # a refused bid never extends


def test_a_late_bid_extends_the_end_and_the_extensions_are_capped(lot, alice, bob, clock):
    clock.now = lot.ends_at - timedelta(seconds=10)
    bid(alice, lot, "95.00")
    lot.refresh_from_db()
    assert (lot.ends_at - clock.now).total_seconds() == 30
    for turn in range(40):  # a bidding war in the last seconds, every 25 s
        clock.advance(25)
        if clock.now >= lot.ends_at:
            break
        bid(alice if turn % 2 else bob, lot, str(Decimal("95") + 5 * (turn + 1)))
        lot.refresh_from_db()
    assert (lot.ends_at - lot.original_ends_at).total_seconds() == 300


def test_the_close_settles_the_winner_as_an_auction_print(lot, alice, bob, clock):
    bid(alice, lot, "105.00")
    bid(bob, lot, "103.00")
    clock.now = lot.ends_at
    auction_close(auction_id=lot.pk)

    lot.refresh_from_db()
    assert (lot.status, lot.winning_bid.bidder, lot.current_price) == (
        "closed",
        alice,
        Decimal("103.50"),  # bob's 103.00 + the 0.50 step above 100
    )
    assert lot.close_lateness_ms == 0
    print_ = Trade.objects.get(auction=lot)
    assert (print_.buyer, print_.price, print_.qty) == (alice, Decimal("103.50"), 10)
    assert Position.objects.get(user=alice, stock=lot.stock).qty == 10
    assert Account.objects.get(user=alice).cash == Decimal("100000.00") - Decimal("1035.00")
    assert reserved(alice) == reserved(bob) == 0
    assert set(lot.bids.values_list("bidder__username", "status")) == {
        ("alice", "won"),
        ("bob", "lost"),
    }
    assert audit_ledger().violations == []


def test_no_bid_at_the_reserve_is_no_sale_and_the_lot_goes_back(acme, alice, bob, clock, settings):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    give_shares(bob, acme, 10)
    auction = auction_create(seller=bob, symbol="ACME", qty=10, reserve_price="150.00")
    assert Position.objects.get(user=bob, stock=acme).reserved_qty == 10
    bid(alice, auction, "120.00")
    clock.now = auction.ends_at
    auction_close(auction_id=auction.pk)
    auction.refresh_from_db()
    assert auction.status == "no_sale"
    assert Position.objects.get(user=bob, stock=acme).reserved_qty == 0
    assert reserved(alice) == 0
    assert audit_ledger().violations == []


def test_closing_twice_or_early_settles_once(lot, alice, clock):
    bid(alice, lot, "101.00")
    assert auction_close(auction_id=lot.pk).status == "open"  # not yet: nothing happens
    clock.now = lot.ends_at
    auction_close(auction_id=lot.pk)
    auction_close(auction_id=lot.pk)
    assert auctions_sweep() == {"opened": 0, "closed": 0, "set_aside": 0}
    assert Trade.objects.filter(auction=lot).count() == 1


def test_cancel_releases_everything(lot, alice, bob, acme, clock, settings):
    bid(alice, lot, "101.00")
    auction_cancel(auction_id=lot.pk, user=None)
    lot.refresh_from_db()
    assert lot.status == "canceled"
    assert reserved(alice) == 0
    give_shares(bob, acme, 5)
    mine = auction_create(seller=bob, symbol="ACME", qty=5, reserve_price="90.00")
    bid(alice, mine, "95.00")
    with pytest.raises(DomainError) as refused:
        auction_cancel(auction_id=mine.pk, user=bob)
    assert refused.value.code == "auction_has_bids"
    assert audit_ledger().violations == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"qty": "11"}, "insufficient_qty"),
        ({"duration_seconds": -5}, "invalid_end"),
        ({"reserve_price": "0"}, "invalid_price"),
        ({"symbol": "NOPE"}, "unknown_symbol"),
    ],
)
def test_a_bad_auction_is_refused_and_nothing_is_reserved(
    acme, bob, clock, settings, changes, code
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    give_shares(bob, acme, 10)
    args = {"seller": bob, "symbol": "ACME", "qty": "10", "reserve_price": "90.00", **changes}
    with pytest.raises(DomainError) as refused:
        auction_create(**args)
    assert refused.value.code == code
    assert Position.objects.get(user=bob, stock=acme).reserved_qty == 0
    assert not Auction.objects.exists()


def test_a_halted_stock_cannot_be_auctioned(bob, clock, settings):
    make_stock("HALT", "10.00", status="halted")
    with pytest.raises(DomainError) as refused:
        auction_create(seller=None, symbol="HALT", qty=1, reserve_price="10.00")
    assert refused.value.code == "symbol_halted"


def test_the_demo_keeps_house_lots_running_and_its_own_bidders_bid(alice, bob, settings, clock):
    import random

    from marketdata.securities import security_codes
    from trading.demo import DEMO_BIDDERS, demo_auctions_keep, demo_bid

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    for symbol in list(security_codes())[:10]:
        make_stock(symbol, "20.00")
    rng = random.Random(7)

    assert demo_auctions_keep(lots=6, rng=rng) == 6
    assert demo_auctions_keep(lots=6, rng=rng) == 0
    ends = sorted(Auction.objects.values_list("ends_at", flat=True))
    assert len(set(ends)) == 6  # staggered
    bids = sum(demo_bid(rng=rng) for _ in range(200))
    assert bids > 5
    assert Bid.objects.filter(status="leading").count() >= 1
    # The demo's own bidders bid, never the people who log in (alice and bob here).
    assert set(Bid.objects.values_list("bidder__username", flat=True)) <= set(DEMO_BIDDERS)
    assert not Bid.objects.filter(bidder__in=[alice, bob]).exists()
    assert audit_ledger().violations == []
