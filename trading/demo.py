"""The demo's live auctions: the house keeps a rolling set of lots running, and the demo
traders bid now and then, so a newcomer always finds auctions with moving bids.

Only runs when AUCTION_DEMO_LOTS > 0 (`make run` sets it); the stocks come from the founding
auction list (`data/auction_lots.csv`: symbol and security code).
"""

from __future__ import annotations

import csv
import random
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path

from django.conf import settings

from accounts.models import User
from core.errors import DomainError
from marketdata.models import Stock
from trading.models import Auction
from trading.services.auctions import auction_bid_place, auction_create, min_next_bid

LOTS_FILE = Path(__file__).resolve().parent / "data" / "auction_lots.csv"
DEMO_BIDDERS = ("alice", "bob", "carol")  # the demo log-ins
# Each sweep (once a second) a demo trader bids with this chance.
BID_CHANCE = 0.15


@cache
def security_codes() -> dict[str, str]:
    """The founding list's 5-digit security code of each auction stock (kept as text)."""
    with LOTS_FILE.open(newline="") as f:
        return {row["symbol"]: row["security"] for row in csv.DictReader(f)}


def _on_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_DOWN) * tick


def demo_auctions_keep(*, lots: int, rng: random.Random | None = None) -> int:
    """Open house lots until `lots` are live, staggered in length; returns how many opened."""
    rng = rng or random.Random()
    house_live = Auction.objects.filter(
        seller__is_house=True, status__in=[Auction.Status.SCHEDULED, Auction.Status.OPEN]
    )
    missing = lots - house_live.count()
    if missing <= 0:
        return 0
    busy = set(house_live.values_list("stock__symbol", flat=True))
    stocks = list(
        Stock.objects.filter(
            symbol__in=list(security_codes()), reference_price__isnull=False, status="active"
        ).exclude(symbol__in=busy)
    )
    opened = 0
    for stock in rng.sample(stocks, min(missing, len(stocks))):
        reference = stock.reference_price
        assert reference is not None  # only priced stocks were chosen
        lot = rng.choice([10, 20, 25, 50, 100]) * stock.lot_size
        duration = settings.AUCTION_DURATION_SECONDS
        if missing == lots:  # a cold start: spread the ends over one auction's length
            duration = duration * (opened + 1) // lots
        auction_create(
            seller=None,
            symbol=stock.symbol,
            qty=lot,
            reserve_price=max(
                stock.tick_size, _on_tick(reference * Decimal("0.97"), stock.tick_size)
            ),
            start_price=max(
                stock.tick_size, _on_tick(reference * Decimal("0.90"), stock.tick_size)
            ),
            duration_seconds=max(30, duration),
        )
        opened += 1
    return opened


def demo_bid(*, rng: random.Random | None = None) -> bool:
    """Now and then a demo trader bids a little over the minimum on a live house lot."""
    rng = rng or random.Random()
    if rng.random() > BID_CHANCE:
        return False
    bidders = list(User.objects.filter(username__in=DEMO_BIDDERS, is_active=True))
    auctions = list(
        Auction.objects.filter(status=Auction.Status.OPEN, seller__is_house=True).select_related(
            "stock", "leading_bid"
        )
    )
    if not bidders or not auctions:
        return False
    auction = rng.choice(auctions)
    bidder = rng.choice(bidders)
    if auction.leading_bid is not None and auction.leading_bid.bidder_id == bidder.id:
        return False
    reference = auction.stock.reference_price
    if reference is None:
        return False
    # Each demo trader values the lot somewhere around the market and bids that as a maximum
    # (proxy bidding does the rest); a lot already above what they would pay gets no bid.
    tick = auction.stock.tick_size
    value = _on_tick(reference * Decimal(str(round(rng.uniform(0.92, 1.04), 4))), tick)
    price = max(value, min_next_bid(auction))
    if price > _on_tick(reference * Decimal("1.04"), tick):
        return False
    try:
        auction_bid_place(user=bidder, auction_id=auction.pk, max_price=str(price))
    except DomainError:
        return False
    return True
