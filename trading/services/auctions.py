"""Timed auctions: a lot of shares to the highest bidder, with proxy bidding and a soft close.

Money rules as on the book: a bid reserves its maximum × the lot (fees included) through the
accounts services; when it is outbid that reservation is released in the same transaction,
once. The seller's shares are reserved for the auction's lifetime. The close settles the
winner through the one fill settlement (`settlement.fill_settle`) as an auction print.

Locks: the stock's book (only where shares move: create, close, cancel), then the auction
row, then accounts (ascending id, once), then positions — the order of `locks`, with the
auction between the book and the accounts. The auction row is locked FOR NO KEY UPDATE (its
key never changes): inserting a bid, whose foreign key takes a key-share lock on it, is then
never held up by another bid's lock. The server is the clock: every time here is
`timezone.now()` under the auction's lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.models import Account, User
from core import words
from core.db import Prepared, rows_update
from core.errors import DomainError
from marketdata.models import Stock
from trading.errors import TradingError
from trading.events import AuctionEvents, MarketEvents
from trading.models import Auction, Bid, BookState, Trade
from trading.pricing import band, fee, maker_fee_bps, reservation, taker_fee_bps
from trading.services.locks import book_lock, positions_lock
from trading.services.parsing import MAX_QTY, parse_decimal, parse_price, parse_qty
from trading.services.positions import position_grant
from trading.services.settlement import Ledger, Party, fill_settle

log = logging.getLogger(__name__)

# Increments by the current price per share, like the ladders of auction sites (then rounded
# up to the stock's tick): (below this price, the increment).
LADDER: list[tuple[Decimal, Decimal]] = [
    (Decimal("1"), Decimal("0.01")),
    (Decimal("10"), Decimal("0.05")),
    (Decimal("50"), Decimal("0.10")),
    (Decimal("100"), Decimal("0.25")),
    (Decimal("500"), Decimal("0.50")),
    (Decimal("1000"), Decimal("1.00")),
]
TOP_INCREMENT = Decimal("2.50")
LIVE = (Auction.Status.SCHEDULED, Auction.Status.OPEN)


def increment_at(auction: Auction, price: Decimal) -> Decimal:
    """The step a bid must rise by from `price`."""
    tick = auction.stock.tick_size
    if auction.increment_rule == Auction.Increment.FIXED and auction.fixed_increment:
        step = auction.fixed_increment
    else:
        step = next((inc for below, inc in LADDER if price < below), TOP_INCREMENT)
    return max(tick, (step / tick).to_integral_value(rounding=ROUND_CEILING) * tick)


def collar_high(auction: Auction) -> Decimal | None:
    """The highest price a lot may print at: AUCTION_COLLAR_PCT over the reference price, on
    the tick (None while the stock has no reference, or with the collar off: 0). One lot
    must not set a price far from the market, for its holders or the tape."""
    stock = auction.stock
    if not stock.reference_price or not settings.AUCTION_COLLAR_PCT:
        return None
    pct = settings.AUCTION_COLLAR_PCT / 100
    return band(stock.reference_price, pct, stock.tick_size)[1]


def min_next_bid(auction: Auction) -> Decimal:
    """The lowest maximum a new bidder may state now."""
    if auction.current_price is None:
        return auction.start_price
    return auction.current_price + increment_at(auction, auction.current_price)


# --------------------------------------------------------------------------- create
def auction_create(
    *,
    seller: User | None,
    symbol: str,
    qty: object,
    reserve_price: object,
    start_price: object = None,
    duration_seconds: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    increment_rule: str = Auction.Increment.LADDER,
    fixed_increment: object = None,
) -> Auction:
    """Offer a lot: `seller` None is the house (staff), whose lot is granted to it first.

    A user sells shares they hold: they are reserved until the close (not sellable on the book).
    """
    stock = _auctionable(symbol)
    now = timezone.now()
    starts = starts_at or now
    ends = ends_at or starts + timedelta(
        seconds=duration_seconds or settings.AUCTION_DURATION_SECONDS
    )
    auction = Auction(
        stock=stock,
        qty=parse_qty(qty, stock.lot_size),
        reserve_price=parse_price(reserve_price, stock, "reserve_price"),
        start_price=_optional_price(start_price, stock, "start_price") or stock.tick_size,
        increment_rule=increment_rule,
        fixed_increment=_optional_price(fixed_increment, stock, "fixed_increment"),
        starts_at=starts,
        ends_at=ends,
        original_ends_at=ends,
        soft_close_seconds=settings.AUCTION_SOFT_CLOSE_SECONDS,
        max_extension_seconds=settings.AUCTION_MAX_EXTENSION_SECONDS,
        status=Auction.Status.OPEN if starts <= now else Auction.Status.SCHEDULED,
    )
    _check_terms(auction, now)
    with transaction.atomic():
        auction.seller_id = seller.id if seller is not None else accounts.house_account_id()
        if seller is None:
            house = User.objects.get(pk=auction.seller_id)
            position_grant(user=house, symbol=stock.symbol, qty=auction.qty, memo="House lot")
        _reserve_lot(auction)
        events = AuctionEvents(auction)
        events.public("opened" if auction.status == Auction.Status.OPEN else "scheduled")
        auction.save(force_insert=True)
        events.publish_on_commit(schedule_close=True)
    return auction


def _auctionable(symbol: object) -> Stock:
    stock = Stock.objects.filter(symbol=str(symbol or "").strip().upper()).first()
    if stock is None:
        raise TradingError(
            "unknown_symbol",
            f"There is no stock {str(symbol or '').strip().upper()!r}.",
            fields={"symbol": ["Unknown."]},
        )
    if stock.is_halted:
        raise TradingError("symbol_halted", f"Trading in {stock.symbol} is halted.")
    return stock


def _optional_price(raw: object, stock: Stock, name: str) -> Decimal | None:
    return None if raw in (None, "") else parse_price(raw, stock, name)


def _check_terms(auction: Auction, now: datetime) -> None:
    """The increment rule and the auction's window."""
    if auction.increment_rule not in Auction.Increment.values:
        raise TradingError(
            "invalid_increment_rule",
            "The increment rule must be ladder or fixed.",
            fields={"increment_rule": ["Invalid choice."]},
        )
    if auction.increment_rule == Auction.Increment.FIXED and auction.fixed_increment is None:
        raise TradingError(
            "fixed_increment_required",
            "A fixed increment rule needs the fixed increment.",
            fields={"fixed_increment": ["Required."]},
        )
    if auction.ends_at <= now or auction.ends_at <= auction.starts_at:
        raise TradingError(
            "invalid_end",
            "The auction must end in the future, after it starts.",
            fields={"ends_at": ["In the past."]},
        )
    if auction.ends_at - auction.starts_at > timedelta(days=30):
        raise TradingError(
            "invalid_end", "An auction runs at most 30 days.", fields={"ends_at": ["Too far."]}
        )


