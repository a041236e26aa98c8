"""Bids: proxy bidding under the auction's row lock, refusals kept for the history.

A bid reserves its maximum × the lot (fees included) through the accounts services; when it
is outbid that reservation is released in the same transaction, once. A bid in the last
seconds moves the end (the soft close). The rules a bid is priced by are
`trading.auctions.rules`; the lock order is the package's (`trading.auctions.services`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Account, User
from core import words
from core.db import Prepared, rows_update
from core.errors import DomainError
from trading.auctions import rules
from trading.auctions.events import AuctionEvents
from trading.auctions.scheduler import close_schedule_on_commit
from trading.auctions.selectors import parse_auction_id
from trading.auctions.services.close import bid_end, collar_high
from trading.errors import TradingError
from trading.models import Auction, Bid
from trading.pricing import reservation
from trading.services.parsing import parse_decimal, parse_price


class _Refusal(Exception):
    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


# The bid path's look-ups, compiled once (core.db.Prepared): the auction with its stock,
# locked (at once or not at all, or waiting), and a bid by id.
def _auction_locking(pk: int, *, skip_locked: bool) -> QuerySet[Auction]:
    locking = Auction.objects.select_related("stock").filter(pk=pk)[:1]
    return locking.select_for_update(of=("self",), no_key=True, skip_locked=skip_locked)


_AUCTION_IF_FREE = Prepared(lambda pk: _auction_locking(pk, skip_locked=True), int)
_AUCTION_LOCK = Prepared(lambda pk: _auction_locking(pk, skip_locked=False), int)
_BID = Prepared(lambda pk: Bid.objects.filter(pk=pk)[:1], int)
# What a bid changes on the auction row: it writes only these.
_BID_CHANGES = [
    "status", "ends_at", "current_price", "runner_up_max", "leading_bid", "bid_count",
    "bidder_numbers", "seq",
]  # fmt: skip


def auction_bid_place(*, user: User, auction_id: object, max_price: object) -> Bid:
    """Bid a maximum price per share for the whole lot (proxy bidding).

    The leader stands at the lowest price that beats the runner-up by one increment, capped
    at its maximum; ties go to the earlier maximum. A refused bid is kept (status refused),
    changes nothing else, never extends the end, and raises the refusal after it is stored.
    """
    pk = parse_auction_id(auction_id)
    refused: DomainError | None = None
    with transaction.atomic():
        # Not select_related("leading_bid"): a row joined to the locked one is read as of the
        # statement's start, before the lock was granted, so it could be a leader already
        # outbid. The leader is read after the lock, fresh.
        # A free row is locked at once. While another bid holds it, a bid under the minimum
        # is refused (and kept) without queueing for it; any other waits for the lock.
        auction = _AUCTION_IF_FREE.first(pk)
        if auction is None:
            refused = _too_low_already(pk, user, max_price)
            if refused is None:
                auction = _AUCTION_LOCK.first(pk)
        if refused is None:
            if auction is None:
                raise TradingError("not_found", "No such auction.")
            if auction.leading_bid_id is not None:
                auction.leading_bid = _BID.first(auction.leading_bid_id)
            bid, refused = _bid_under_lock(auction, user, max_price)
    if refused is not None:
        raise refused
    return bid


def _bid_under_lock(
    auction: Auction, user: User, max_price: object
) -> tuple[Bid, DomainError | None]:
    """The bid, accepted or refused (and then kept with its reason), on the locked auction."""
    now = timezone.now()
    try:
        # A savepoint: a refusal raised part-way (the bidder's cash, after the standing bid was
        # touched) rolls back whatever the acceptance had written before the refusal is kept.
        with transaction.atomic():
            return _bid_accept(auction, user, _parse_max(max_price, auction), now), None
    except _Refusal as exc:
        return _keep_refusal(auction, user, _stored_price(max_price), exc.error, now), exc.error


def _too_low_already(pk: int, user: User, max_price: object) -> DomainError | None:
    """A bid under the minimum as read without the lock is refused without taking it.

    While an auction is open its price only rises, and so does its minimum bid: a bid under a
    minimum read a moment ago is under the current one too. Racing bidders' stale bids then
    do not queue on the auction's row lock. The refusal is kept like any other.
    """
    auction = Auction.objects.select_related("stock", "leading_bid").filter(pk=pk).first()
    if auction is None or auction.status != Auction.Status.OPEN:
        return None
    leader = auction.leading_bid
    if leader is not None and leader.bidder_id == user.id:
        return None  # raising one's own maximum: checked under the lock
    try:
        price = parse_price(max_price, auction.stock, "max_price")
    except DomainError:
        return None
    now = timezone.now()
    if price >= _min_next_bid(auction) or now >= auction.ends_at or user.id == auction.seller_id:
        return None
    refusal = _too_low(auction).error
    _keep_refusal(auction, user, price, refusal, now)
    return refusal


def _keep_refusal(
    auction: Auction, user: User, price: Decimal | None, error: DomainError, now: datetime
) -> Bid:
    """Keep a refused bid for the history, up to AUCTION_REFUSALS_KEPT_PER_MINUTE a bidder an
    auction: past that a refusal is still answered, but a client hammering one auction cannot
    grow its history without bound (the returned bid is then not stored)."""
    bid = Bid(
        auction=auction,
        bidder=user,
        max_price=price,
        status=Bid.Status.REFUSED,
        reason=error.code,
        placed_at=now,
    )
    recent = Bid.objects.filter(
        auction=auction,
        bidder=user,
        status=Bid.Status.REFUSED,
        placed_at__gt=now - timedelta(minutes=1),
    )[: settings.AUCTION_REFUSALS_KEPT_PER_MINUTE]
    if recent.count() < settings.AUCTION_REFUSALS_KEPT_PER_MINUTE:
        bid.save(force_insert=True)
    return bid


def _parse_max(raw: object, auction: Auction) -> Decimal:
    try:
        return parse_price(raw, auction.stock, "max_price")
    except DomainError as exc:
        raise _Refusal(exc) from None


def _stored_price(raw: object) -> Decimal | None:
    """A refused bid's maximum as the bidder typed it, when it is a storable price."""
    try:
        value = parse_decimal(raw, name="max_price", code="invalid_price")
    except DomainError:
        return None
    return value if value == value.quantize(Decimal("0.0001")) and value < 10**15 else None


