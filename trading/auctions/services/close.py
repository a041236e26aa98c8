"""The close (the winner settled as an auction print, or the lot returned) and the cancel.

Both take the stock's book lock first (shares move), then the auction row: the house's lock
order (see `trading.auctions.services`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from core.db import rows_update
from trading.auctions.events import AuctionEvents
from trading.auctions.selectors import parse_auction_id
from trading.errors import TradingError
from trading.events import MarketEvents
from trading.models import Auction, Bid, BookState, Trade
from trading.pricing import band, fee, maker_fee_bps, taker_fee_bps
from trading.services.locks import book_lock, positions_lock
from trading.services.settlement import Ledger, Party, fill_settle

LIVE = (Auction.Status.SCHEDULED, Auction.Status.OPEN)


def collar_high(auction: Auction) -> Decimal | None:
    """The highest price a lot may print at: AUCTION_COLLAR_PCT over the reference price, on
    the tick (None while the stock has no reference, or with the collar off: 0). One lot
    must not set a price far from the market, for its holders or the tape."""
    stock = auction.stock
    if not stock.reference_price or not settings.AUCTION_COLLAR_PCT:
        return None
    pct = settings.AUCTION_COLLAR_PCT / 100
    return band(stock.reference_price, pct, stock.tick_size)[1]


def bid_end(bid: Bid, status: str, reason: str) -> None:
    """A bid stops standing (outbid, raised, won, lost, canceled): its reservation is gone."""
    bid.status, bid.reason, bid.reserved_cash = status, reason, Decimal("0")
    rows_update([bid], ["status", "reason", "reserved_cash"])


def auction_close(*, auction_id: int) -> Auction | None:
    """Close an auction whose time is up, exactly once; a second call (or an early one) is a
    no-op. The leading bid at or above the reserve wins at its standing price."""
    stock_id = Auction.objects.filter(pk=auction_id).values_list("stock_id", flat=True).first()
    if stock_id is None:
        return None
    with transaction.atomic():
        state = book_lock(stock_id)
        # The leader is read after the lock (see auction_bid_place), not joined to it.
        auction = Auction.objects.select_for_update(of=("self",), no_key=True).get(pk=auction_id)
        now = timezone.now()
        if auction.status not in LIVE or now < auction.ends_at:
            return auction
        auction.stock = state.stock
        leader = auction.leading_bid
        events = AuctionEvents(auction)
        if leader is not None and auction.reserve_met:
            _settle_winner(auction, leader, state, events)
        else:
            _return_lot(auction, leader, events, Auction.Status.NO_SALE, "reserve_not_met")
        auction.closed_at = now
        auction.close_lateness_ms = int((now - auction.ends_at).total_seconds() * 1000)
        auction.close_error, auction.close_failed_at = "", None
        events.public("closed")
        auction.save()
        events.publish_on_commit()
    return auction


def _settle_winner(auction: Auction, leader: Bid, state: BookState, events: AuctionEvents) -> None:
    stock, price, qty = auction.stock, auction.current_price, auction.qty
    assert price is not None, "a winner stands at a price"
    high = collar_high(auction)
    if high is not None and price > high:
        # The reference fell since the bidding: the lot prints at the collar's edge, below
        # the winner's standing price (never above what they bid).
        price = auction.current_price = high
    notional = price * qty
    buyer_fee, seller_fee = fee(notional, taker_fee_bps()), fee(notional, maker_fee_bps())
    house_id = accounts.house_account_id() if (buyer_fee or seller_fee) else None
    locked = accounts.accounts_lock(
        {leader.bidder_id, auction.seller_id, *([house_id] if house_id else [])}
    )
    before = accounts.balances(locked)
    positions = positions_lock(stock, {leader.bidder_id, auction.seller_id})
    accounts.cash_release(account=locked[leader.bidder_id], amount=leader.reserved_cash)
    state.trade_seq += 1
    ledger = Ledger()
    fill_settle(
        stock=stock,
        reference=f"auction:{auction.pk}",
        price=price,
        qty=qty,
        buyer=Party(locked[leader.bidder_id], positions[leader.bidder_id]),
        seller=Party(locked[auction.seller_id], positions[auction.seller_id]),
        buyer_fee=buyer_fee,
        seller_fee=seller_fee,
        house=locked.get(house_id) if house_id else None,
        ledger=ledger,
    )
    for row in ledger.shares:
        row.kind = "auction"
    for move in ledger.cash:
        if move.kind == "trade":
            move.kind = "auction"
    now = timezone.now()
    trade = Trade(
        stock=stock, seq=state.trade_seq, price=price, qty=qty, auction=auction,
        buyer_id=leader.bidder_id, seller_id=auction.seller_id, maker_side="sell",
        buyer_fee=buyer_fee, seller_fee=seller_fee, executed_at=now,
    )  # fmt: skip
    for pos in positions.values():
        pos.save(update_fields=["qty", "reserved_qty", "avg_cost", "realized_pl", "updated_at"])
    ledger.write(locked, before, [trade])
    # Not the last-sale price that marks positions (trading.selectors): one lot, sold to one
    # bidder, must not re-price every holder of the stock.
    state.save(update_fields=["trade_seq"])
    bid_end(leader, Bid.Status.WON, "won")
    auction.status, auction.winning_bid = Auction.Status.CLOSED, leader
    market = MarketEvents(stock, positions={uid: pos.qty for uid, pos in positions.items()})
    market.trades.append(trade)
    market.publish_on_commit()
    events.private(leader.bidder_id, "won", leader)
    events.private(auction.seller_id, "settled", leader)
    _mark_losers(auction, leader, events)


def _return_lot(
    auction: Auction, leader: Bid | None, events: AuctionEvents, status: str, reason: str
) -> None:
    """No sale (or a cancel): the shares go back to the seller, the leader's cash is released."""
    if leader is not None:
        locked = accounts.accounts_lock({leader.bidder_id})
        before = {uid: a.reserved_cash for uid, a in locked.items()}
        accounts.cash_release(account=locked[leader.bidder_id], amount=leader.reserved_cash)
        accounts.reservations_save(locked, before)
        bid_end(
            leader,
            Bid.Status.LOST if status == Auction.Status.NO_SALE else Bid.Status.CANCELED,
            reason,
        )
        events.private(leader.bidder_id, "lost", leader)
    position = positions_lock(auction.stock, {auction.seller_id})[auction.seller_id]
    position.reserved_qty -= auction.qty
    position.save(update_fields=["reserved_qty", "updated_at"])
    auction.status = status
    _mark_losers(auction, leader, events)