def _reserve_lot(auction: Auction) -> None:
    """Reserve the seller's shares for the auction's lifetime (under the stock's book lock)."""
    stock = auction.stock
    book_lock(stock.pk)
    position = positions_lock(stock, {auction.seller_id})[auction.seller_id]
    if position.available_qty < auction.qty:
        raise TradingError(
            "insufficient_qty",
            f"You have {words.shares(position.available_qty, stock.symbol)} free to sell (shares "
            "in open sell orders are held).",
            fields={"qty": [f"At most {position.available_qty}."]},
        )
    position.reserved_qty += auction.qty
    position.save(update_fields=["reserved_qty", "updated_at"])


# --------------------------------------------------------------------------- bid
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
    pk = _auction_pk(auction_id)
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
    if price >= min_next_bid(auction) or now >= auction.ends_at or user.id == auction.seller_id:
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


def _auction_pk(auction_id: object) -> int:
    text = str(auction_id)
    # A number past the id column's range is no auction either (and must not reach the query).
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise TradingError("not_found", "No such auction.")
    return int(text)


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
        _end_bid(leader, Bid.Status.CANCELED, "raised")
    auction.bid_count += 1
    auction.bidder_numbers.setdefault(str(user.id), len(auction.bidder_numbers) + 1)
    if leader is None or raising or price > _max_of(leader):
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
    events.publish_on_commit(schedule_close=extended)
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
    elif price < min_next_bid(auction):
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
    minimum, tick = min_next_bid(auction), auction.stock.tick_size
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
        _end_bid(outbid, Bid.Status.OUTBID, "outbid")
        auction.runner_up_max = outbid.max_price
        events.private(outbid.bidder_id, "outbid", outbid)
    bid.status = Bid.Status.LEADING
    auction.current_price = _standing(auction, _max_of(bid))
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
    auction.current_price = _standing(auction, _max_of(leader))
    bid.price = price
    events.private(bid.bidder_id, "outbid", bid)
    events.private(leader.bidder_id, "leading", leader)