def _refuse(code: str, message: str) -> _Refusal:
    return _Refusal(TradingError(code, message, fields={"max_price": [message]}))


def _bid_accept(auction: Auction, user: User, price: Decimal, now: datetime) -> Bid:
    """Check the bid against the auction's state and the bidder's cash; apply it."""
    leader = auction.leading_bid
    raising = leader is not None and leader.bidder_id == user.id
    _check_bid(auction, user, price, now, leader if raising else None)
    locked = accounts.accounts_lock({user.id, *([leader.bidder_id] if leader else [])})
    if user.id not in locked:
        raise _Refusal(accounts.no_account())
    before = {uid: a.reserved_cash for uid, a in locked.items()}
    events = AuctionEvents(auction)
    bid = Bid(auction=auction, bidder=user, max_price=price, placed_at=now)
    if leader is not None and raising:
        accounts.cash_release(account=locked[user.id], amount=leader.reserved_cash)
    bid.reserved_cash = reservation(price, auction.qty)
    try:
        accounts.cash_reserve(account=locked[user.id], amount=bid.reserved_cash)
    except DomainError as exc:
        raise _Refusal(exc) from None
    # The standing bid ends only once the raise is sure to be taken (no write before the
    # last check; the savepoint in _bid_under_lock backs this up).
    if leader is not None and raising:
        bid_end(leader, Bid.Status.CANCELED, "raised")
    auction.bid_count += 1
    auction.bidder_numbers.setdefault(str(user.id), len(auction.bidder_numbers) + 1)
    if leader is None or raising or rules.takes_lead(price, _max_of(leader)):
        _take_lead(auction, bid, None if raising else leader, locked, events)
    else:
        _outbid_at_once(auction, bid, leader, locked, events)
    accounts.reservations_save(locked, before)
    bid.save()
    if bid.status == Bid.Status.LEADING:
        auction.leading_bid = bid
    extended = _soft_close(auction, now)
    events.public("bid", bid=bid)
    if extended:
        events.public("extended")
    rows_update([auction], _BID_CHANGES)
    events.publish_on_commit()
    if extended:
        close_schedule_on_commit(auction)
    return bid


