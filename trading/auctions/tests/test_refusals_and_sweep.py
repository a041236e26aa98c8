"""A refused raise leaves the standing bid and its cash as they were; one auction that cannot
close is set aside with its reason and never holds up the others."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account
from core.errors import DomainError
from trading.auctions.scheduler import auctions_sweep
from trading.auctions.services import close as auction_services
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.create import auction_create
from trading.management.commands.audit_ledger import audit_ledger
from trading.models import Auction, Bid

pytestmark = pytest.mark.django_db(transaction=False)


def bid(user, auction, price):
    return auction_bid_place(user=user, auction_id=auction.pk, max_price=price)


def reserved(user) -> Decimal:
    return Account.objects.get(user=user).reserved_cash


@pytest.fixture
def big_lot(acme, clock, settings):
    """1,000 ACME: a maximum of 95.00 holds 95,000 of a trader's 100,000."""
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    return auction_create(
        seller=None, symbol="ACME", qty=1000, reserve_price="90.00", start_price="90.00"
    )


def test_a_raise_refused_for_cash_leaves_the_standing_bid_and_its_reservation(
    big_lot, alice, bob, clock
):
    standing = bid(alice, big_lot, "95.00")
    assert reserved(alice) == Decimal("95000.00")

    with pytest.raises(DomainError) as refused:
        bid(alice, big_lot, "105.00")  # 105,000 > her 100,000
    assert refused.value.code == "insufficient_buying_power"

    standing.refresh_from_db()
    big_lot.refresh_from_db()
    assert standing.status == Bid.Status.LEADING
    assert standing.reserved_cash == Decimal("95000.00")
    assert big_lot.leading_bid_id == standing.pk
    assert reserved(alice) == Decimal("95000.00")  # held by the bid that still leads
    assert Bid.objects.filter(bidder=alice, status=Bid.Status.REFUSED).count() == 1
    assert audit_ledger().violations == []

    # Another bidder is outbid by her standing maximum, and the close settles her lot.
    bid(bob, big_lot, "94.00")
    clock.advance(400)
    assert auctions_sweep()["closed"] == 1
    big_lot.refresh_from_db()
    assert big_lot.status == Auction.Status.CLOSED
    assert big_lot.winning_bid.bidder == alice
    assert reserved(alice) == 0 and reserved(bob) == 0
    assert audit_ledger().violations == []


