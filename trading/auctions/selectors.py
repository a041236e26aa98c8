"""Reads on auctions and bids: lists, one auction, the bid history (as stored and as a buyer
reads it), a user's standing, bids and lots, and the closes set aside for staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import User
from trading.auctions import rules
from trading.auctions.messages import bidder_labels
from trading.errors import TradingError
from trading.models import Auction, Bid

LIVE_STATUSES = (Auction.Status.SCHEDULED, Auction.Status.OPEN)


def parse_auction_id(auction_id: object) -> int:
    """An auction id from a client; anything else is no auction (`not_found`)."""
    text = str(auction_id)
    # A number past the id column's range is no auction either (and must not reach the query).
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise TradingError("not_found", "No such auction.")
    return int(text)


def auctions_list(*, status: str = "live") -> QuerySet[Auction]:
    """Auctions by status: live (scheduled or open, ending soonest first), ended, or all."""
    auctions = Auction.objects.select_related("stock")
    if status == "live":
        return auctions.filter(status__in=LIVE_STATUSES).order_by("ends_at")
    if status == "ended":
        return auctions.exclude(status__in=LIVE_STATUSES).order_by("-closed_at")
    if status != "all":
        return auctions.filter(status=status).order_by("-ends_at")
    return auctions.order_by("-ends_at")


def auction_get(*, auction_id: object) -> Auction:
    auction = (
        Auction.objects.select_related("stock").filter(pk=parse_auction_id(auction_id)).first()
    )
    if auction is None:
        raise TradingError("not_found", "No such auction.")
    return auction


def auction_exists(*, auction_id: object) -> bool:
    try:
        pk = parse_auction_id(auction_id)
    except TradingError:
        return False
    return Auction.objects.filter(pk=pk).exists()


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and viewer.is_authenticated else None


def auction_bid_history(*, auction: Auction, viewer: User | None) -> list[dict]:
    """Accepted bids, newest first; bidders masked as "bidder N" except the viewer ("you")."""
    labels = bidder_labels(auction)
    bids = auction.bids.exclude(status=Bid.Status.REFUSED).order_by("-placed_at", "-id")
    viewer_id = _viewer_id(viewer)
    return [
        {
            "bidder": "you" if b.bidder_id == viewer_id else labels.get(b.bidder_id, "bidder"),
            "price": b.price,
            "max_price": b.max_price if b.bidder_id == viewer_id else None,
            "status": b.status,
            "placed_at": b.placed_at,
        }
        for b in bids
    ]


def bids_for(*, user: User, limit: int = 200) -> QuerySet[Bid]:
    """The user's bids, newest first, with their auctions."""
    return (
        Bid.objects.filter(bidder=user)
        .select_related("auction", "auction__stock")
        .order_by("-placed_at", "-id")[:limit]
    )


def auctions_selling(*, user: User, limit: int = 100) -> QuerySet[Auction]:
    """The lots the user offers, latest end first."""
    return Auction.objects.filter(seller=user).select_related("stock").order_by("-ends_at")[:limit]


def my_standing(*, auction: Auction, user: User | None) -> str | None:
    """leading / outbid / won / lost / seller, or None when the user is not in it."""
    if user is None or not user.is_authenticated:
        return None
    if auction.seller_id == user.id:
        return "seller"
    latest = auction.bids.filter(bidder=user).exclude(status="refused").order_by("-id").first()
    if latest is None:
        return None
    return "leading" if latest.status == "canceled" else latest.status


