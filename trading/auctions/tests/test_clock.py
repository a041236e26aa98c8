"""The clock for real: a Celery worker and beat close auctions on time, extensions included."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from marketdata.tests.test_clock import celery, database_url, stop
from trading.auctions.services.bids import auction_bid_place
from trading.auctions.services.create import auction_create
from trading.models import Auction
from trading.tests.factories import make_stock

LOTS = 20


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_close_twenty_short_auctions_within_two_seconds(
    tmp_path, alice, bob
):
    make_stock("TICK", "50.00")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "AUCTION_SCHEDULE_CLOSE_TASKS": "true",
        "AUCTION_SOFT_CLOSE_SECONDS": "3",
        "PRICE_PULL_SECONDS": "3600",
        "BROKERAGE_VAR_DIR": str(tmp_path),
    }
    worker = celery(
        "worker", "--pool", "solo", "--without-gossip", "--without-mingle",
        env=env, log=tmp_path / "worker.log",
    )  # fmt: skip
    beat = celery("beat", "--schedule", str(tmp_path / "beat"), env=env, log=tmp_path / "beat.log")
    try:
        time.sleep(3)  # the worker and beat come up
        auctions = []
        for i in range(LOTS):
            auction = auction_create(
                seller=None, symbol="TICK", qty=10, reserve_price="45.00",
                duration_seconds=4 + i % 5,
            )  # fmt: skip
            auction_bid_place(user=alice, auction_id=auction.pk, max_price="46.00")
            auctions.append(auction)
        # A late bid on the last one moves its close (soft close: 3 s here).
        late = auctions[-1]
        while timezone.now() < late.ends_at - timedelta(seconds=1):
            time.sleep(0.05)
        auction_bid_place(user=bob, auction_id=late.pk, max_price="47.00")
        moved_to = Auction.objects.get(pk=late.pk).ends_at
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if not Auction.objects.filter(pk__in=[a.pk for a in auctions], status="open").exists():
                break
            time.sleep(0.2)
    finally:
        stop(beat)
        stop(worker)
    logs = (tmp_path / "worker.log").read_text()[-3000:]
    closed = {a.pk: a for a in Auction.objects.filter(pk__in=[a.pk for a in auctions])}
    assert {a.status for a in closed.values()} == {"closed"}, logs
    lateness = sorted(a.close_lateness_ms for a in closed.values())
    print(f"close lateness ms: median {lateness[len(lateness) // 2]}, max {lateness[-1]}")
    assert lateness[-1] <= 2000, lateness
    assert moved_to > late.original_ends_at
    assert closed[late.pk].closed_at >= moved_to
    assert closed[late.pk].winning_bid.bidder == bob
