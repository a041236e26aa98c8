"""The auctions' stream messages, one typed shape per message type, and their publish.

`auction` is public: on the auction's own group and on the index (`auctions`), numbered by
the auction's `seq`. `auction.standing` is private: a bidder's or the seller's, on their
`orders.<user id>` group. `auction.snapshot` is what a subscriber gets first. Money is
strings, times RFC 3339; the reserve and every maximum but the reader's own stay hidden.
`min_next_bid` comes from the pure rules, so building a message needs no service. These
TypedDicts are part of the stream contract (`streams.contract`, which renders
`docs/stream-messages.schema.json` from them).
"""

# No `from __future__ import annotations` here: TypedDict must see NotRequired[...] itself,
# not as a string, to tell the optional keys from the required ones.
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Literal, NotRequired, TypedDict

from django.utils import timezone

from core import streams
from core.times import rfc3339
from trading.auctions import rules
from trading.models import Auction, Bid


class AuctionPayload(TypedDict):
    """What everyone may see of an auction: never the reserve, never a maximum."""

    id: int
    symbol: str
    qty: str
    status: str
    current_price: str | None
    start_price: str | None
    min_next_bid: str | None
    bid_count: int
    reserve_met: bool
    starts_at: str | None
    ends_at: str | None
    original_ends_at: str | None
    extended: bool
    closed_at: str | None
    sold_price: str | None
    seq: int


class PublicBid(TypedDict):
    bidder: str
    price: str | None
    status: str
    placed_at: str | None


class AuctionMessage(TypedDict):
    """`auction`: an auction's public event (opened, scheduled, bid, extended, closed,
    canceled); `server_time` lets pages count down on the server's clock."""

    type: Literal["auction"]
    event: str
    auction_id: int
    seq: int
    auction: AuctionPayload
    server_time: str | None
    ends_at: str | None
    bid: NotRequired[PublicBid]
    ts: NotRequired[float]


class AuctionStandingMessage(TypedDict):
    """`auction.standing`: a bidder's or the seller's private event (leading, outbid, won,
    lost, settled)."""

    type: Literal["auction.standing"]
    event: str
    auction_id: int
    symbol: str
    current_price: str | None
    max_price: str | None
    ends_at: str | None
    ts: NotRequired[float]
    # Given by the publisher (`core.streams`): the user's private sequence number.
    seq: NotRequired[int]


class AuctionSnapshotMessage(TypedDict):
    """`auction.snapshot`: one auction's state (`auction_id`, `seq`, `auction`, `ends_at`) or,
    for the index, every live auction's (`auctions`), with the server's time."""

    type: Literal["auction.snapshot"]
    server_time: str
    auction_id: NotRequired[int]
    seq: NotRequired[int]
    auction: NotRequired[AuctionPayload]
    ends_at: NotRequired[str | None]
    auctions: NotRequired[list[AuctionPayload]]


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def bidder_labels(auction: Auction) -> dict[int, str]:
    """ "bidder 1", "bidder 2", … by each bidder's first accepted bid on the auction (the
    numbers are kept on the auction row, given out under its lock)."""
    return {int(uid): f"bidder {n}" for uid, n in auction.bidder_numbers.items()}


def auction_payload(auction: Auction) -> AuctionPayload:
    """What everyone may see of an auction: never the reserve, never a maximum."""
    live = auction.status in (Auction.Status.SCHEDULED, Auction.Status.OPEN)
    closed = auction.status == Auction.Status.CLOSED
    next_bid = rules.min_next_bid(auction.terms, auction.current_price) if live else None
    return {
        "id": auction.pk,
        "symbol": auction.stock.symbol,
        "qty": str(auction.qty),
        "status": auction.status,
        "current_price": _dec(auction.current_price),
        "start_price": _dec(auction.start_price),
        "min_next_bid": _dec(next_bid),
        "bid_count": auction.bid_count,
        "reserve_met": auction.reserve_met,
        "starts_at": rfc3339(auction.starts_at),
        "ends_at": rfc3339(auction.ends_at),
        "original_ends_at": rfc3339(auction.original_ends_at),
        "extended": auction.ends_at > auction.original_ends_at,
        "closed_at": rfc3339(auction.closed_at),
        "sold_price": _dec(auction.current_price) if closed else None,
        "seq": auction.seq,
    }


def public_bid(bid: Bid, labels: dict[int, str]) -> PublicBid:
    return {
        "bidder": labels.get(bid.bidder_id, "bidder"),
        "price": _dec(bid.price),
        "status": bid.status,
        "placed_at": rfc3339(bid.placed_at),
    }


def auction_message(
    auction: Auction, event: str, seq: int, bid: Bid | None, labels: dict[int, str]
) -> AuctionMessage:
    """The public `auction` message; `server_time` lets pages count down on the server's clock."""
    state: AuctionPayload = {**auction_payload(auction), "seq": seq}
    message: AuctionMessage = {
        "type": "auction",
        "event": event,
        "auction_id": auction.pk,
        "seq": seq,
        "auction": state,
        "server_time": rfc3339(timezone.now()),
        "ends_at": state["ends_at"],
    }
    if bid is not None:
        message["bid"] = public_bid(bid, labels)
    return message


def auction_standing(auction: Auction, event: str, bid: Bid | None) -> AuctionStandingMessage:
    """A bidder's or seller's private message: leading, outbid, won, lost, settled."""
    return {
        "type": "auction.standing",
        "event": event,
        "auction_id": auction.pk,
        "symbol": auction.stock.symbol,
        "current_price": _dec(auction.current_price),
        "max_price": _dec(bid.max_price) if bid is not None and event != "settled" else None,
        "ends_at": rfc3339(auction.ends_at),
    }


def auction_snapshot_message(auction: Auction, now: datetime) -> AuctionSnapshotMessage:
    """What a subscriber to one auction gets first: its state as of its `seq`."""
    state = auction_payload(auction)
    return {
        "type": "auction.snapshot",
        "auction_id": auction.pk,
        "seq": auction.seq,
        "auction": state,
        "server_time": now.isoformat(),
        "ends_at": state["ends_at"],
    }


def auctions_index_message(live: Iterable[Auction], now: datetime) -> AuctionSnapshotMessage:
    """What a subscriber to the index gets first: every live auction's state."""
    return {
        "type": "auction.snapshot",
        "auctions": [auction_payload(a) for a in live],
        "server_time": now.isoformat(),
    }


def publish_auction(
    auction_id: int,
    public: list[AuctionMessage],
    private: list[tuple[int, AuctionStandingMessage]],
) -> None:
    """An auction's public events (its group and the index) and its bidders' private ones."""
    ts = streams.now_ms()
    sends = []
    for message in public:
        stamped: AuctionMessage = {**message, "ts": ts}
        # The event names its auction for that auction's subscribers, and none for the index's
        # (a socket subscribed to both gets it twice; the seq tells a client it has it).
        one = streams.event("auction", str(auction_id), {"auction": stamped})
        sends.append((streams.auction_group(auction_id), one))
        sends.append((streams.AUCTIONS_GROUP, streams.event("auction", None, {"auction": stamped})))
    for user_id, standing in private:
        private_stamped: AuctionStandingMessage = {**standing, "ts": ts}
        event = streams.event("orders", None, {"orders": private_stamped})
        sends.append((streams.orders_group(user_id), event))
    streams.publish(sends)