def _mark_losers(auction: Auction, winner: Bid | None, events: AuctionEvents) -> None:
    """Outbid bids end as lost; their cash was released when they were outbid."""
    losers = auction.bids.filter(status=Bid.Status.OUTBID)
    for bidder_id in set(losers.values_list("bidder_id", flat=True)) - {
        winner.bidder_id if winner else None
    }:
        events.private(bidder_id, "lost", None)
    losers.update(status=Bid.Status.LOST)


def auction_cancel(*, auction_id: object, user: User | None) -> Auction:
    """Cancel before the close: staff (`user` None) at any time, the seller before any bid."""
    pk = parse_auction_id(auction_id)
    stock_id = Auction.objects.filter(pk=pk).values_list("stock_id", flat=True).first()
    if stock_id is None:
        raise TradingError("not_found", "No such auction.")
    with transaction.atomic():
        state = book_lock(stock_id)
        auction = Auction.objects.select_for_update(of=("self",), no_key=True).get(pk=pk)
        auction.stock = state.stock
        if user is not None and user.id != auction.seller_id:
            raise TradingError("not_found", "No such auction.")
        if auction.status not in LIVE:
            raise TradingError(
                "auction_not_cancelable",
                f"The auction is {auction.get_status_display().lower()}; it can no longer be "
                "canceled.",
            )
        if user is not None and auction.bid_count:
            raise TradingError(
                "auction_has_bids", "An auction with bids can only be canceled by staff."
            )
        events = AuctionEvents(auction)
        _return_lot(
            auction, auction.leading_bid, events, Auction.Status.CANCELED, "auction_canceled"
        )
        auction.closed_at = timezone.now()
        events.public("canceled")
        auction.save()
        events.publish_on_commit()
    return auction