def _standing(auction: Auction, leader_max: Decimal) -> Decimal:
    """The leader's displayed price: one increment over the runner-up, capped at its maximum,
    at least the opening price, and at least the reserve when its maximum reaches it."""
    price = auction.start_price
    if auction.runner_up_max is not None:
        price = max(price, auction.runner_up_max + increment_at(auction, auction.runner_up_max))
    if leader_max >= auction.reserve_price:
        price = max(price, auction.reserve_price)
    return min(price, leader_max)


def _max_of(bid: Bid) -> Decimal:
    """An accepted bid's maximum (only refused bids may lack one)."""
    assert bid.max_price is not None, "an accepted bid has a maximum"
    return bid.max_price


def _end_bid(bid: Bid, status: str, reason: str) -> None:
    bid.status, bid.reason, bid.reserved_cash = status, reason, Decimal("0")
    rows_update([bid], ["status", "reason", "reserved_cash"])


def _soft_close(auction: Auction, now: datetime) -> bool:
    """An accepted bid in the last seconds moves the end to now + the window, within the cap."""
    window = timedelta(seconds=auction.soft_close_seconds)
    if not window or auction.ends_at - now > window:
        return False
    cap = auction.original_ends_at + timedelta(seconds=auction.max_extension_seconds)
    new_end = min(now + window, cap)
    if new_end <= auction.ends_at:
        return False
    auction.ends_at = new_end
    return True


# --------------------------------------------------------------------------- close, cancel
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
    _end_bid(leader, Bid.Status.WON, "won")
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
        _end_bid(
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
    pk = _auction_pk(auction_id)
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


# --------------------------------------------------------------------------- the clock
def auctions_sweep() -> dict[str, int]:
    """Open scheduled auctions whose start has come; close every auction whose end has passed."""
    now = timezone.now()
    opened = 0
    for pk in Auction.objects.filter(
        status=Auction.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            auction = (
                Auction.objects.select_for_update(of=("self",), no_key=True)
                .select_related("stock")
                .get(pk=pk)
            )
            if auction.status == Auction.Status.SCHEDULED:
                auction.status = Auction.Status.OPEN
                events = AuctionEvents(auction)
                events.public("opened")
                auction.save(update_fields=["status", "seq"])
                events.publish_on_commit()
                opened += 1
    closed = set_aside = 0
    retry_before = now - timedelta(seconds=settings.AUCTION_CLOSE_RETRY_SECONDS)
    due = (
        Auction.objects.filter(status__in=LIVE, ends_at__lte=now)
        .filter(Q(close_failed_at__isnull=True) | Q(close_failed_at__lte=retry_before))
        .order_by("ends_at")
    )
    for pk in due.values_list("pk", flat=True)[:500]:
        result = auction_close_or_set_aside(auction_id=pk)
        if result is None:
            set_aside += 1
        else:
            closed += result.status not in LIVE
    return {"opened": opened, "closed": closed, "set_aside": set_aside}


def auction_close_or_set_aside(*, auction_id: int) -> Auction | None:
    """Close one auction; if its close fails, set it aside with the reason and return None.

    Each close is its own transaction: a failure rolls back that close alone (nothing is half
    applied), is recorded on the auction for staff (admin, /healthz), and the caller goes on
    with the next. The sweep tries it again after AUCTION_CLOSE_RETRY_SECONDS.
    """
    try:
        return auction_close(auction_id=auction_id)
    except Exception as exc:  # any failure: the other auctions must still close
        reason = (
            f"{exc.code}: {exc.message}"
            if isinstance(exc, DomainError)
            else f"{type(exc).__name__}: {exc}"
        )
        log.exception("auction %s could not close; set aside", auction_id)
        Auction.objects.filter(pk=auction_id).update(
            close_error=reason[:500],
            close_failures=F("close_failures") + 1,
            close_failed_at=timezone.now(),
        )
        return None


__all__ = [
    "MAX_QTY",
    "auction_bid_place",
    "auction_cancel",
    "auction_close",
    "auction_close_or_set_aside",
    "auction_create",
    "auctions_sweep",
    "increment_at",
    "min_next_bid",
]