def _check_bid(
    auction: Auction, user: User, price: Decimal, now: datetime, own_lead: Bid | None
) -> None:
    """Refuse a bid the auction cannot take: not open, over by the server's clock, the
    seller's own, not over the bidder's own maximum, or under the minimum."""
    if auction.status == Auction.Status.SCHEDULED and auction.starts_at <= now < auction.ends_at:
        auction.status = Auction.Status.OPEN  # the sweep may not have opened it yet
    if auction.status != Auction.Status.OPEN:
        raise _refuse(
            "auction_not_open",
            f"The auction is {auction.get_status_display().lower()}; it takes no bids.",
        )
    if now >= auction.ends_at:
        raise _refuse("auction_ended", "The auction has ended (by the server's clock).")
    if user.id == auction.seller_id:
        raise _refuse("own_auction", "You cannot bid on your own auction.")
    if own_lead is not None:
        if price <= _max_of(own_lead):
            raise _refuse(
                "bid_not_higher",
                f"You already lead with a maximum of "
                f"{words.price(_max_of(own_lead), auction.stock.tick_size)}: a new maximum must "
                "be higher.",
            )
    elif price < _min_next_bid(auction):
        raise _too_low(auction)
    high = collar_high(auction)
    if high is not None and price > high:
        tick = auction.stock.tick_size
        raise _refuse(
            "bid_outside_collar",
            f"A maximum may be at most {words.price(high, tick)} a share "
            f"({settings.AUCTION_COLLAR_PCT:g}% over the reference price).",
        )


def _too_low(auction: Auction) -> _Refusal:
    minimum, tick = _min_next_bid(auction), auction.stock.tick_size
    refusal = _refuse("bid_too_low", f"The lowest bid now is {words.price(minimum, tick)} a share.")
    # For bots, what to bid now: a number as the API writes prices, not a sentence.
    refusal.error.fields["min_next_bid"] = [str(minimum)]
    return refusal


def _take_lead(
    auction: Auction,
    bid: Bid,
    outbid: Bid | None,
    locked: dict[int, Account],
    events: AuctionEvents,
) -> None:
    """The bid leads; the leader it beats (if another bidder) is released, once, here."""
    if outbid is not None:
        accounts.cash_release(account=locked[outbid.bidder_id], amount=outbid.reserved_cash)
        bid_end(outbid, Bid.Status.OUTBID, "outbid")
        auction.runner_up_max = outbid.max_price
        events.private(outbid.bidder_id, "outbid", outbid)
    bid.status = Bid.Status.LEADING
    auction.current_price = rules.standing(auction.terms, auction.runner_up_max, _max_of(bid))
    bid.price = auction.current_price
    events.private(bid.bidder_id, "leading", bid)


def _outbid_at_once(
    auction: Auction, bid: Bid, leader: Bid, locked: dict[int, Account], events: AuctionEvents
) -> None:
    """The leader's earlier maximum is at least as high: the bid is outbid as it lands."""
    price = _max_of(bid)
    accounts.cash_release(account=locked[bid.bidder_id], amount=bid.reserved_cash)
    bid.reserved_cash = Decimal("0")
    bid.status, bid.reason = Bid.Status.OUTBID, "outbid"
    auction.runner_up_max = max(price, auction.runner_up_max or price)
    auction.current_price = rules.standing(auction.terms, auction.runner_up_max, _max_of(leader))
    bid.price = price
    events.private(bid.bidder_id, "outbid", bid)
    events.private(leader.bidder_id, "leading", leader)


def _max_of(bid: Bid) -> Decimal:
    """An accepted bid's maximum (only refused bids may lack one)."""
    assert bid.max_price is not None, "an accepted bid has a maximum"
    return bid.max_price


def _soft_close(auction: Auction, now: datetime) -> bool:
    """An accepted bid in the last seconds moves the end to now + the window, within the cap."""
    new_end = rules.soft_close_end(
        auction.soft_close,
        now=now,
        ends_at=auction.ends_at,
        original_ends_at=auction.original_ends_at,
    )
    if new_end is None:
        return False
    auction.ends_at = new_end
    return True


def _min_next_bid(auction: Auction) -> Decimal:
    return rules.min_next_bid(auction.terms, auction.current_price)
