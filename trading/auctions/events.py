"""An auction transaction's events, collected inside it and streamed after it commits."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from trading.auctions import messages
from trading.models import Auction, Bid


@dataclass
class AuctionEvents:
    """One transaction's events on one auction: public (everyone) and private (a bidder's)."""

    auction: Auction
    public_events: list[tuple[str, Bid | None]] = field(default_factory=list)
    private_events: list[tuple[int, str, Bid | None]] = field(default_factory=list)

    def public(self, kind: str, *, bid: Bid | None = None) -> None:
        """opened, scheduled, bid, extended, closed, canceled: each takes the next `seq`
        (on the auction row, which the caller saves after)."""
        self.auction.seq += 1
        self.public_events.append((kind, bid))

    def private(self, user_id: int, kind: str, bid: Bid | None) -> None:
        """leading, outbid, won, lost, settled: to one user's private channel."""
        self.private_events.append((user_id, kind, bid))

    def publish_on_commit(self) -> None:
        """Number the public events, build every message now, send them after the commit."""
        auction = self.auction
        first = auction.seq - len(self.public_events) + 1
        bids = [bid for _, bid in self.public_events if bid is not None]
        labels = messages.bidder_labels(auction) if bids else {}
        public = [
            messages.auction_message(auction, kind, first + i, bid, labels)
            for i, (kind, bid) in enumerate(self.public_events)
        ]
        private = [
            (user_id, messages.auction_standing(auction, kind, bid))
            for user_id, kind, bid in self.private_events
        ]
        auction_id = auction.pk
        transaction.on_commit(lambda: messages.publish_auction(auction_id, public, private))
