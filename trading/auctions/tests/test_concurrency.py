"""50 bidders at once on PostgreSQL while the close fires: one winner, nothing spent twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account
from accounts.services import user_sign_up
from core.errors import DomainError
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.close import auction_close
from trading.auctions.services.create import auction_create
from trading.management.commands.audit_ledger import audit_ledger
from trading.models import Auction, Bid, Position, Trade
from trading.tests.factories import make_stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

BIDDERS = 50


def test_fifty_bidders_and_the_close_racing_leave_one_winner_and_every_dollar_in_place(settings):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    settings.AUCTION_SOFT_CLOSE_SECONDS = 0  # the end must not move: the close races the bids
    make_stock("RACE", "100.00")
    users = [user_sign_up(username=f"bidder{i}", password="x-pass-12345") for i in range(BIDDERS)]
    auction = auction_create(seller=None, symbol="RACE", qty=10, reserve_price="95.00")
    ends = timezone.now() + timedelta(seconds=1.5)
    Auction.objects.filter(pk=auction.pk).update(ends_at=ends, original_ends_at=ends)
    cash_before = Account.objects.aggregate(s=Sum("cash"))["s"]
    shares_before = Position.objects.aggregate(s=Sum("qty"))["s"]
    accepted, refused, errors = [], [], []
    start = threading.Barrier(BIDDERS + 1)

    def bidder(i: int) -> None:
        try:
            start.wait()
            for round_ in range(6):
                price = Decimal("90") + Decimal(i % 17) + Decimal(round_) * 3
                try:
                    accepted.append(
                        auction_bid_place(user=users[i], auction_id=auction.pk, max_price=price)
                    )
                except DomainError as exc:
                    refused.append(exc.code)
                time.sleep(0.05)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    def closer() -> None:
        # Keeps trying from just before the end, as the beat sweep and the end task both do.
        while timezone.now() < ends + timedelta(seconds=1):
            auction_close(auction_id=auction.pk)
            time.sleep(0.01)
        connections.close_all()

    threads = [threading.Thread(target=bidder, args=(i,)) for i in range(BIDDERS)]
    threads += [threading.Thread(target=closer) for _ in range(3)]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join(timeout=60)

    auction.refresh_from_db()
    assert errors == []
    assert accepted and auction.status == "closed"
    assert Trade.objects.filter(auction=auction).count() == 1
    winner = Bid.objects.get(auction=auction, status="won")
    assert winner.bidder_id == auction.winning_bid.bidder_id
    assert not Bid.objects.filter(auction=auction, status__in=["leading", "outbid"]).exists()
    assert not Bid.objects.filter(auction=auction, placed_at__gte=ends).exclude(status="refused")
    assert Account.objects.exclude(user=winner.bidder).filter(reserved_cash__gt=0).count() == 0
    assert Account.objects.filter(cash__lt=0).count() == 0
    assert Account.objects.aggregate(s=Sum("cash"))["s"] == cash_before
    assert Position.objects.aggregate(s=Sum("qty"))["s"] == shares_before
    assert set(refused) <= {"bid_too_low", "bid_not_higher", "auction_ended", "auction_not_open"}
    assert audit_ledger().violations == []


def test_while_a_bid_holds_the_auction_a_bid_under_the_minimum_is_refused_without_waiting(
    settings,
):
    settings.AUCTION_SCHEDULE_CLOSE_TASKS = False
    make_stock("HOLD", "100.00")
    alice, bob, carol = (
        user_sign_up(username=name, password="x-pass-12345") for name in ("alice", "bob", "carol")
    )
    auction = auction_create(seller=None, symbol="HOLD", qty=10, reserve_price="95.00")
    auction_bid_place(user=alice, auction_id=auction.pk, max_price="96.00")
    auction_bid_place(user=carol, auction_id=auction.pk, max_price="95.50")  # alice at 95.75
    held, release = threading.Event(), threading.Event()

    def another_bid_in_progress() -> None:
        from django.db import transaction

        with transaction.atomic():
            # As a bid or the close holds it (see trading.auctions.services).
            Auction.objects.select_for_update(no_key=True).get(pk=auction.pk)
            held.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=another_bid_in_progress)
    holder.start()
    assert held.wait(10)
    started = time.monotonic()
    try:
        with pytest.raises(DomainError) as refused:
            auction_bid_place(user=bob, auction_id=auction.pk, max_price="95.60")
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)

    assert refused.value.code == "bid_too_low"
    assert refused.value.fields["min_next_bid"] == ["96.0000"]
    assert waited < 5  # the holder keeps the lock for 10 s
    assert Bid.objects.filter(bidder=bob, status="refused", reason="bid_too_low").count() == 1
    assert Account.objects.get(user=bob).reserved_cash == 0
    # A bid over the minimum waits for the lock and is taken once it is free.
    assert auction_bid_place(user=bob, auction_id=auction.pk, max_price="97.00").status == "leading"