def test_an_auction_that_cannot_close_is_set_aside_and_the_next_one_closes(
    acme, alice, bob, clock, settings, monkeypatch
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    stuck = auction_create(seller=None, symbol="ACME", qty=5, reserve_price="90.00",
                           start_price="90.00", duration_seconds=60)  # fmt: skip
    later = auction_create(seller=None, symbol="ACME", qty=5, reserve_price="90.00",
                           start_price="90.00", duration_seconds=120)  # fmt: skip
    bid(alice, stuck, "95.00")
    bid(bob, later, "96.00")

    real_settle = auction_services._settle_winner

    def settle_fails_for_stuck(auction, *args, **kwargs):
        if auction.pk == stuck.pk:
            raise DomainError("cash_reserved", "This would take cash that bids have reserved.")
        return real_settle(auction, *args, **kwargs)

    monkeypatch.setattr(auction_services, "_settle_winner", settle_fails_for_stuck)
    clock.advance(200)
    done = auctions_sweep()

    later.refresh_from_db()
    stuck.refresh_from_db()
    assert later.status == Auction.Status.CLOSED and later.winning_bid.bidder == bob
    assert stuck.status == Auction.Status.OPEN  # nothing half-applied
    assert stuck.close_error == "cash_reserved: This would take cash that bids have reserved."
    assert stuck.close_failures == 1
    assert done == {"opened": 0, "closed": 1, "set_aside": 1}
    assert reserved(alice) == Decimal("475.00")  # still held by her leading bid, not lost

    # A set-aside close is retried on a later sweep (not every second), and clears on success.
    monkeypatch.setattr(auction_services, "_settle_winner", real_settle)
    assert auctions_sweep()["closed"] == 0  # too soon to retry
    clock.advance(settings.AUCTION_CLOSE_RETRY_SECONDS)
    assert auctions_sweep()["closed"] == 1
    stuck.refresh_from_db()
    assert stuck.status == Auction.Status.CLOSED and stuck.close_error == ""
    assert audit_ledger().violations == []


def test_staff_see_set_aside_closes_on_healthz(acme, alice, clock, settings, monkeypatch, client):
    from django.contrib.auth import get_user_model

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    stuck = auction_create(seller=None, symbol="ACME", qty=5, reserve_price="90.00",
                           start_price="90.00", duration_seconds=60)  # fmt: skip
    bid(alice, stuck, "95.00")

    def fails(*args, **kwargs):
        raise RuntimeError("settlement exploded")

    monkeypatch.setattr(auction_services, "_settle_winner", fails)
    clock.advance(100)
    auctions_sweep()

    staff = get_user_model().objects.create_user("root", password="pw-123456789", is_staff=True)
    client.force_login(staff)
    body = client.get("/healthz").json()
    assert body["alerts"] == [
        {
            "code": "auction_close_failed",
            "message": f"Auction {stuck.pk} (ACME) could not close: "
            "RuntimeError: settlement exploded",
        }
    ]


def test_a_bid_over_the_collar_is_refused_and_a_print_never_leaves_it(
    acme, alice, bob, clock, settings
):
    from trading.models import BookState, Trade
    from trading.selectors import positions_for
    from trading.tests.factories import give_shares

    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    settings.AUCTION_COLLAR_PCT = Decimal("10")
    give_shares(bob, acme, 100)
    lot = auction_create(seller=None, symbol="ACME", qty=1, reserve_price="90.00",
                         start_price="90.00")  # fmt: skip
    with pytest.raises(DomainError) as refused:
        bid(alice, lot, "500.00")  # 5x the reference
    assert refused.value.code == "bid_outside_collar"
    assert "$110.00" in refused.value.message

    bid(alice, lot, "110.00")
    bid(bob, lot, "109.00")  # alice stands at 109.25 (109 + the 0.25 step)
    acme.reference_price = Decimal("95.00")  # the market fell while the auction ran
    acme.save(update_fields=["reference_price"])
    clock.advance(400)
    auctions_sweep()

    trade = Trade.objects.get(auction=lot)
    assert trade.price == Decimal("104.50")  # the collar's edge over 95.00, not 109.25
    # The print does not re-mark bob's 100 shares: no book trade, so the reference marks them.
    assert BookState.objects.get(stock=acme).last_price is None
    (position,) = positions_for(user=bob)
    assert (position.current_price, position.price_source) == (Decimal("95.00"), "reference")
    assert audit_ledger().violations == []


def test_a_single_odd_book_trade_marks_holders_no_further_than_the_band(acme, bob, settings):
    from trading.models import BookState
    from trading.selectors import positions_for
    from trading.tests.factories import give_shares

    give_shares(bob, acme, 100)
    BookState.objects.filter(stock=acme).update(last_price=Decimal("500.00"))
    (position,) = positions_for(user=bob)
    assert position.current_price == Decimal("110.00")  # the band's edge (10% over 100.00)


def test_a_bidder_hammering_an_auction_cannot_grow_its_history_without_bound(
    lot, alice, bob, clock, settings
):
    settings.AUCTION_REFUSALS_KEPT_PER_MINUTE = 20
    bid(bob, lot, "95.00")
    codes = []
    for _ in range(30):
        with pytest.raises(DomainError) as refused:
            bid(alice, lot, "10.00")
        codes.append(refused.value.code)
    assert codes == ["bid_too_low"] * 30  # every one answered
    assert Bid.objects.filter(bidder=alice, status=Bid.Status.REFUSED).count() == 20
    clock.advance(61)
    with pytest.raises(DomainError):
        bid(alice, lot, "10.00")
    assert Bid.objects.filter(bidder=alice, status=Bid.Status.REFUSED).count() == 21