def auction_my_max(*, auction: Auction, user: User | None) -> Decimal | None:
    """The user's own standing maximum on the auction (their latest accepted bid's)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        auction.bids.filter(bidder=user)
        .exclude(status=Bid.Status.REFUSED)
        .order_by("-id")
        .values_list("max_price", flat=True)
        .first()
    )


def auctions_set_aside(limit: int = 20) -> list[Auction]:
    """Live auctions whose close failed (oldest end first), for staff."""
    return list(
        Auction.objects.filter(status__in=LIVE_STATUSES)
        .exclude(close_error="")
        .select_related("stock")
        .order_by("ends_at")[:limit]
    )


# --------------------------------------------------------------------------- the bid ladder
@dataclass
class _Ladder:
    """The bid ladder as it is replayed: its rows so far, the leader and the price."""

    labels: dict[int, str]
    viewer_id: int | None
    rows: list[dict] = field(default_factory=list)
    leader: Bid | None = None
    price: Decimal | None = None
    runner_up_max: Decimal | None = None

    def row(self, bidder_id: int, amount: Decimal, at: datetime, automatic: bool) -> None:
        mine = bidder_id == self.viewer_id
        self.rows.append(
            {
                "bidder": "you" if mine else self.labels.get(bidder_id, "bidder"),
                "mine": mine,
                "amount": amount,
                "placed_at": at,
                "automatic": automatic,
                "order": len(self.rows),
            }
        )


def auction_bid_ladder(*, auction: Auction, viewer: User | None) -> list[dict]:
    """The bid history as a buyer reads it (eBay's): each accepted bid at the amount it bid,
    the automatic raises proxy bidding made for the leader as rows of their own, the highest
    amount first (the winning one at a close). Bidders are masked "bidder N", except the
    viewer ("you"); nobody's maximum is shown.

    The raises are not stored: they are replayed from the accepted bids in the order they
    were taken, by the rule the bids were priced by (`rules.standing`)."""
    ladder = _Ladder(labels=bidder_labels(auction), viewer_id=_viewer_id(viewer))
    terms = auction.terms
    for bid in auction.bids.exclude(status=Bid.Status.REFUSED).order_by("id"):
        _replay(ladder, bid, terms)
    rows = ladder.rows
    # The highest first; at one amount, the later row (the leader's answer to a tie) first.
    rows.sort(key=lambda r: (r["amount"], r["order"]), reverse=True)
    for index, r in enumerate(rows):
        r["status"] = _ladder_status(auction, index)
    return rows


def _replay(ladder: _Ladder, bid: Bid, terms: rules.Terms) -> None:
    """One accepted bid's rows on the ladder, as proxy bidding priced it."""
    bid_max = bid.max_price or Decimal("0")
    leader = ladder.leader
    if leader is None or bid.bidder_id == leader.bidder_id:
        # The first bid, or the leader raising its own maximum: a row when the price moved.
        if bid.price is not None and bid.price != ladder.price:
            ladder.row(bid.bidder_id, bid.price, bid.placed_at, automatic=False)
        ladder.leader, ladder.price = bid, bid.price
        return
    leader_max = leader.max_price or Decimal("0")
    if bid_max > leader_max:
        # Takes the lead: the old leader was first raised to its maximum, automatically.
        if ladder.price is None or leader_max > ladder.price:
            ladder.row(leader.bidder_id, leader_max, bid.placed_at, automatic=True)
        ladder.runner_up_max = leader_max
        ladder.leader, ladder.price = bid, bid.price
        if bid.price is not None:
            ladder.row(bid.bidder_id, bid.price, bid.placed_at, automatic=False)
        return
    # Outbid as it lands: the bid at its maximum, then the leader's automatic answer.
    ladder.row(bid.bidder_id, bid_max, bid.placed_at, automatic=False)
    ladder.runner_up_max = max(bid_max, ladder.runner_up_max or bid_max)
    answer = rules.standing(terms, ladder.runner_up_max, leader_max)
    if answer != ladder.price:
        ladder.row(leader.bidder_id, answer, bid.placed_at, automatic=True)
        ladder.price = answer


def _ladder_status(auction: Auction, index: int) -> str:
    """The top row wins, leads or stands under the reserve; every other was outbid."""
    if index == 0 and auction.status == Auction.Status.CLOSED:
        return "won"
    if index == 0 and auction.status in LIVE_STATUSES:
        return "leading"
    if index == 0 and auction.status == Auction.Status.NO_SALE:
        return "under reserve"
    return "outbid"
